"""Awards published as 360Giving data: valid against the standard's own schemas, with no individual's personal data,
identifiers from the configured prefix, boroughs by their ONS codes, the standard's flat columns, and each funder
only their own funds."""

from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from sqlalchemy import select

from champions.core.clock import uk_date
from champions.core.db import as_utc
from champions.core.forms import MAX_INT
from champions.core.models import AuditEvent, Borough
from champions.demo.grants import seed_grants
from champions.grants.models import Application, Fund, Status
from tests.grants.test_views import login

SCHEMAS = Path(__file__).parent / "threesixtygiving"
# The ten boroughs' ONS local authority district codes, as ONS lists Greater Manchester's metropolitan districts.
ONS = {
    "Bolton": "E08000001",
    "Bury": "E08000002",
    "Manchester": "E08000003",
    "Oldham": "E08000004",
    "Rochdale": "E08000005",
    "Salford": "E08000006",
    "Stockport": "E08000007",
    "Tameside": "E08000008",
    "Trafford": "E08000009",
    "Wigan": "E08000010",
}


def _validator() -> Draft202012Validator:
    """The package schema, its reference to the grant schema served from the copy here (by the address it uses and
    the grant schema's own), with format checking on: dates are checked as RFC 3339 (rfc3339-validator)."""
    package = json.loads((SCHEMAS / "360-giving-package-schema.json").read_text())
    grant = json.loads((SCHEMAS / "360-giving-schema.json").read_text())
    resource = DRAFT202012.create_resource(grant)
    registry = Registry().with_resources(
        [(package["properties"]["grants"]["items"]["$ref"], resource), (grant["$id"], resource)]
    )
    Draft202012Validator.check_schema(package)
    checker = Draft202012Validator.FORMAT_CHECKER
    assert "date-time" in checker.checkers, "install rfc3339-validator: without it dates are wrongly reported"
    return Draft202012Validator(package, registry=registry, format_checker=checker)


VALIDATOR = _validator()


def errors(package: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(package)]


def _download(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    assert "no-store" in response.headers["Cache-Control"]
    return response


def _json(client, url: str) -> dict:
    return json.loads(_download(client, url).get_data(as_text=True))


def _csv(client, url: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(_download(client, url).get_data(as_text=True))))


def test_the_validator_finds_what_is_wrong_and_accepts_a_plain_date():
    grant = {
        "id": "360G-x-1",
        "title": "Tea and talk",
        "description": "Weekly tea mornings",
        "currency": "GBP",
        "amountAwarded": 1300,
        "awardDate": "2026-05-01",
        "recipientOrganization": [{"id": "GB-CHC-1234567", "name": "Tea Group"}],
        "fundingOrganization": [{"id": "360G-x", "name": "A funder"}],
        "dateModified": "2026-05-01T10:00:00+00:00",
    }
    assert errors({"grants": [grant]}) == []
    assert errors({"grants": [{**grant, "amountAwarded": "1300"}]})
    assert errors({"grants": [{**grant, "awardDate": "2026-13-01"}]})
    assert errors({"grants": [{**grant, "dateModified": "yesterday"}]})
    for required in ("recipientOrganization", "description"):
        assert errors({"grants": [{k: v for k, v in grant.items() if k != required}]})
    assert errors({"grants": []})


def test_the_demo_funds_awards_are_valid_360giving_and_carry_nobodys_contact_details(client, auth, db):
    seed_grants(random.Random(2017))
    db.session.commit()
    auth.login_as("staff")
    awards = db.session.scalars(select(Application).where(Application.award_pence.is_not(None))).all()
    for fund in db.session.scalars(select(Fund)):
        package = _json(client, f"/grants/360giving/funds/{fund.id}/grants.json")
        assert errors(package) == []
        grants = {g["id"]: g for g in package["grants"]}
        awarded = [
            a
            for a in awards
            if a.round.fund_id == fund.id and a.status not in (Status.DECLINED, Status.AWAITING_APPROVAL)
        ]
        assert awarded and set(grants) == {f"360G-champions-{a.id}" for a in awarded}
        for a in awarded:
            g = grants[f"360G-champions-{a.id}"]
            assert g["amountAwarded"] == a.award_pence / 100 and g["currency"] == "GBP"
            assert g["recipientOrganization"][0]["name"] == a.group_display
            assert g["fundingOrganization"][0]["name"] == fund.funder_organisation
            assert g["grantProgramme"][0]["title"] == a.round.name
            assert g["plannedDates"] == [{"startDate": a.start_on.isoformat(), "endDate": a.end_on.isoformat()}]
        text = json.dumps(package, ensure_ascii=False)
        flat = "\n".join(",".join(row) for row in _csv(client, f"/grants/360giving/funds/{fund.id}/grants.csv"))
        for a in db.session.scalars(select(Application)):
            for personal in (a.contact_name, a.contact_email, a.contact_phone):
                if personal:
                    assert personal not in text and personal not in flat, personal
            if a.summary and a.summary not in a.title:
                assert a.summary not in text  # the group's summary was written for the panel, not for publishing


def test_only_awards_that_stand_are_published(client, auth, make, db):
    round_ = make.round()
    published = {
        status: make.application(round=round_, status=status)
        for status in ("approved", "paid_part", "paid_full", "reported", "closed")
    }
    left_out = [make.application(round=round_, status=s) for s in ("draft", "under_review", "declined")]
    waiting = make.application(round=round_, status="under_review")
    waiting.status, waiting.proposed_award_pence = Status.AWAITING_APPROVAL.value, 100_000
    db.session.commit()
    auth.login_as("staff")
    package = _json(client, f"/grants/360giving/rounds/{round_.id}/grants.json")
    assert errors(package) == []
    assert [g["id"] for g in package["grants"]] == [f"360G-champions-{a.id}" for a in published.values()]
    assert not {f"360G-champions-{a.id}" for a in [*left_out, waiting]} & {g["id"] for g in package["grants"]}
    paid = {g["id"]: g.get("amountDisbursed") for g in package["grants"]}
    assert paid[f"360G-champions-{published['approved'].id}"] is None
    assert paid[f"360G-champions-{published['paid_full'].id}"] == published["paid_full"].award_pence / 100


def test_hostile_text_and_huge_amounts_still_make_a_valid_file(client, auth, make, db, app):
    round_ = make.round(name="Ro\u0301und ✨ «one»")
    strange = make.application(round=round_, status="approved")
    strange.group_name = "Zoë’s Crèche 東京 🎗"
    strange.organisation = None  # unconfirmed: the typed name stands
    title = '=HYPERLINK("x") tea\u00a0and\ttalk' + (
        "\x00" if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") else "\x01"
    )
    strange.title = title
    strange.theme = "\x1fthemes \U0001f600"
    odd = make.application(round=round_, status="approved")
    huge = make.application(round=round_, status="approved")
    huge.amount_requested_pence = huge.award_pence = MAX_INT  # £21,474,836.47
    odd.start_on = odd.end_on = None
    odd.boroughs = []
    db.session.commit()
    auth.login_as("staff")
    package = _json(client, f"/grants/360giving/rounds/{round_.id}/grants.json")
    assert errors(package) == []
    grants = {g["id"]: g for g in package["grants"]}
    g = grants[f"360G-champions-{strange.id}"]
    assert g["title"] == '=HYPERLINK("x") tea and talk'
    assert "\x00" not in json.dumps(package) and "\\u0000" not in json.dumps(package)
    assert g["recipientOrganization"][0] == {"id": f"360G-champions-group-{strange.id}", "name": "Zoë’s Crèche 東京 🎗"}
    assert grants[f"360G-champions-{huge.id}"]["amountAwarded"] == 21_474_836.47
    assert "plannedDates" not in grants[f"360G-champions-{odd.id}"]
    assert "beneficiaryLocation" not in grants[f"360G-champions-{odd.id}"]
    rows = _csv(client, f"/grants/360giving/rounds/{round_.id}/grants.csv")
    by_id = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert by_id[f"360G-champions-{strange.id}"]["Title"] == "'" + g["title"]  # a formula is guarded
    assert by_id[f"360G-champions-{huge.id}"]["Amount Awarded"] == "21474836.47"


def test_a_numbers_published_as_it_is_known_and_the_identifier_follows_the_org_id_rules(client, auth, make, db):
    from champions.grants.services.groups import GroupDetails

    round_ = make.round()
    charity = make.application(
        round=round_, status="approved", group=GroupDetails("Tea Trust", "charity", "1234567", "BL1 1AA")
    )
    charity.organisation = None
    scottish = make.application(
        round=round_, status="approved", group=GroupDetails("Ceilidh", "charity", "SC012345", "BL1 1AA")
    )
    scottish.organisation = None
    company = make.application(
        round=round_, status="approved", group=GroupDetails("Sparks CIC", "cic", "09876543", "BL1 1AA")
    )
    company.organisation = None
    registered = make.application(round=round_, status="approved")
    registered.organisation.charity_number = "7654321"
    confirmed = make.application(round=round_, status="approved")
    db.session.commit()
    auth.login_as("staff")
    package = _json(client, f"/grants/360giving/rounds/{round_.id}/grants.json")
    assert errors(package) == []
    orgs = {g["id"]: g["recipientOrganization"][0] for g in package["grants"]}
    assert orgs[f"360G-champions-{charity.id}"] == {
        "id": "GB-CHC-1234567",
        "name": "Tea Trust",
        "charityNumber": "1234567",
    }
    assert orgs[f"360G-champions-{scottish.id}"]["id"] == "GB-SC-SC012345"
    assert orgs[f"360G-champions-{company.id}"] == {
        "id": "GB-COH-09876543",
        "name": "Sparks CIC",
        "companyNumber": "09876543",
    }
    assert orgs[f"360G-champions-{registered.id}"] == {
        "id": "GB-CHC-7654321",
        "name": registered.organisation.name,
        "charityNumber": "7654321",
    }
    assert orgs[f"360G-champions-{confirmed.id}"] == {
        "id": f"360G-champions-org-{confirmed.organisation_id}",
        "name": confirmed.organisation.name,
    }


def test_identifiers_use_the_configured_prefix_and_the_funders_configured_org_id(
    client, auth, make, db, app, monkeypatch
):
    monkeypatch.setitem(app.config, "THREESIXTYGIVING_PREFIX", "gmcancer")
    monkeypatch.setitem(app.config, "THREESIXTYGIVING_FUNDER_IDS", {"Greater Manchester Cancer": "GB-CHC-1111111"})
    monkeypatch.setitem(app.config, "THREESIXTYGIVING_PUBLISHER_ID", "GB-COH-22222222")
    award = make.application(status="approved")
    auth.login_as("staff")
    package = _json(client, f"/grants/360giving/funds/{award.round.fund_id}/grants.json")
    assert errors(package) == []
    (grant,) = package["grants"]
    assert grant["id"] == f"360G-gmcancer-{award.id}"
    assert grant["fundingOrganization"] == [{"id": "GB-CHC-1111111", "name": "Greater Manchester Cancer"}]
    assert grant["recipientOrganization"][0]["id"] == f"360G-gmcancer-org-{award.organisation_id}"
    assert grant["grantProgramme"][0]["code"] == f"gmcancer-round-{award.round_id}"
    assert package["publisher"]["identifier"] == "GB-COH-22222222"
    monkeypatch.setitem(app.config, "THREESIXTYGIVING_FUNDER_IDS", {})
    unlisted = _json(client, f"/grants/360giving/funds/{award.round.fund_id}/grants.json")["grants"][0]
    assert unlisted["fundingOrganization"][0]["id"] == "360G-gmcancer-funder-greater-manchester-cancer"


def test_beneficiary_locations_are_the_boroughs_with_their_ons_codes(client, auth, make, db):
    award = make.application(status="approved")
    award.boroughs = list(db.session.scalars(select(Borough)))
    db.session.commit()
    auth.login_as("staff")
    package = _json(client, f"/grants/360giving/rounds/{award.round_id}/grants.json")
    assert errors(package) == []
    places = package["grants"][0]["beneficiaryLocation"]
    assert {p["name"]: p["geoCode"] for p in places} == ONS
    assert {(p["geoCodeType"], p["countryCode"]) for p in places} == {("LAD", "GB")}
    header, *rows = _csv(client, f"/grants/360giving/rounds/{award.round_id}/grants.csv")
    row = dict(zip(header, rows[0], strict=True))
    assert {
        row[f"Beneficiary Location:{n}:Name"]: row[f"Beneficiary Location:{n}:Geographic Code"] for n in range(10)
    } == ONS
    assert "Beneficiary Location:10:Name" not in header


def test_the_flat_csv_has_the_standards_columns_and_numbers_stay_numbers(client, auth, make, db):
    award = make.application(status="paid_part", award_pence=120_050)
    auth.login_as("staff")
    text = _download(client, f"/grants/360giving/rounds/{award.round_id}/grants.csv").get_data(as_text=True)
    header, row = list(csv.reader(io.StringIO(text)))
    assert header == [
        "Identifier",
        "Title",
        "Description",
        "Currency",
        "Amount Applied For",
        "Amount Awarded",
        "Amount Disbursed",
        "Award Date",
        "Planned Dates:Start Date",
        "Planned Dates:End Date",
        "Recipient Org:Identifier",
        "Recipient Org:Name",
        "Recipient Org:Charity Number",
        "Recipient Org:Company Number",
        "Funding Org:Identifier",
        "Funding Org:Name",
        "Grant Programme:Code",
        "Grant Programme:Title",
        "From An Open Call?",
        "Beneficiary Location:0:Name",
        "Beneficiary Location:0:Country Code",
        "Beneficiary Location:0:Geographic Code",
        "Beneficiary Location:0:Geographic Code Type",
        "Last Modified",
    ]
    values = dict(zip(header, row, strict=True))
    assert values["Amount Awarded"] == "1200.5" and values["Amount Disbursed"] == "600.25"
    assert f",{values['Amount Applied For']},1200.5,600.25," in text  # unquoted numbers, not text
    assert values["Currency"] == "GBP" and values["Beneficiary Location:0:Geographic Code"] == "E08000001"
    assert values["Award Date"] == uk_date(as_utc(award.decided_at)).isoformat()
    assert "Jo Bloggs" not in text and "jo@example.org" not in text


def test_a_grant_to_an_individual_is_not_published_and_a_title_naming_the_contact_is_replaced(client, auth, make, db):
    round_ = make.round()
    person = make.application(round=round_, status="approved", group="Jo Bloggs")
    person.organisation = None
    named = make.application(round=round_, status="approved", title="Jo Bloggs's tea mornings")
    emailed = make.application(round=round_, status="approved", title="Tea: write to jo@example.org")
    db.session.commit()
    auth.login_as("staff")
    package = _json(client, f"/grants/360giving/rounds/{round_.id}/grants.json")
    assert errors(package) == []
    grants = {g["id"]: g for g in package["grants"]}
    assert f"360G-champions-{person.id}" not in grants
    assert grants[f"360G-champions-{named.id}"]["title"] == f"Grant to {named.organisation.name}"
    assert grants[f"360G-champions-{emailed.id}"]["title"] == f"Grant to {emailed.organisation.name}"
    assert "Jo Bloggs" not in json.dumps(package) and "jo@example.org" not in json.dumps(package)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "grant.threesixty_exported"))
    assert event.details == {"form": "json", "grants": 2, "withheld": 1} and event.target_id == str(round_.id)


def test_funders_download_only_their_own_funds(client, make, db):
    mine, theirs = make.user(role="funder"), make.user(role="funder")
    own = make.application(round=make.round(fund=make.fund("Ours", funders=[mine])), status="approved")
    other = make.application(round=make.round(fund=make.fund("Theirs", funders=[theirs])), status="approved")
    login(client, mine)
    for url in (
        f"/grants/360giving/funds/{own.round.fund_id}/grants.json",
        f"/grants/360giving/funds/{own.round.fund_id}/grants.csv",
        f"/grants/360giving/rounds/{own.round_id}/grants.json",
        f"/grants/360giving/rounds/{own.round_id}/grants.csv",
    ):
        assert client.get(url).status_code == 200, url
    for url in (
        f"/grants/360giving/funds/{other.round.fund_id}/grants.json",
        f"/grants/360giving/funds/{other.round.fund_id}/grants.csv",
        f"/grants/360giving/rounds/{other.round_id}/grants.json",
        f"/grants/360giving/rounds/{other.round_id}/grants.csv",
        "/grants/360giving/funds/999999/grants.json",
        "/grants/360giving/rounds/999999/grants.csv",
    ):
        assert client.get(url).status_code == 404, url
    page = client.get(f"/grants/funder/funds/{own.round.fund_id}").get_data(as_text=True)
    assert f"/grants/360giving/rounds/{own.round_id}/grants.json" in page
    exported = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "grant.threesixty_exported")).all()
    assert len(exported) == 4 and {e.actor_id for e in exported} == {mine.id}


def test_applicants_and_reviewers_are_refused(client, auth, make):
    award = make.application(status="approved")
    for role in ("applicant", "reviewer", "champion"):
        auth.login_as(role)
        assert client.get(f"/grants/360giving/rounds/{award.round_id}/grants.json").status_code == 403
        assert client.get(f"/grants/360giving/funds/{award.round.fund_id}/grants.csv").status_code == 403


def test_a_round_without_awards_says_so_and_records_nothing(client, auth, make, db):
    draft = make.application(status="under_review")
    auth.login_as("staff")
    response = client.get(f"/grants/360giving/rounds/{draft.round_id}/grants.json", follow_redirects=True)
    assert response.request.path == f"/grants/staff/rounds/{draft.round_id}"
    assert "There are no awarded grants to publish yet" in response.get_data(as_text=True)
    assert "Publish the awards" not in response.get_data(as_text=True)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "grant.threesixty_exported")) is None


def test_a_malformed_prefix_or_funder_identifier_stops_the_app_starting(monkeypatch):
    import config

    monkeypatch.setenv("THREESIXTYGIVING_PREFIX", "gm cancer; drop")
    with pytest.raises(config.ConfigError, match="THREESIXTYGIVING_PREFIX"):
        config._threesixty_prefix()
    monkeypatch.setenv("THREESIXTYGIVING_PREFIX", "gm-cancer2")
    assert config._threesixty_prefix() == "gm-cancer2"
    monkeypatch.setenv("THREESIXTYGIVING_FUNDER_IDS", "A funder=GB-CHC-123; Another, Ltd=GB-COH-SC123456;")
    assert config._org_ids("THREESIXTYGIVING_FUNDER_IDS") == {
        "A funder": "GB-CHC-123",
        "Another, Ltd": "GB-COH-SC123456",
    }
    for bad in ("GB-CHC-123", "A funder=", "=GB-CHC-1", "A funder=not an id"):
        monkeypatch.setenv("THREESIXTYGIVING_FUNDER_IDS", bad)
        with pytest.raises(config.ConfigError, match="THREESIXTYGIVING_FUNDER_IDS"):
            config._org_ids("THREESIXTYGIVING_FUNDER_IDS")
