"""Changing a round: everything before the first submission, afterwards only what did not decide eligibility or
scores, each change audited by field; closing a round once every grant's report is approved or waived."""

from __future__ import annotations

import html
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from champions import create_app
from champions.core.models import AuditEvent
from champions.extensions import db as _db
from champions.grants.models import Round
from champions.grants.services import awards, lifecycle, reports, rounds
from champions.grants.services.lifecycle import GrantError
from tests.conftest import only_on_postgres, only_on_sqlite

NOW = datetime(2027, 2, 10, 10, 0)


@pytest.fixture(autouse=True)
def _frozen(clock):
    clock.set(NOW)


def changes(db, round_id: int) -> list[tuple]:
    found = db.session.scalars(
        select(AuditEvent.details)
        .where(AuditEvent.action == "grant.round_changed", AuditEvent.target_id == str(round_id))
        .order_by(AuditEvent.id)
    )
    return [(d["field"], d["before"], d["after"]) for d in found]


def form(round_: Round, **values) -> dict:
    """The edit form as the page fills it in, with ``values`` typed over it."""
    data = {
        "name": round_.name,
        "budget": "60000",
        "min_award": "500",
        "max_award": "2000",
        "themes": "Social isolation\nScreening",
        "boroughs": ["bolton", "oldham", "wigan"],
        "opens_at": "2027-01-31T10:00",
        "closes_at": "2027-02-20T10:00",
        "reviewers_per_application": "2",
        "criteria": "Reach: 3\nValue for money: 1",
    }
    return data | values


def test_before_any_submission_every_rule_can_change_and_each_change_is_audited(make, db):
    round_ = make.round()
    make.application(round=round_, status="draft")
    data = replace(
        rounds.current_data(round_),
        min_award_pence=40_000,
        themes=["Screening"],
        borough_codes=["bury"],
        criteria=[("Reach", 2)],
    )
    assert rounds.update_round(round_, data) == ["min_award_pence", "themes", "borough_codes", "criteria"]
    db.session.commit()
    assert [b.code for b in round_.boroughs] == ["bury"] and [(c.name, c.weight) for c in round_.criteria] == [
        ("Reach", 2)
    ]
    assert changes(db, round_.id) == [
        ("min_award", 50_000, 40_000),
        ("themes", ["Social isolation", "Screening"], ["Screening"]),
        ("boroughs", ["bolton", "oldham", "wigan"], ["bury"]),
        ("criteria", [["Reach", 3], ["Value for money", 1]], [["Reach", 2]]),
    ]


def test_after_a_submission_the_rules_that_decided_eligibility_and_scores_are_locked(make, db):
    round_ = make.round(budget_pence=500_000)
    make.application(round=round_, status="approved", amount_requested_pence=150_000)
    current = rounds.current_data(round_)
    for change, field, message in [
        ({"max_award_pence": 300_000}, "max_award", "The maximum award cannot change"),
        ({"themes": ["Screening"]}, "themes", "The themes cannot change"),
        ({"borough_codes": ["bolton"]}, "boroughs", "The eligible boroughs cannot change"),
        ({"criteria": [("Reach", 1)]}, "criteria", "The scoring criteria cannot change"),
        ({"budget_pence": 149_999}, "budget", "less than the £1,500 already awarded"),
        ({"closes_at": datetime(2027, 2, 10, 9, 0, tzinfo=UTC)}, "closes_at", "later than now"),
    ]:
        with pytest.raises(GrantError, match=message) as refused:
            rounds.update_round(round_, replace(current, **change))
        assert refused.value.field == field
        db.session.rollback()
    assert changes(db, round_.id) == []
    later = datetime(2027, 3, 1, 17, 0, tzinfo=UTC)
    data = replace(
        current, name="Round 1 (extended)", closes_at=later, budget_pence=250_000, reviewers_per_application=3
    )
    rounds.update_round(round_, data)
    db.session.commit()
    assert (round_.name, round_.budget_pence, round_.reviewers_per_application) == ("Round 1 (extended)", 250_000, 3)
    assert [c[0] for c in changes(db, round_.id)] == ["name", "budget", "closes_at", "reviewers_per_application"]


def test_the_edit_page_says_what_can_still_change_and_ignores_locked_rules_posted(client, auth, make, db):
    round_ = make.round()
    make.application(round=round_, status="eligible")
    auth.login_as("staff")
    url = f"/grants/staff/rounds/{round_.id}/edit"
    page = html.unescape(client.get(url).get_data(as_text=True))
    assert "only some of its rules can still change" in page and 'name="min_award"' not in page
    response = client.post(url, data=form(round_, name="Spring round", min_award="1", themes="Anything"))
    assert response.status_code == 302
    db.session.expire_all()
    assert (round_.name, round_.min_award_pence, round_.themes) == (
        "Spring round",
        50_000,
        ["Social isolation", "Screening"],
    )
    for bad, message in [
        ({"budget": "-5"}, "Enter an amount in pounds"),
        ({"budget": "NaN"}, "Enter an amount in pounds"),
        ({"budget": "1000"}, "must not be less than the maximum award"),
        ({"closes_at": "2027-02-30T10:00"}, "Enter a date and time"),
        ({"closes_at": "2027-02-01T10:00"}, "later than now"),
        ({"name": "x\x00y"}, "control characters"),
        ({"reviewers_per_application": "99999999999999"}, "Enter a number from 1 to 10"),
    ]:
        response = client.post(url, data=form(round_, **({"name": "Other"} | bad)))
        assert response.status_code == 400, bad
        assert message in html.unescape(response.get_data(as_text=True)), bad
    db.session.expire_all()
    assert round_.name == "Spring round" and round_.budget_pence == 6_000_000


def test_a_closed_round_cannot_be_changed(make, db):
    round_ = make.round()
    rounds.close_round(round_)
    db.session.commit()
    with pytest.raises(GrantError, match="This round is closed"):
        rounds.update_round(round_, replace(rounds.current_data(round_), name="Later"))


def test_a_round_closes_only_once_every_grants_report_is_approved_or_waived(client, auth, make, db):
    round_ = make.round()
    reported = make.application(round=round_, status="reported")
    unpaid = make.application(round=round_, status="paid_full")
    make.application(round=round_, status="declined")
    auth.login_as("staff")
    page = client.get(f"/grants/staff/rounds/{round_.id}").get_data(as_text=True)
    assert "report waiting for a decision" in page and "no report yet" in page and "Close this round" not in page
    response = client.post(f"/grants/staff/rounds/{round_.id}", data={"action": "close"})
    assert response.status_code == 400
    assert "2 grants in this round still need an end-of-grant report approved or waived" in response.get_data(
        as_text=True
    )
    db.session.expire_all()
    assert round_.closed_at is None
    reports.approve_report(reported)
    reports.waive_report(unpaid, "The group stopped meeting; the money was spent as agreed")
    db.session.commit()
    assert client.post(f"/grants/staff/rounds/{round_.id}", data={"action": "close"}).status_code == 302
    db.session.expire_all()
    assert round_.closed_at is not None
    assert client.get(f"/grants/staff/rounds/{round_.id}/edit").status_code == 200
    response = client.post(f"/grants/staff/rounds/{round_.id}/edit", data=form(round_, name="Renamed"))
    assert response.status_code == 400 and round_.name == "Round 1"


def _lower_and_approve_at_once(app, round_id: int, application_id: int) -> list[str]:
    """Lower the budget to what was awarded while another member of staff's approval is made but not yet
    committed: without the round's lock, the lower budget is checked against the awards before that one."""
    approved = threading.Event()
    outcomes: list[str] = []

    def run(change, after=None) -> None:
        with app.app_context():
            try:
                change()
                if after:
                    after()
                _db.session.commit()
                outcomes.append("done")
            except GrantError as error:
                _db.session.rollback()
                outcomes.append(error.message)
            finally:
                _db.session.remove()

    def lower() -> None:
        approved.wait(timeout=30)
        round_ = _db.session.get_one(Round, round_id)
        rounds.update_round(round_, replace(rounds.current_data(round_), budget_pence=100_000))

    def approve() -> None:
        awards.approve(application_id, 100_000, None, None, few_reviews_reason="Urgent")

    def hold() -> None:
        approved.set()
        time.sleep(0.5)  # the other thread is now checking the budget

    threads = [threading.Thread(target=run, args=(lower,)), threading.Thread(target=run, args=(approve, hold))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return outcomes


def _budget_holds(app, make, db, runner) -> None:
    round_ = make.round(budget_pence=300_000, max_award_pence=100_000, min_award_pence=10_000)
    make.application(round=round_, status="approved", amount_requested_pence=100_000)
    waiting = make.application(round=round_, status="under_review", amount_requested_pence=100_000)
    db.session.commit()
    outcomes = _lower_and_approve_at_once(runner, round_.id, waiting.id)
    db.session.expire_all()
    assert sorted(outcomes) == ["The budget must not be less than the £2,000 already awarded", "done"], outcomes
    assert lifecycle.awarded_total(round_.id) <= db.session.get_one(Round, round_.id).budget_pence


def test_lowering_the_budget_during_an_approval_never_leaves_more_awarded_than_the_budget_on_postgresql(app, make, db):
    only_on_postgres(app)
    _budget_holds(app, make, db, app)


def test_lowering_the_budget_during_an_approval_never_leaves_more_awarded_than_the_budget_on_sqlite(app, make, db):
    only_on_sqlite(app)
    serialised = create_app("testing", SQLITE_IMMEDIATE_TRANSACTIONS=True)
    try:
        _budget_holds(app, make, db, serialised)
    finally:
        with serialised.app_context():
            _db.engine.dispose()
        app.extensions["celery"].set_default()


def test_a_round_whose_times_were_stored_with_seconds_can_still_be_renamed_after_submissions(client, auth, make, db):
    round_ = make.round()
    round_.opens_at = round_.opens_at.replace(second=43, microsecond=120)  # as a round made through the app
    opened = round_.opens_at
    make.application(round=round_, status="eligible")
    auth.login_as("staff")
    url = f"/grants/staff/rounds/{round_.id}/edit"
    assert client.post(url, data=form(round_, name="Spring round")).status_code == 302
    db.session.expire_all()
    assert round_.name == "Spring round" and round_.opens_at.replace(tzinfo=None) == opened.replace(tzinfo=None)
    assert [c[0] for c in changes(db, round_.id)] == ["name"]
