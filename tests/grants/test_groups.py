"""The applicant's group: typed, not chosen from the register; matched for staff to confirm; one application per
group per round unless staff allow more; and every mistake in the form a sentence by its field."""

from __future__ import annotations

import html
import re
import threading
from datetime import datetime
from urllib.parse import urljoin, urlparse

import pytest
from sqlalchemy import func, select

from champions import create_app
from champions.accounts.models import User
from champions.core.models import AuditEvent
from champions.extensions import db as _db
from champions.grants.models import Application, Round
from champions.grants.services import applications, groups
from champions.grants.services.groups import ONE_PER_ROUND, GroupDetails
from champions.grants.services.lifecycle import GrantError
from champions.organisations.models import Organisation
from champions.organisations.services import create_organisation
from tests.conftest import only_on_postgres, only_on_sqlite
from tests.grants.test_views import form_for, login

ONE_PER_ROUND_HTML = html.escape(ONE_PER_ROUND)


@pytest.fixture(autouse=True)
def _frozen(clock):
    clock.set(datetime(2026, 11, 2, 10, 0))


def page_of(response) -> str:
    return response.get_data(as_text=True)


def error_of(page: str, field: str) -> str | None:
    """The message shown by ``field`` (the NHS.UK error message in the field's group), or None."""
    match = re.search(
        rf'<span class="nhsuk-error-message" id="{re.escape(field)}-error">\s*'
        r'<span class="nhsuk-u-visually-hidden">Error: </span>(.*?)\s*</span>',
        page,
        re.S,
    )
    return html.unescape(match.group(1)) if match else None


def apply(client, round_, **values):
    return client.post(f"/grants/rounds/{round_.id}/apply", data=form_for(**values))


def submitted(db, round_) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Application)
        .where(Application.round_id == round_.id, Application.status != "draft")
    )


# Matching ------------------------------------------------------------------------------------------------------


def _typed(make, round_, **group) -> Application:
    details = GroupDetails(**{"name": "Someone", "type": "constituted", **group})
    return applications.save_draft(round_, make.user(role="applicant"), make.application_data(details))


def test_the_typed_details_are_matched_by_number_else_by_name_and_postcode(make, db):
    round_ = make.round()
    by_number = create_organisation("Hulme Knitters", type="charity", charity_number="1123456", postcode="M15 5AB")
    by_name = create_organisation("The Moss Side Choir Ltd", type="grassroots", postcode="M16 7AA")
    create_organisation("Gorton Walkers", type="grassroots", postcode="M18 8AA")

    match, why = groups.proposed_match(_typed(make, round_, name="Anything at all", number="1123 456"))
    assert (match, why) == (by_number, "the same charity or company number")
    match, why = groups.proposed_match(_typed(make, round_, name="moss side choir", postcode="m167aa"))
    assert (match, why) == (by_name, "the same name and postcode")
    # The same name somewhere else, or no postcode, is not proposed: staff choose.
    assert groups.proposed_match(_typed(make, round_, name="Gorton Walkers", postcode="M12 4AA")) == (None, "")
    assert groups.proposed_match(_typed(make, round_, name="Gorton Walkers")) == (None, "")


def test_a_merged_organisation_is_never_proposed(make, db):
    round_ = make.round()
    kept = create_organisation("Kept", type="grassroots")
    gone = create_organisation("Old Name", type="grassroots", charity_number="1123456")
    gone.merged_into_id = kept.id
    assert groups.proposed_match(_typed(make, round_, number="1123456")) == (None, "")


# What an applicant sees ----------------------------------------------------------------------------------------


def test_an_applicants_group_is_kept_as_typed_and_nothing_is_added_to_the_register(client, auth, make, db):
    round_ = make.round()
    create_organisation("Bolton Knitters", type="grassroots", postcode="BL1 1AA")
    auth.login_as("applicant")
    form = page_of(client.get(f"/grants/rounds/{round_.id}/apply"))
    assert "Bolton Knitters" not in form and 'name="group_name"' in form and "<select" not in form.split("boroughs")[0]
    response = apply(client, round_, group_name="Bolton  Knitters", group_number="1123456", group_postcode="bl11aa")
    assert response.status_code == 302, page_of(response)[:2000]
    application = db.session.scalar(select(Application))
    assert (application.group_name, application.group_number, application.group_postcode) == (
        "Bolton  Knitters",
        "1123456",
        "BL1 1AA",
    )
    assert application.organisation_id is None and db.session.query(Organisation).count() == 1


def test_no_register_name_the_applicant_did_not_type_appears_on_any_applicant_page(client, db):
    from champions.demo.seed import seed

    seed(count=120)
    db.session.commit()
    applicant = db.session.scalar(select(User).where(User.email == "applicant@champions.example"))
    typed = set(db.session.scalars(select(Application.group_name).where(Application.applicant_id == applicant.id)))
    hidden = set(db.session.scalars(select(Organisation.name))) - typed
    assert len(hidden) > 50
    response = client.post("/login", data={"email": applicant.email, "password": "demo-applicant-pass"})
    assert response.status_code == 302
    seen, queue = set(), ["/", "/grants", "/grants/my"]
    while queue and len(seen) < 60:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        assert response.status_code < 500, path
        if response.status_code != 200 or not response.mimetype.startswith("text"):
            continue
        text = html.unescape(page_of(response))
        shown = sorted(name for name in hidden if name in text)
        assert not shown, (path, shown)
        for href in re.findall(r'href="([^"#]+)', page_of(response)):
            url = urlparse(urljoin(path, html.unescape(href)))
            if not url.netloc and url.path.startswith(("/grants", "/me", "/account")) and "logout" not in url.path:
                queue.append(url.path + (f"?{url.query}" if url.query else ""))
    assert any(p.startswith("/grants/rounds/") for p in seen) and any(re.match(r"/grants/my/\d+$", p) for p in seen)


def test_an_applicant_sees_their_own_earlier_details_never_the_registers(client, make, db):
    applicant = make.user(role="applicant")
    old_round, new_round = make.round(name="Autumn"), make.round(name="Spring")
    earlier = make.application(
        round=old_round,
        applicant=applicant,
        group=GroupDetails("Our Knit Club", "informal", None, "BL3 4AA", "https://knit.example.org"),
    )
    earlier.organisation.name = "Register Name For Staff Only"
    db.session.commit()
    login(client, applicant)
    page = page_of(client.get(f"/grants/rounds/{new_round.id}/apply"))
    assert 'value="Our Knit Club"' in page and 'value="BL3 4AA"' in page and "https://knit.example.org" in page
    assert "Register Name For Staff Only" not in page
    assert "Register Name For Staff Only" not in page_of(client.get("/grants/my"))
    assert "Register Name For Staff Only" not in page_of(client.get(f"/grants/my/{earlier.id}"))
    # Someone else's earlier application fills in nothing.
    client.post("/logout")
    login(client, make.user(role="applicant"))
    assert "Our Knit Club" not in page_of(client.get(f"/grants/rounds/{new_round.id}/apply"))


# Staff confirm the group ---------------------------------------------------------------------------------------


def _submitted_by_applicant(client, make, round_, **values) -> Application:
    login(client, make.user(role="applicant"))
    assert apply(client, round_, **values).status_code == 302
    client.post("/logout")
    return _db.session.scalar(select(Application).order_by(Application.id.desc()))


def test_staff_see_the_proposed_match_and_confirm_it(client, auth, make, db):
    round_ = make.round()
    org = create_organisation("Bolton Knitters", type="grassroots", postcode="BL1 1AA")
    db.session.commit()
    application = _submitted_by_applicant(client, make, round_, group_name="bolton knitters")
    auth.login_as("staff")
    page = page_of(client.get(f"/grants/staff/applications/{application.id}"))
    assert "Bolton Knitters" in page and "the same name and postcode" in page and "Not confirmed yet" in page
    response = client.post(f"/grants/staff/applications/{application.id}/group", data={"gm-choice": "match"})
    assert response.status_code == 302
    db.session.expire_all()
    assert application.organisation_id == org.id and application.group_name == "bolton knitters"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "grant.organisation_confirmed"))
    assert event.target_id == str(application.id) and event.details["organisation_id"] == org.id


def test_staff_choose_another_organisation_or_are_told_why_not(client, auth, make, db):
    round_ = make.round()
    other = create_organisation("Farnworth Friends", type="grassroots")
    merged = create_organisation("Gone", type="grassroots")
    merged.merged_into_id = other.id
    db.session.commit()
    application = _submitted_by_applicant(client, make, round_)
    auth.login_as("staff")
    url = f"/grants/staff/applications/{application.id}/group"
    for data, message in [
        ({}, "Choose the proposed match, another organisation, or to add a new one"),
        ({"gm-choice": "match"}, "Choose the proposed match, another organisation, or to add a new one"),  # none
        ({"gm-choice": "other"}, "Choose the organisation from the list"),
        ({"gm-choice": "other", "gm-organisation_id": str(merged.id)}, "Choose the organisation from the list"),
        ({"gm-choice": "other", "gm-organisation_id": "99999999999999"}, "Choose the organisation from the list"),
        ({"gm-choice": "other", "gm-organisation_id": "1\x00"}, "Choose the organisation from the list"),
    ]:
        response = client.post(url, data=data)
        assert response.status_code == 400 and message in html.unescape(page_of(response)), data
    db.session.expire_all()
    assert application.organisation_id is None
    response = client.post(url, data={"gm-choice": "other", "gm-organisation_id": str(other.id)})
    assert response.status_code == 302
    db.session.expire_all()
    assert application.organisation_id == other.id


def test_staff_add_the_group_to_the_register_from_its_details(client, auth, make, db):
    round_ = make.round()
    application = _submitted_by_applicant(
        client,
        make,
        round_,
        group_name="Little Lever Lunch Club",
        group_type="charity",
        group_number="SC012345",
        group_website="https://lunch.example.org",
    )
    auth.login_as("staff")
    response = client.post(f"/grants/staff/applications/{application.id}/group", data={"gm-choice": "new"})
    assert response.status_code == 302
    db.session.expire_all()
    org = application.organisation
    assert (org.name, org.type, org.charity_number, org.postcode, org.website) == (
        "Little Lever Lunch Club",
        "charity",
        "SC012345",
        "BL1 1AA",
        "https://lunch.example.org",
    )
    assert [b.code for b in org.boroughs] == ["bolton"]
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"organisation.created", "grant.organisation_confirmed"} <= actions


# One application per group per round ---------------------------------------------------------------------------


def test_a_second_application_from_the_same_group_is_refused_by_the_group_name(client, auth, make, db):
    round_ = make.round()
    auth.login_as("applicant")
    assert apply(client, round_, group_name="Tea Group", group_number="1123456").status_code == 302
    # The same group again: by name and postcode (in any spelling), or by number whatever the name.
    for values in [
        {"group_name": "The Tea Group Ltd", "group_postcode": "bl1 1aa"},
        {"group_name": "Quite Different", "group_postcode": "M1 1AE", "group_number": "1123 456"},
    ]:
        response = apply(client, round_, **values)
        page = page_of(response)
        assert response.status_code == 400
        assert error_of(page, "group_name") == ONE_PER_ROUND and 'href="#group_name"' in page
        assert 'value="Tea and talk"' in page  # what was typed is kept
    assert submitted(db, round_) == 1
    # Another round, or another group, is fine; and drafts never count.
    assert apply(client, make.round(name="Other"), group_name="Tea Group").status_code == 302
    assert apply(client, round_, group_name="Other Group").status_code == 302
    assert apply(client, round_, action="draft").status_code == 302
    assert apply(client, round_, action="draft").status_code == 302


def test_a_group_staff_confirmed_is_the_same_group_whatever_it_typed(client, auth, make, db):
    round_ = make.round()
    org = create_organisation("Bolton Knitters", type="grassroots", postcode="BL4 7AA", charity_number="1170000")
    db.session.commit()
    first = _submitted_by_applicant(client, make, round_, group_name="Knit Club")
    db.session.get(Application, first.id).organisation_id = org.id
    db.session.commit()
    login(client, make.user(role="applicant"))
    response = apply(client, round_, group_name="Bolton Knitters", group_postcode="BL4 7AA")
    assert response.status_code == 400 and error_of(page_of(response), "group_name") == ONE_PER_ROUND
    response = apply(client, round_, group_name="Anyone", group_number="1170000")
    assert response.status_code == 400 and error_of(page_of(response), "group_name") == ONE_PER_ROUND


def test_staff_can_allow_a_group_more_applications_in_a_round(client, auth, make, db):
    round_ = make.round()
    first = _submitted_by_applicant(client, make, round_)
    staff = auth.login_as("staff")
    url = f"/grants/staff/applications/{first.id}/group-limit"
    for bad, message in [
        ("0", "Enter a number from 1 to 20"),
        ("21", "Enter a number from 1 to 20"),
        ("-2", "Enter a whole number, like 2"),
        ("1e308", "Enter a whole number, like 2"),
        ("", "Enter how many applications this group may send to this round"),
        ("2\x00", "Enter a whole number, like 2"),
    ]:
        response = client.post(url, data={"gl-allowed": bad})
        assert response.status_code == 400 and message in page_of(response), bad
    assert client.post(url, data={"gl-allowed": ["2", "9"]}).status_code == 302  # given twice: the first counts
    db.session.expire_all()
    assert first.group_limit == 2
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "grant.group_limit_changed"))
    assert event.actor_id == staff.id and event.details == {"before": 1, "after": 2}
    client.post("/logout")
    login(client, make.user(role="applicant"))
    assert apply(client, round_).status_code == 302  # the second is allowed
    response = apply(client, round_)  # the third is not
    assert response.status_code == 400 and error_of(page_of(response), "group_name") == ONE_PER_ROUND
    assert submitted(db, round_) == 2


def _submit_all_at_once(app, round_id: int, applicant_ids: list[int], make) -> list[str]:
    barrier = threading.Barrier(len(applicant_ids))
    outcomes: list[str] = []

    def go(applicant_id: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                round_ = _db.session.get_one(Round, round_id)
                applicant = _db.session.get_one(User, applicant_id)
                applications.submit(round_, make.application_data("Same Group"), applicant)
                _db.session.commit()
                outcomes.append("submitted")
            except GrantError as error:
                _db.session.rollback()
                outcomes.append(error.message)
            except Exception as error:  # noqa: BLE001  (shown by the assertion, not lost in a thread)
                _db.session.rollback()
                outcomes.append(repr(error))
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=go, args=(i,)) for i in applicant_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return outcomes


def _check_one_got_through(app, make, db):
    round_ = make.round()
    ids = [make.user(role="applicant").id for _ in range(6)]
    db.session.commit()
    outcomes = _submit_all_at_once(app, round_.id, ids, make)
    assert outcomes.count("submitted") == 1 and outcomes.count(ONE_PER_ROUND) == 5, outcomes
    db.session.rollback()  # a fresh look, after the threads' commits
    assert submitted(db, round_) == 1


def test_concurrent_submissions_from_one_group_let_one_through_on_sqlite(app, make, db):
    only_on_sqlite(app)
    serialised = create_app("testing", SQLITE_IMMEDIATE_TRANSACTIONS=True)
    try:
        _check_one_got_through(serialised, make, db)
    finally:
        with serialised.app_context():
            _db.engine.dispose()
        app.extensions["celery"].set_default()


def test_concurrent_submissions_from_one_group_let_one_through_on_postgresql(app, make, db):
    only_on_postgres(app)
    _check_one_got_through(app, make, db)


# Every mistake a sentence by its field ------------------------------------------------------------------------

HOSTILE = [
    ({"group_name": ""}, "group_name", "Enter your group's name"),
    ({"group_name": "Knit\x00ters"}, "group_name", "Remove the control characters (such as NUL) from this answer"),
    ({"group_name": "K" * 100_000}, "group_name", "Your group's name must be 200 characters or fewer"),
    ({"group_type": "hacker"}, "group_type", "Select the kind of group you are from the list"),
    ({"group_type": ""}, "group_type", "Select the kind of group you are"),
    ({"group_number": "12"}, "group_number", groups.number_problem("12")),
    ({"group_number": "1" * 5000}, "group_number", groups.number_problem("12")),
    ({"group_number": "１２３４５６７"}, "group_number", groups.number_problem("12")),  # full-width digits
    ({"group_postcode": "NOT A POSTCODE"}, "group_postcode", "Enter a real UK postcode, like M1 1AE"),
    ({"group_postcode": ""}, "group_postcode", "Enter your group's postcode"),
    ({"group_website": "javascript:alert(1)"}, "group_website", "Enter a website address starting with https://"),
    ({"group_website": "https://" + "a" * 300 + ".org"}, "group_website", "The website address must be 255"),
    ({"contact_name": "x" * 201}, "contact_name", "The contact's name must be 200 characters or fewer"),
    ({"contact_email": "not an email"}, "contact_email", "Enter an email address in the correct format"),
    ({"summary": "s" * 2001}, "summary", "The summary must be 2,000 characters or fewer"),
    ({"people_expected": "-5"}, "people_expected", "Enter a whole number, like 120"),
    ({"people_expected": "9" * 40}, "people_expected", "Enter a whole number, like 120"),
    ({"amount_requested": "-100"}, "amount_requested", "Enter an amount in pounds"),
    ({"amount_requested": "NaN"}, "amount_requested", "Enter an amount in pounds"),
    ({"amount_requested": "9" * 400}, "amount_requested", "Enter an amount in pounds"),
    ({"start_on": "2027-02-31"}, "start_on", "Enter a real date"),
    (
        {"end_on": "", "end_on-day": "31", "end_on-month": "2", "end_on-year": "2027"},
        "end_on",
        "31 February 2027 is not a real date",
    ),
    ({"budget_lines-0-amount": "-1"}, "budget_lines-0-amount", "Enter an amount in pounds"),
    ({"budget_lines-0-amount": "NaN"}, "budget_lines-0-amount", "Enter an amount in pounds"),
    ({"budget_lines-0-description": ""}, "budget_lines-0-description", "Say what this amount is for"),
    ({"budget_lines-0-description": "Room\x00"}, "budget_lines-0-description", "Remove the control characters"),
    ({"theme": "Not a theme"}, "theme", "Select one of the round's themes"),
]


@pytest.mark.parametrize(("values", "field", "message"), HOSTILE, ids=[h[1] + str(i) for i, h in enumerate(HOSTILE)])
def test_each_bad_answer_gets_a_sentence_by_its_field_and_saves_nothing(client, auth, make, db, values, field, message):
    round_ = make.round()
    auth.login_as("applicant")
    response = apply(client, round_, **values)
    page = page_of(response)
    assert response.status_code == 400
    shown = error_of(page, {"start_on": "start_on-date", "end_on": "end_on-date"}.get(field, field))
    assert shown is not None, (field, re.findall(r"nhsuk-error-message[^>]*>(.*?)</span>", page, re.S))
    if message:
        assert shown.startswith(message), shown
    # A sentence, never a Python value: no braces, brackets or quotes around a key.
    assert re.match(r"^[A-Z0-9].*[A-Za-z0-9).]$", shown) and not re.search(r"[{}\[\]]|'\w+':", shown), shown
    summary = page[page.index("There is a problem") :].split("</ul>")[0]
    assert f'href="#{field}"' in summary
    assert db.session.query(Application).count() == 0 and db.session.query(Organisation).count() == 0


def test_unicode_names_and_twice_given_fields_are_taken_as_typed(client, auth, make, db):
    round_ = make.round()
    auth.login_as("applicant")
    data = form_for(group_name="Cymdeithas Gwau 🧶 Zoë’s", group_type=["charity", "hacker"])
    data["group_number"] = ["1123456", "junk"]
    assert client.post(f"/grants/rounds/{round_.id}/apply", data=data).status_code == 302
    application = db.session.scalar(select(Application))
    assert (application.group_name, application.group_type, application.group_number) == (
        "Cymdeithas Gwau 🧶 Zoë’s",
        "charity",
        "1123456",
    )


def test_the_service_refuses_a_second_submission_from_the_same_group(make, db):
    round_ = make.round()
    applicant = make.user(role="applicant")
    applications.submit(round_, make.application_data("Knit Club"), applicant)
    with pytest.raises(GrantError) as refused:
        applications.submit(round_, make.application_data("knit club"), applicant)
    assert (refused.value.field, refused.value.message) == ("group_name", ONE_PER_ROUND)
