"""The organisations register: details, contacts, affiliations, engagement history, duplicates and merge."""

from __future__ import annotations

from sqlalchemy import func, select

from champions.organisations.models import EngagementChange, Organisation, OrganisationContact
from champions.organisations.services import add_contact, create_organisation, duplicate_pairs
from tests.workshops.helpers import make_contact, make_org, make_workshop

GOOD = {
    "name": "Bolton Bangladeshi Women's Group",
    "type": "grassroots",
    "charity_number": "",
    "boroughs": ["bolton", "bury"],
    "postcode": "bl1 1aa",
    "website": "https://example.org",
    "engagement_level": "aware",
    "notes": "Met at the Eid fair.",
}


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_staff_add_an_organisation(client, auth, db):
    auth.login_as("staff")
    response = client.post("/staff/organisations/new", data={**GOOD, "charity_number": " 1123 456 "})
    assert response.status_code == 302
    organisation = db.session.scalar(select(Organisation))
    assert organisation.charity_number == "1123456" and organisation.postcode == "BL1 1AA"
    assert [b.code for b in organisation.boroughs] == ["bolton", "bury"]
    assert [(h.from_level, h.to_level) for h in organisation.engagement_history] == [(None, "aware")]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Bolton Bangladeshi Women" in page and "Bolton, Bury" in page


def test_a_charity_number_in_the_wrong_format_is_refused(client, auth, db):
    auth.login_as("staff")
    response = client.post("/staff/organisations/new", data={**GOOD, "charity_number": "CH-12"})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Enter a charity number in the correct format, like 1234567 or SC012345" in text
    assert "There is a problem" in text and 'value="CH-12"' in text
    assert count(db, Organisation) == 0
    assert client.post("/staff/organisations/new", data={**GOOD, "charity_number": "SC012345"}).status_code == 302


def test_other_bad_input_is_refused(client, auth, db):
    auth.login_as("staff")
    bad = {**GOOD, "name": "", "boroughs": [], "website": "not a website", "type": "pirate", "postcode": "X"}
    text = client.post("/staff/organisations/new", data=bad).get_data(as_text=True)
    for message in (
        "Enter the organisation",
        "Select at least one borough",
        "Enter a website address",
        "Select the type of organisation",
        "Enter a real UK postcode",
    ):
        assert message in text
    assert count(db, Organisation) == 0


def test_engagement_changes_keep_their_history(client, auth, db):
    staff = auth.login_as("staff")
    org = make_org(db)
    response = client.post(
        f"/staff/organisations/{org.id}/engagement", data={"engagement_level": "partner", "reason": "Signed the MoU"}
    )
    assert response.status_code == 302
    refused = client.post(f"/staff/organisations/{org.id}/engagement", data={"engagement_level": "engaged"})
    assert refused.status_code == 400 and "Enter the reason for the change" in refused.get_data(as_text=True)
    db.session.expire_all()
    history = db.session.scalars(select(EngagementChange).order_by(EngagementChange.id)).all()
    assert [(h.from_level, h.to_level, h.reason) for h in history] == [
        (None, "aware", "Added to the register"),
        ("aware", "partner", "Signed the MoU"),
    ]
    assert history[1].changed_by_id == staff.id
    assert db.session.get(Organisation, org.id).engagement_level == "partner"
    page = client.get(f"/staff/organisations/{org.id}").get_data(as_text=True)
    assert "Aware to Partner" in page and "Signed the MoU" in page


def test_a_contact_who_is_a_champion_is_linked_not_copied(client, auth, db, make):
    auth.login_as("staff")
    champion = make.champion(first_name="Priya", email="priya@example.org")
    org = make_org(db)
    data = {"name": "Priya Shah", "role": "Chair", "email": "PRIYA@example.org", "consent_to_contact": "y"}
    assert client.post(f"/staff/organisations/{org.id}/contacts/new", data=data).status_code == 302
    contact = db.session.scalar(select(OrganisationContact))
    assert contact.champion_id == champion.id and contact.email == "priya@example.org"
    assert contact.consent_to_contact and contact.consent_recorded_at is not None
    no_consent = client.post(f"/staff/organisations/{org.id}/contacts/new", data={"name": "Sam Lee"})
    assert no_consent.status_code == 302
    sam = db.session.scalar(select(OrganisationContact).where(OrganisationContact.name == "Sam Lee"))
    assert not sam.consent_to_contact and sam.consent_recorded_at is None and sam.champion_id is None
    bad = client.post(f"/staff/organisations/{org.id}/contacts/new", data={"name": "", "email": "nope"})
    assert bad.status_code == 400 and count(db, OrganisationContact) == 2


def test_champions_are_affiliated_and_removed(client, auth, db, make):
    auth.login_as("staff")
    champion = make.champion(first_name="Omar", email="omar@example.org")
    org = make_org(db)
    client.post(f"/staff/organisations/{org.id}/champions", data={"email": "omar@example.org"})
    db.session.expire_all()
    assert [c.id for c in db.session.get(Organisation, org.id).champions] == [champion.id]
    missing = client.post(
        f"/staff/organisations/{org.id}/champions", data={"email": "ghost@example.org"}, follow_redirects=True
    )
    assert "No champion has that email address" in missing.get_data(as_text=True)
    client.post(f"/staff/organisations/{org.id}/champions/{champion.id}/remove")
    db.session.expire_all()
    assert db.session.get(Organisation, org.id).champions == []


def test_likely_duplicates_by_name_or_charity_number(client, auth, db):
    auth.login_as("staff")
    first = make_org(db, "The Salford Lads' Club Ltd", boroughs=("salford",))
    same_name = make_org(db, "Salford Lads Club", boroughs=("salford",))
    same_number = make_org(db, "Lung Health Trust", charity_number="1103456")
    other_number = make_org(db, "LHT North West", charity_number="1103456")
    make_org(db, "Someone Else")
    pairs = {(a.id, b.id, why) for a, b, why in duplicate_pairs()}
    assert pairs == {(first.id, same_name.id, "name"), (same_number.id, other_number.id, "charity number")}
    page = client.get(f"/staff/organisations/{first.id}").get_data(as_text=True)
    assert "Likely duplicate" in page and "Salford Lads Club" in page
    assert "2 likely duplicates" in client.get("/staff/organisations").get_data(as_text=True)
    created = client.post("/staff/organisations/new", data={**GOOD, "name": "SALFORD LADS CLUB"}, follow_redirects=True)
    assert "It looks like an organisation already on the register" in created.get_data(as_text=True)


def test_list_filters_and_csv(client, auth, db):
    auth.login_as("staff")
    make_org(db, "Wigan Arts Collective", boroughs=("wigan",), type="arts")
    make_org(db, "Bolton Food Bank", boroughs=("bolton",), type="charity", charity_number="=cmd")
    assert "Wigan Arts" not in client.get("/staff/organisations?borough=bolton").get_data(as_text=True)
    assert "Wigan Arts" in client.get("/staff/organisations?type=arts&q=arts").get_data(as_text=True)
    csv = client.get("/staff/organisations/export.csv").get_data(as_text=True)
    assert csv.splitlines()[0].startswith("id,name,type,charity_number")
    assert "Wigan Arts Collective" in csv and "Bolton Food Bank" in csv


def test_create_organisation_keeps_its_signature_for_other_features(db):
    organisation = create_organisation(
        "Stockport Sparks",
        type="grassroots",
        borough_codes=["stockport"],
        charity_number=None,
        postcode="SK1 1AA",
        website=None,
        engagement_level="engaged",
        notes=None,
        by_user_id=None,
    )
    contact = add_contact(organisation, name="Lee")
    assert organisation.id and contact.organisation_id == organisation.id


def test_a_contact_is_edited_and_consent_withdrawn(client, auth, db):
    auth.login_as("staff")
    org = make_org(db)
    contact = make_contact(db, org, "Jo Bloggs", consent_to_contact=True)
    given = contact.consent_recorded_at
    url = f"/staff/organisations/{org.id}/contacts/{contact.id}/edit"
    assert 'value="Jo Bloggs"' in client.get(url).get_data(as_text=True)
    assert (
        client.post(url, data={"name": "Jo Bloggs", "role": "Treasurer", "consent_to_contact": "y"}).status_code == 302
    )
    db.session.expire_all()
    assert contact.role == "Treasurer" and contact.consent_recorded_at == given  # consent keeps its time
    assert client.post(url, data={"name": "Jo Bloggs"}).status_code == 302
    db.session.expire_all()
    assert not contact.consent_to_contact and contact.consent_recorded_at is None
    assert client.post(url, data={"name": ""}).status_code == 400
    other = make_org(db, "Another Group")
    assert client.get(f"/staff/organisations/{other.id}/contacts/{contact.id}/edit").status_code == 404


def test_contact_attendance_is_removed(client, auth, db):
    auth.login_as("staff")
    org = make_org(db)
    contact = make_contact(db, org)
    workshop = make_workshop(db)
    workshop.contacts.append(contact)
    db.session.commit()
    assert client.post(f"/staff/workshops/{workshop.id}/contacts/{contact.id}/remove").status_code == 302
    db.session.expire_all()
    assert workshop.contacts == []
