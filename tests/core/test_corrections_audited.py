"""Staff can correct every record they create outside grant rounds, payments and workshops, and each correction is
audited by the names of the fields it changed (never their values); saving what is already there records nothing.
A fund's name and funder organisation have their own page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from champions.core.models import AuditEvent
from champions.grants.models import Fund
from champions.moments.models import Moment
from champions.nudges.models import NudgeRule
from champions.organisations.models import Organisation, OrganisationContact
from champions.training.models import TrainingResource
from tests.moments.test_moments import GOOD as MOMENT
from tests.organisations.test_register import GOOD as ORGANISATION
from tests.training.test_catalogue import GOOD as RESOURCE


def events(db, action: str) -> list[dict]:
    query = select(AuditEvent.details).where(AuditEvent.action == action).order_by(AuditEvent.id)
    return list(db.session.scalars(query))


@pytest.fixture
def staff(auth):
    return auth.login_as("staff")


def test_an_organisation_and_a_contact_correction_names_the_fields(client, db, staff):
    assert client.post("/staff/organisations/new", data=ORGANISATION).status_code == 302
    org = db.session.scalar(select(Organisation).where(Organisation.name == ORGANISATION["name"]))
    edit = {k: v for k, v in ORGANISATION.items() if k != "engagement_level"}
    url = f"/staff/organisations/{org.id}/edit"
    assert client.post(url, data=edit).status_code == 302  # as it was
    assert client.post(url, data={**edit, "name": "Bolton Women's Group", "boroughs": ["bolton"]}).status_code == 302
    assert events(db, "organisation.updated") == [{"fields": ["name", "boroughs"]}]
    assert client.post(f"/staff/organisations/{org.id}/contacts/new", data={"name": "Jo"}).status_code == 302
    contact = db.session.scalar(select(OrganisationContact))
    contact_url = f"/staff/organisations/{org.id}/contacts/{contact.id}/edit"
    assert client.post(contact_url, data={"name": "Jo"}).status_code == 302
    assert client.post(contact_url, data={"name": "Jo Bloggs", "phone": "0161 496 0000"}).status_code == 302
    assert events(db, "organisation.contact_updated") == [{"contact_id": contact.id, "fields": ["name", "phone"]}]


def test_a_moment_and_a_training_resource_correction_names_the_fields(client, db, staff):
    assert client.post("/staff/moments/new", data=MOMENT).status_code == 302
    moment = db.session.scalar(select(Moment).where(Moment.name == MOMENT["name"]))
    assert client.post(f"/staff/moments/{moment.id}/edit", data=MOMENT).status_code == 302
    changed = {**MOMENT, "level": "systems", "topics": ["hpv"]}
    assert client.post(f"/staff/moments/{moment.id}/edit", data=changed).status_code == 302
    assert events(db, "moment.updated") == [{"fields": ["level", "topics"]}]

    assert client.post("/staff/training/new", data=RESOURCE).status_code == 302
    resource = db.session.scalar(select(TrainingResource).where(TrainingResource.title == RESOURCE["title"]))
    assert client.post(f"/staff/training/{resource.id}", data=RESOURCE).status_code == 302
    assert client.post(f"/staff/training/{resource.id}", data={**RESOURCE, "minutes": "12"}).status_code == 302
    assert [e.get("fields") for e in events(db, "training.resource_edited")] == [["minutes"]]


def test_a_nudge_rule_correction_names_the_fields(db):
    from champions.nudges.services import save_rule
    from tests.nudges.test_rule_keys import RULE

    rule = save_rule(None, {**RULE, "name": "Nudge"})
    save_rule(rule, {**RULE, "name": "Nudge"})
    save_rule(rule, {**RULE, "name": "Nudge", "days": 5, "subject": "Hi again"})
    db.session.commit()
    assert events(db, "nudge_rule.saved") == [{}, {"fields": ["subject", "params"]}]
    assert db.session.get(NudgeRule, rule.id).params == {"days": 5}


def test_staff_correct_a_funds_name_and_funder(client, db, make, staff):
    fund = make.fund(name="Small Sparks")
    assert "Change the fund's name" in client.get(f"/grants/staff/funds/{fund.id}").get_data(as_text=True)
    url = f"/grants/staff/funds/{fund.id}/edit"
    assert 'value="Small Sparks"' in client.get(url).get_data(as_text=True)
    same = {"name": "Small Sparks", "funder_organisation": "Greater Manchester Cancer"}
    assert client.post(url, data=same).status_code == 302
    assert client.post(url, data={**same, "name": "  Small Sparks 2027 "}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Fund, fund.id).name == "Small Sparks 2027"
    assert events(db, "grant.fund_changed") == [{"fields": ["name"]}]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "Enter the fund&#39;s name"),
        ({"name": "x" * 100_000}, "200 characters or fewer"),
        ({"funder_organisation": "GM\x00Cancer"}, "Remove the control characters"),
        ({"funder_organisation": "   "}, "Enter the funder organisation"),
    ],
)
def test_a_bad_fund_correction_says_why_and_changes_nothing(client, db, make, staff, changes, message):
    fund = make.fund(name="Small Sparks")
    data = {"name": "Renamed ☀", "funder_organisation": "Greater Manchester Cancer", **changes}
    response = client.post(f"/grants/staff/funds/{fund.id}/edit", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "There is a problem" in page and message in page
    db.session.expire_all()
    assert db.session.get(Fund, fund.id).name == "Small Sparks"
    assert events(db, "grant.fund_changed") == []


def test_an_unknown_fund_is_not_found(client, staff):
    assert (
        client.post("/grants/staff/funds/999999/edit", data={"name": "x", "funder_organisation": "y"}).status_code
        == 404
    )
