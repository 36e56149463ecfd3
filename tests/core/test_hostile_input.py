"""Input anyone can send answers with a message, never a server error (issue 13, item 7).

Each case here was a 500 before: the shared mechanisms in core/forms.py (the base form's
``sane_value``, ``db_id``, ``parse_day``, ``parse_pounds``, ``search_text``, what a form reads from a
request) and the nudge template sandbox are what now turn them into messages.
"""

from __future__ import annotations

import html
import io

import pytest
from sqlalchemy import func, select

from champions.activities.models import Activity
from champions.core.forms import db_id, parse_day, parse_pounds
from champions.core.models import AuditEvent
from champions.grants.models import Application, Round
from champions.nudges import sandbox
from tests.grants.test_views import form_for, login
from tests.nudges.conftest import rule_form, rules_fixture  # noqa: F401 (the rules fixture)

HUGE_ID = str(10**23)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_topic_not_in_the_list_is_refused_with_a_message(client, auth, db):
    register = client.post("/register", data={"topics": "not-a-topic", "email": "x@example.org"})
    assert register.status_code == 400 and "Choose from the list" in text(register)
    user = auth.login_as("champion")
    response = client.post("/me/preferences/topics", data={"topics": ["smoking", "not-a-topic"]})
    assert response.status_code == 302
    db.session.refresh(user.champion)
    assert user.champion.topics == []


@pytest.mark.parametrize("amount", ["1e308", "1" + "0" * 23, "NaN", "-inf"])
def test_an_absurd_amount_requested_is_refused_with_a_message(client, make, db, amount):
    round_ = make.round()
    login(client, make.user(role="applicant"))
    response = client.post(
        f"/grants/rounds/{round_.id}/apply", data=form_for(group_name="Knit", amount_requested=amount)
    )
    assert response.status_code == 400
    assert "up to £10,000,000" in text(response)
    assert count(db, Application) == 0


def test_absurd_awards_and_budgets_are_refused(client, auth, make, db):
    application = make.application(status="under_review")
    fund = application.round.fund
    auth.login_as("staff")
    response = client.post(f"/grants/staff/applications/{application.id}/approve", data={"ap-award": "1e308"})
    assert response.status_code == 400 and "up to £10,000,000" in text(response)
    rounds = count(db, Round)
    response = client.post(
        f"/grants/staff/funds/{fund.id}/rounds/new",
        data={"name": "R", "budget": "1e308", "min_award": "1", "max_award": HUGE_ID, "opens_at": "2027-03-01T09:00"},
    )
    assert response.status_code == 400 and "up to £10,000,000" in text(response)
    assert count(db, Round) == rounds


def test_huge_ids_in_a_checkbox_list_are_not_valid_choices(client, auth, make, db):
    fund = make.fund()
    auth.login_as("staff")
    response = client.post(f"/grants/staff/funds/{fund.id}", data={"funders": [HUGE_ID, "-1"]})
    assert response.status_code == 400 and "Select funders from the list" in text(response)
    db.session.expire_all()
    assert fund.funders == []


@pytest.mark.parametrize("query", ["rule=abc", f"before={HUGE_ID}", "status=nope", "rule=" + "9" * 40])
def test_bad_message_filters_are_ignored(client, auth, query):
    auth.login_as("staff")
    response = client.get(f"/staff/nudges/messages?{query}")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "url", ["/staff/outbox?to=", "/admin/users?email=", "/staff/organisations?q=", "/admin/audit?who="]
)
def test_a_huge_search_is_cut_to_size(client, auth, db, url):
    from champions.core.models import OutboxMessage
    from tests.workshops.helpers import make_org

    # SQLite refuses a long LIKE pattern only when a row is there to compare.
    db.session.add(OutboxMessage(to_address="someone@example.org", subject="Hello", text_body="Hi"))
    make_org(db, "Bolton Walkers")
    auth.login_as("admin")
    assert client.get(url + "x" * 100_000).status_code == 200


@pytest.mark.parametrize("query", ["to=9999-12-31", "from=0001-01-01", "to=2023-02-30"])
def test_engagement_dates_out_of_range_are_a_bad_request(client, auth, query):
    auth.login_as("staff")
    assert client.get(f"/staff/engagement?{query}").status_code == 400
    assert client.get(f"/staff/engagement.csv?{query}").status_code == 400


def test_audit_and_roster_dates_out_of_range_get_a_message(client, auth):
    auth.login_as("admin")
    audit = client.get("/admin/audit?end=9999-12-31")
    assert audit.status_code == 400 and "Enter a real date" in text(audit)
    roster = client.get(f"/staff/champions?registered_to=9999-12-31&organisation={HUGE_ID}")
    assert roster.status_code in (200, 400) and "must be a real date" in text(roster)


@pytest.mark.parametrize("value", ["a\x00b", "bell\x07", "esc\x1b[31m"])
def test_control_characters_in_any_text_field_are_refused_with_a_message(client, auth, db, value):
    auth.login_as("champion")
    data = {"type": "conversation", "occurred_on": "2026-01-15", "borough_code": "bolton"}
    data |= {"topic_code": "smoking", "people_reached": "2", "notes": value}
    response = client.post("/me/activities/new", data=data)
    assert response.status_code in (200, 400)
    assert "Remove the control characters" in text(response)
    assert count(db, Activity) == 0


def test_a_file_posted_in_place_of_a_text_field_is_not_read_as_text(client, auth, db):
    auth.login_as("champion")
    files = {"notes": (io.BytesIO(b"\x00\xff"), "x.csv"), "people_reached": (io.BytesIO(b"1"), "n.txt")}
    response = client.post("/me/activities/new", data=files, content_type="multipart/form-data")
    assert response.status_code in (200, 400)
    assert count(db, Activity) == 0


@pytest.mark.parametrize(
    "template",
    ['{% include "layout.html" %}', '{% import "forms.html" as f %}', '{% extends "layout.html" %}', "{{ 1 / 0 }}"],
)
def test_a_nudge_template_that_reaches_out_or_fails_is_refused_when_saved(client, auth, db, rules, template):
    auth.login_as("staff")
    rule = rules["keep-going"]
    response = client.post(f"/staff/nudges/{rule.id}", data=rule_form(rule, subject="Hi", body_text=template))
    assert response.status_code == 400 and "This template cannot be used" in text(response)
    db.session.refresh(rule)
    assert rule.body_text != template


def test_a_stored_template_that_reaches_out_fails_as_a_template_error():
    from jinja2 import TemplateError

    for source in ['{% include "layout.html" %}', '{% from "forms.html" import select %}', "{{ 'x' * 10**9 }}"]:
        with pytest.raises(TemplateError):
            sandbox.render(source, {})


def test_the_shared_parsers_refuse_what_the_database_cannot_hold():
    assert db_id("42") == 42
    for bad in (HUGE_ID, "0", "-3", "1e3", "abc", "²"):
        with pytest.raises(ValueError):
            db_id(bad)
    assert parse_day("2027-03-01").year == 2027 and parse_day("") is None
    for bad in ("9999-12-31", "2023-02-30", "0001-01-01"):
        with pytest.raises(ValueError):
            parse_day(bad)
    assert parse_pounds("1,300.50") == 130_050 and parse_pounds("10000000") == 1_000_000_000
    assert [parse_pounds(v) for v in ("1e308", "10000000.01", "NaN", "inf", "-1", "1.001")] == [None] * 6


@pytest.mark.parametrize(
    "url",
    [
        "/staff/champions?q=a%00b&recruited_by=%00&borough=%00&after=a%00~1&sort=name",
        "/staff/outbox?to=a%00b",
        "/admin/users?email=a%00b",
        "/staff/organisations?q=a%00b",
        "/admin/audit?who=a%00b&action=%00",
    ],
)
def test_nul_in_a_list_filter_is_dropped(client, auth, make, url):
    # PostgreSQL refuses NUL in any text parameter: this failed there before search_text.
    make.champion()
    auth.login_as("admin")
    assert client.get(url).status_code == 200


def test_superscript_digits_are_not_whole_numbers():
    # "²".isdigit() is true but int("²") raises: a whole-number answer of "²" must be refused, not a 500.
    from wtforms.validators import ValidationError

    from champions.grants.forms import WholeNumber, whole

    assert whole("²") is None

    class Field:
        data = "²"

    with pytest.raises(ValidationError):
        WholeNumber("Enter a whole number")(None, Field())


def test_a_nul_in_the_engagement_borough_filter_is_not_a_server_error(client, auth):
    # The borough went to SQL as typed: PostgreSQL refuses NUL in a string (a 500 there).
    auth.login_as("staff")
    assert client.get("/staff/engagement?borough=man%00chester").status_code == 200


def test_closing_an_application_stores_no_reason_from_the_request(client, auth, make, db):
    application = make.application(status="declined")
    auth.login_as("staff")
    response = client.post(f"/grants/staff/applications/{application.id}/close", data={"reason": "bad\x00reason"})
    assert response.status_code == 302
    db.session.refresh(application)
    assert application.status == "closed"
    closing = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "grant.status").order_by(AuditEvent.id)
    ).all()[-1]
    assert closing.details["to_status"] == "closed" and closing.details["reason"] is None


@pytest.mark.parametrize("theme", ["x" * 101, "Not one of the round's"])
def test_a_draft_with_a_theme_not_in_the_round_is_refused_with_a_message(client, make, db, theme):
    # Saving a draft checked the theme against the round only on submission: a huge one reached the
    # database (a 500 on PostgreSQL, which refuses it for the 100-character column).
    round_ = make.round()
    login(client, make.user(role="applicant"))
    data = form_for(group_name="Knit", theme=theme, action="save")
    response = client.post(f"/grants/rounds/{round_.id}/apply", data=data)
    assert response.status_code == 400 and "Select one of the round's themes" in text(response)
    assert count(db, Application) == 0


def test_a_round_theme_longer_than_an_application_holds_is_refused(client, auth, make, db):
    # Else every application choosing it is a 500 on PostgreSQL (or it is cut to fit without a word).
    fund = make.fund()
    auth.login_as("staff")
    data = {
        "name": "Round 2",
        "budget": "30,000",
        "min_award": "500",
        "max_award": "2000",
        "themes": "Screening\n" + "x" * 101,
        "boroughs": ["bolton"],
        "opens_at": "2027-03-01T09:00",
        "closes_at": "2027-04-01T17:00",
        "reviewers_per_application": "2",
        "criteria": "Reach: 3",
    }
    response = client.post(f"/grants/staff/funds/{fund.id}/rounds/new", data=data)
    assert response.status_code == 400 and "Keep each theme to 100 characters or fewer" in text(response)
    assert count(db, Round) == 0
    data["themes"] = "Screening\n" + "x" * 100
    assert client.post(f"/grants/staff/funds/{fund.id}/rounds/new", data=data).status_code == 302


def test_a_borough_not_in_the_list_is_refused_with_a_message(client, make, db):
    # An unknown code was dropped silently, so an application with no borough at all was accepted as eligible.
    round_ = make.round()
    login(client, make.user(role="applicant"))
    response = client.post(f"/grants/rounds/{round_.id}/apply", data=form_for(group_name="Knit", boroughs=["atlantis"]))
    assert response.status_code == 400 and "Select the boroughs from the list" in text(response)
    assert count(db, Application) == 0


def test_a_budget_line_error_is_shown_in_words_and_linked_to_its_field(client, make, db):
    round_ = make.round()
    login(client, make.user(role="applicant"))
    data = form_for(group_name="Knit", **{"budget_lines-0-amount": "1e308"})
    page = text(client.post(f"/grants/rounds/{round_.id}/apply", data=data))
    summary = page[page.index("There is a problem") :].split("</ul>")[0]
    assert "{'amount'" not in page and 'href="#budget_lines-0-amount"' in summary
    assert summary.count("<li>") == 1


def test_each_field_shows_one_message(client, auth, db, rules):
    # WTForms kept its generic "Not a valid integer value." beside the field's own message.
    auth.login_as("staff")
    page = text(client.post("/staff/nudges/new", data=rule_form(rules["verify-email"], name="New", days="1e308")))
    assert "Not a valid integer value" not in page and "Enter a number from 1 to 365" in page


def test_a_whole_number_field_without_a_message_of_its_own_still_speaks_plainly(app):
    from wtforms import IntegerField

    from champions.core.forms import BaseForm

    class Count(BaseForm):
        class Meta:
            csrf = False

        people = IntegerField("People")

    with app.test_request_context("/", method="POST", data={"people": "lots"}):
        form = Count()
        assert not form.validate() and form.people.errors == ["Enter a whole number, like 12"]


@pytest.mark.parametrize("digits", ["\u0663", "\u0969", "\uff13"])  # 3 in Arabic-Indic, Devanagari, full width
def test_a_number_typed_in_another_scripts_digits_is_refused_with_a_message(client, auth, db, digits):
    """Python reads "٣" as 3; a whole-number field takes the digits 0 to 9 only, as the date boxes do."""
    auth.login_as("champion")
    data = {"type": "conversation", "occurred_on": "2026-01-15", "borough_code": "bolton"}
    data |= {"topic_code": "smoking", "people_reached": digits}
    response = client.post("/me/activities/new", data=data)
    assert response.status_code == 400
    assert "Type the number with the digits 0 to 9" in text(response)
    assert count(db, Activity) == 0
