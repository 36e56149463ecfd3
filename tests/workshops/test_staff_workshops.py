"""Staff record workshops: details, attendance with check-in, head-count, outputs and the report."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from champions.core.db import as_utc
from champions.workshops.models import Workshop, WorkshopRecruit, WorkshopSignup
from champions.workshops.services import cancel, sign_up
from tests.workshops.helpers import make_contact, make_org, make_workshop

GOOD = {
    "type": "co_design",
    "title": "Co-design workshop: Oldham",
    "starts_at": "2027-03-14T18:30",
    "ends_at": "2027-03-14T20:30",
    "borough": "oldham",
    "venue": "Oldham Library",
    "host_organisation": "",
    "capacity": "25",
    "description": "Mapping the system together.",
}


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_staff_add_a_workshop_in_uk_time(client, auth, db):
    staff = auth.login_as("staff")
    org = make_org(db, "Oldham Community Voices", boroughs=("oldham",))
    response = client.post(
        "/staff/workshops/new", data={**GOOD, "host_organisation": str(org.id), "facilitators": [str(staff.id)]}
    )
    assert response.status_code == 302
    workshop = db.session.scalar(select(Workshop))
    # 14 March is GMT, 14 July is BST: the form takes London time and stores UTC.
    assert as_utc(workshop.starts_at) == datetime(2027, 3, 14, 18, 30, tzinfo=UTC)
    assert workshop.host_organisation_id == org.id and [u.id for u in workshop.facilitators] == [staff.id]
    summer = {**GOOD, "starts_at": "2027-07-14T18:30", "ends_at": "2027-07-14T20:30"}
    assert client.post("/staff/workshops/new", data=summer).status_code == 302
    later = db.session.scalars(select(Workshop).order_by(Workshop.id.desc())).first()
    assert as_utc(later.starts_at) == datetime(2027, 7, 14, 17, 30, tzinfo=UTC)
    assert "6:30pm" in client.get(f"/staff/workshops/{later.id}").get_data(as_text=True)


def test_a_workshop_that_ends_before_it_starts_is_refused(client, auth, db):
    auth.login_as("staff")
    response = client.post("/staff/workshops/new", data={**GOOD, "ends_at": "2027-03-14T17:00"})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "There is a problem" in text and "The end must be after the start" in text
    assert 'value="Co-design workshop: Oldham"' in text  # what was typed is kept
    assert count(db, Workshop) == 0


def test_other_bad_workshop_input_is_refused(client, auth, db):
    auth.login_as("staff")
    bad = {**GOOD, "starts_at": "next tuesday", "capacity": "0", "borough": "atlantis", "title": ""}
    text = client.post("/staff/workshops/new", data=bad).get_data(as_text=True)
    for message in (
        "Enter a real date and time",
        "Capacity must be between 1 and 5,000",
        "Select the borough",
        "Enter a title",
    ):
        assert message in text
    assert count(db, Workshop) == 0


def test_attendance_above_capacity_needs_an_override(client, auth, db, make):
    auth.login_as("staff")
    workshop = make_workshop(db, capacity=1)
    first, second = make.champion(email="first@example.org"), make.champion(email="second@example.org")
    assert (
        client.post(f"/staff/workshops/{workshop.id}/champions", data={"email": "first@example.org"}).status_code == 302
    )
    refused = client.post(f"/staff/workshops/{workshop.id}/champions", data={"email": "second@example.org"})
    assert refused.status_code == 400
    assert "The workshop is full (1 places)" in refused.get_data(as_text=True)
    assert count(db, WorkshopSignup) == 1
    allowed = client.post(
        f"/staff/workshops/{workshop.id}/champions",
        data={"email": "second@example.org", "override": "y", "recruited": "y"},
    )
    assert allowed.status_code == 302
    signup = db.session.scalar(select(WorkshopSignup).where(WorkshopSignup.champion_id == second.id))
    assert signup.status == "booked" and signup.capacity_override
    assert db.session.get(WorkshopRecruit, second.id).workshop_id == workshop.id
    assert first.id != second.id
    unknown = client.post(f"/staff/workshops/{workshop.id}/champions", data={"email": "nobody@example.org"})
    assert unknown.status_code == 400 and "No champion has that email address" in unknown.get_data(as_text=True)


def test_check_in_and_a_cancelled_sign_up_cannot_be_checked_in(client, auth, db, make):
    auth.login_as("staff")
    workshop = make_workshop(db)
    here, gone = make.champion(first_name="Here"), make.champion(first_name="Gone")
    s1, s2 = sign_up(workshop.id, here.id), sign_up(workshop.id, gone.id)
    db.session.commit()
    cancel(workshop.id, gone.id)
    db.session.commit()
    ids = (s1.id, s2.id)
    assert client.post(f"/staff/workshops/{workshop.id}/signups/{ids[0]}/check-in").status_code == 302
    refused = client.post(f"/staff/workshops/{workshop.id}/signups/{ids[1]}/check-in")
    assert refused.status_code == 400
    assert "This sign-up was cancelled, so it cannot be checked in" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(WorkshopSignup, ids[0]).checked_in_at is not None
    assert db.session.get(WorkshopSignup, ids[1]).checked_in_at is None
    # Undo a check-in.
    client.post(f"/staff/workshops/{workshop.id}/signups/{ids[0]}/check-in", data={"present": "no"})
    db.session.expire_all()
    assert db.session.get(WorkshopSignup, ids[0]).checked_in_at is None
    other = make_workshop(db)
    assert client.post(f"/staff/workshops/{other.id}/signups/{ids[0]}/check-in").status_code == 404


def test_contacts_head_count_outputs_and_the_printable_report(client, auth, db):
    auth.login_as("staff")
    org = make_org(db, "Wigan Faith Forum", boroughs=("wigan",))
    contact = make_contact(db, org, "Grace Hall")
    workshop = make_workshop(db, borough="wigan", title="Wigan co-design")
    assert client.post(f"/staff/workshops/{workshop.id}/contacts", data={"contact": str(contact.id)}).status_code == 302
    assert (
        client.post(f"/staff/workshops/{workshop.id}/headcount", data={"unregistered_count": "-2"}).status_code == 400
    )
    assert client.post(f"/staff/workshops/{workshop.id}/headcount", data={"unregistered_count": "7"}).status_code == 302
    outputs = {
        "challenges": "Late diagnosis\nLow screening uptake",
        "stakeholders": "GPs",
        "barriers": "Fear",
        "opportunities": "Bowel Cancer Awareness Month",
        "vision": "Everyone screened",
        "actions_organisations": "Share leaflets",
        "actions_groups": "Talk at meetings",
        "actions_individuals": "Tell three friends",
    }
    assert client.post(f"/staff/workshops/{workshop.id}/outputs", data=outputs).status_code == 302
    report = client.get(f"/staff/workshops/{workshop.id}/report").get_data(as_text=True)
    for text in (
        "Wigan co-design",
        "<li>Late diagnosis</li>",
        "<li>Low screening uptake</li>",
        "Actions for individuals",
        "Tell three friends",
        "Wigan Faith Forum",
        "1 organisation contact, 7 others",
    ):
        assert text in report
    db.session.expire_all()
    assert db.session.get(Workshop, workshop.id).unregistered_count == 7
    csv = client.get("/staff/workshops/export.csv?borough=wigan").get_data(as_text=True)
    assert "Wigan co-design" in csv and csv.splitlines()[0].startswith("id,type,title")


def test_staff_list_and_edit(client, auth, db, clock):
    clock.set(datetime(2027, 1, 10, 9, 0))  # GOOD's date is then still to come, so the edit is not into the past
    auth.login_as("staff")
    workshop = make_workshop(db, title="Bury training", borough="bury", type="training")
    assert "Bury training" in client.get("/staff/workshops?type=training").get_data(as_text=True)
    assert "Bury training" not in client.get("/staff/workshops?type=co_design").get_data(as_text=True)
    edit = client.get(f"/staff/workshops/{workshop.id}/edit").get_data(as_text=True)
    assert 'value="Bury training"' in edit
    data = {**GOOD, "title": "Bury training (moved)", "borough": "bury"}
    assert client.post(f"/staff/workshops/{workshop.id}/edit", data=data).status_code == 302
    db.session.expire_all()
    assert db.session.get(Workshop, workshop.id).title == "Bury training (moved)"


def test_facilitators_are_staff_or_champions_who_lead(client, auth, db, make):
    staff = auth.login_as("staff")
    leader = make.champion(first_name="Lena", last_name="Lead")
    leader.is_leader = True
    make.champion(first_name="Norm", last_name="Member")
    db.session.commit()
    form = client.get("/staff/workshops/new").get_data(as_text=True)
    assert "Lena Lead (leader)" in form and staff.email in form and "Norm Member" not in form
    data = {**GOOD, "facilitators": [str(leader.user_id)]}
    assert client.post("/staff/workshops/new", data=data).status_code == 302
    assert [u.id for u in db.session.scalar(select(Workshop)).facilitators] == [leader.user_id]
    outsider = make.champion(first_name="Out")
    refused = client.post("/staff/workshops/new", data={**GOOD, "facilitators": [str(outsider.user_id)]})
    assert refused.status_code == 400 and "Select facilitators from the list" in refused.get_data(as_text=True)
