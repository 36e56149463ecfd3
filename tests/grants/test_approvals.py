"""Approving safely: a stated reason when reviews are missing, and a second staff member above a round's threshold."""

from __future__ import annotations

import html
import threading
from datetime import datetime

import pytest
from sqlalchemy import func, select

from champions import create_app
from champions.core.models import AuditEvent, PendingEmail
from champions.extensions import db as _db
from champions.grants.models import Application, Payment, Round
from champions.grants.services import awards, lifecycle, reviews
from champions.grants.services.lifecycle import GrantError
from tests.conftest import is_postgres
from tests.grants.helpers import login

NOW = datetime(2027, 2, 10, 10, 30)


@pytest.fixture(autouse=True)
def _frozen(clock):
    clock.set(NOW)



def review(application, reviewer_id: int, conflict: bool = False) -> None:
    """The reviewer declares (and, without a conflict, scores every criterion 4)."""
    assignment = next(a for a in application.assignments if a.reviewer_id == reviewer_id)
    reviews.declare_conflict(assignment, conflict, "My sister runs it" if conflict else None)
    if not conflict:
        reviews.submit_scores(assignment, {c.id: (4, "") for c in application.round.criteria})


def panel_of(make, n: int):
    return [make.user(role="reviewer") for _ in range(n)]


def events(db, action: str, application_id: int) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == action, AuditEvent.target_id == str(application_id))
            .order_by(AuditEvent.id)
        )
    )


def decision_emails(db, application_id: int) -> int:
    pending = db.session.scalars(select(PendingEmail).where(PendingEmail.kind == "grant_decision"))
    return sum(1 for p in pending if p.ids == [application_id])


def snapshot(db, application_id: int) -> tuple:
    db.session.expire_all()
    a = db.session.get(Application, application_id)
    count = db.session.scalar(select(func.count()).select_from(AuditEvent))
    return (a.status, a.award_pence, a.proposed_award_pence, a.few_reviews_reason, a.first_approved_by_id, count)


# ---- 1. Fewer reviews than the round asks for ---------------------------------------------------------------


def test_approving_with_fewer_counted_reviews_needs_a_reason_and_a_conflicted_review_does_not_count(client, make, db):
    panel = panel_of(make, 3)
    round_ = make.round(reviewers=panel, reviewers_per_application=2)
    application = make.application(round=round_, status="under_review")
    reviews.assign_reviewers(application, [panel[1].id, panel[2].id])
    review(application, panel[0].id)
    review(application, panel[1].id, conflict=True)  # assigned, declared: still only one review counts
    db.session.commit()
    staff = make.user(role="staff")
    login(client, staff)

    page = client.get(f"/grants/staff/applications/{application.id}").get_data(as_text=True)
    assert "1 of the 2 reviews the round asks for has been submitted" in page
    assert 'name="ap-few_reviews_reason"' in page

    before = snapshot(db, application.id)
    url = f"/grants/staff/applications/{application.id}/approve"
    response = client.post(url, data={"ap-award": "1,000", "ap-few_reviews_reason": "   "})
    body = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "There is a problem" in body
    assert "This application has 1 of the 2 reviews the round asks for: give the reason for approving it now" in body
    assert 'value="1,000"' in body  # what was typed is kept
    assert snapshot(db, application.id) == before

    reason = "The third reviewer is ill and the panel meets today"
    response = client.post(url, data={"ap-award": "1,000", "ap-few_reviews_reason": reason})
    assert response.status_code == 302
    db.session.expire_all()
    assert application.status == "approved" and application.few_reviews_reason == reason
    approved = events(db, "grant.status", application.id)[-1]
    assert approved.actor_id == staff.id
    assert (
        approved.details.items()
        >= {"to_status": "approved", "reason": reason, "reviews": 1, "reviews_needed": 2}.items()
    )
    page = client.get(f"/grants/staff/applications/{application.id}").get_data(as_text=True)
    assert html.escape(reason) in page and "Approved with fewer reviews than the round asks for" in page


def test_with_enough_reviews_no_reason_is_asked_and_none_is_kept(client, make, db):
    panel = panel_of(make, 2)
    application = make.application(round=make.round(reviewers=panel), status="under_review")
    reviews.assign_reviewers(application, [panel[1].id])
    review(application, panel[0].id)
    review(application, panel[1].id)
    db.session.commit()
    login(client, make.user(role="staff"))
    page = client.get(f"/grants/staff/applications/{application.id}").get_data(as_text=True)
    assert "2 of the 2 reviews" in page and 'name="ap-few_reviews_reason"' not in page
    response = client.post(
        f"/grants/staff/applications/{application.id}/approve",
        data={"ap-award": "1000", "ap-few_reviews_reason": "forged: no reason is needed"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert application.status == "approved" and application.few_reviews_reason is None


# ---- 2. A second approval above the round's threshold -------------------------------------------------------


def awaiting(make, db, first, threshold=100_000, **values):
    """An application whose award of £1,500 ``first`` approved above the round's £1,000 threshold."""
    round_ = values.pop("round", None) or make.round(second_approval_above_pence=threshold, **values)
    application = make.application(round=round_, status="under_review", amount_requested_pence=150_000)
    awards.approve(application.id, 150_000, "Photos, with consent", first.id, few_reviews_reason="Urgent")
    db.session.commit()
    return application


def test_an_award_above_the_threshold_waits_for_a_different_member_of_staff(client, make, db):
    first, second = make.user(role="staff"), make.user(role="staff")
    round_ = make.round(second_approval_above_pence=100_000)
    application = make.application(
        round=round_, status="under_review", amount_requested_pence=150_000, contact_email="group@example.org"
    )
    login(client, first)
    response = client.post(
        f"/grants/staff/applications/{application.id}/approve",
        data={"ap-award": "1500", "ap-conditions": "Photos, with consent", "ap-few_reviews_reason": "Urgent"},
    )
    assert response.status_code == 302
    assert "needs a second approval" in client.get(response.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    # Not yet an award: nothing counts against the budget, the group is not told, nothing can be paid.
    assert application.status == "awaiting_approval" and application.award_pence is None
    assert application.proposed_award_pence == 150_000 and application.first_approved_by_id == first.id
    assert lifecycle.awarded_total(round_.id) == 0 and decision_emails(db, application.id) == 0
    paid = client.post(
        f"/grants/staff/applications/{application.id}/payment", data={"pa-amount": "100", "pa-due_on": "2027-03-01"}
    )
    assert paid.status_code == 400 and db.session.query(Payment).count() == 0
    mine = client.get(f"/grants/staff/applications/{application.id}").get_data(as_text=True)
    assert "You gave the first approval, so a different member of staff must confirm it" in mine
    assert "/confirm" not in mine
    assert "Another member of staff must give it" in client.get(f"/grants/staff/rounds/{round_.id}").get_data(
        as_text=True
    )

    login(client, second)
    theirs = client.get(f"/grants/staff/rounds/{round_.id}").get_data(as_text=True)
    assert "Awaiting a second approval" in theirs and "Yours to give" in theirs
    assert client.post(f"/grants/staff/applications/{application.id}/confirm").status_code == 302
    db.session.expire_all()
    assert application.status == "approved" and application.award_pence == 150_000
    assert application.decided_by_id == second.id and application.conditions == "Photos, with consent"
    assert lifecycle.awarded_total(round_.id) == 150_000 and decision_emails(db, application.id) == 1
    steps = [(e.actor_id, e.details["to_status"]) for e in events(db, "grant.status", application.id)[-2:]]
    assert steps == [(first.id, "awaiting_approval"), (second.id, "approved")]


def test_the_first_approver_can_never_give_the_second_even_by_a_forged_post(client, make, db):
    first, other = make.user(role="staff"), make.user(role="staff")
    application = awaiting(make, db, first)
    login(client, first)
    before = snapshot(db, application.id)
    forged = [
        {},
        {"first_approved_by_id": str(other.id), "decided_by_id": str(other.id), "actor_id": str(other.id)},
        {"status": "approved", "award_pence": "1"},
    ]
    for data in forged:
        response = client.post(f"/grants/staff/applications/{application.id}/confirm", data=data)
        assert response.status_code == 400, data
        body = html.unescape(response.get_data(as_text=True))
        assert "You gave the first approval, so a different member of staff must give the second" in body
        assert snapshot(db, application.id) == before
    # Approving it again, as the same person or anyone, is no way round it either.
    response = client.post(f"/grants/staff/applications/{application.id}/approve", data={"ap-award": "1500"})
    assert response.status_code == 400
    assert "already been approved once and is awaiting a second approval" in html.unescape(
        response.get_data(as_text=True)
    )
    assert snapshot(db, application.id) == before
    # The rule is the service's, whatever page or task calls it.
    with pytest.raises(GrantError, match="different member of staff"):
        awards.confirm_approval(application.id, first.id)
    db.session.rollback()


def test_a_member_of_staff_merged_into_the_first_approver_cannot_confirm_either(make, db):
    from champions.accounts.models import User
    from champions.core import merging

    first, other = make.user(role="staff"), make.user(role="staff")
    application = awaiting(make, db, first)
    merging.move(User.__table__, other.id, first.id)
    db.session.commit()
    db.session.expire_all()
    assert application.first_approved_by_id == other.id
    with pytest.raises(GrantError, match="different member of staff"):
        awards.confirm_approval(application.id, other.id)


def test_sending_back_needs_a_reason_and_forgets_the_proposed_award(client, make, db):
    first, second = make.user(role="staff"), make.user(role="staff")
    application = awaiting(make, db, first)
    login(client, second)
    url = f"/grants/staff/applications/{application.id}/send_back"
    before = snapshot(db, application.id)
    for reason, message in [
        ("", "Give the reason for sending it back"),
        ("a\x00b", "Remove the control characters"),
        ("x" * 100_000, "Keep the reason to 2,000 characters or fewer"),
    ]:
        response = client.post(url, data={"sb-reason": reason})
        assert response.status_code == 400 and message in response.get_data(as_text=True), message
        assert snapshot(db, application.id) == before
    assert client.post(url, data={"sb-reason": "£1,500 is more than the budget lines justify"}).status_code == 302
    db.session.expire_all()
    assert application.status == "under_review" and application.award_pence is None
    assert application.proposed_award_pence is None and application.first_approved_by_id is None
    back = events(db, "grant.status", application.id)[-1]
    assert back.actor_id == second.id and back.details["reason"] == "£1,500 is more than the budget lines justify"
    assert decision_emails(db, application.id) == 0
    # Sent back, it can be approved again (and the same rule applies afresh).
    response = client.post(f"/grants/staff/applications/{application.id}/confirm")
    assert response.status_code == 400 and "is not awaiting a second approval" in response.get_data(as_text=True)


def test_an_award_at_or_below_the_threshold_needs_one_approval(make, db):
    round_ = make.round(second_approval_above_pence=100_000)
    application = make.application(round=round_, status="under_review", amount_requested_pence=150_000)
    staff = make.user(role="staff")
    awards.approve(application.id, 100_000, None, staff.id, few_reviews_reason="Urgent")
    assert application.status == "approved" and application.award_pence == 100_000


def test_a_round_without_a_threshold_never_asks_for_a_second_approval(make, db):
    application = make.application(status="under_review", amount_requested_pence=200_000)
    awards.approve(application.id, 200_000, None, make.user().id, few_reviews_reason="Urgent")
    assert application.status == "approved"


def test_confirming_twice_or_after_the_budget_is_spent_is_refused_and_changes_nothing(make, db):
    first, second = make.user(role="staff"), make.user(role="staff")
    round_ = make.round(second_approval_above_pence=100_000, budget_pence=200_000)
    one = awaiting(make, db, first, round=round_)
    two = awaiting(make, db, first, round=round_)  # both fit alone; together they are over the budget
    awards.confirm_approval(one.id, second.id)
    db.session.commit()
    with pytest.raises(GrantError, match="is not awaiting a second approval"):
        awards.confirm_approval(one.id, second.id)
    db.session.rollback()
    before = snapshot(db, two.id)
    with pytest.raises(GrantError, match="more than the £500 left in the round's budget"):
        awards.confirm_approval(two.id, second.id)
    db.session.rollback()
    assert snapshot(db, two.id) == before
    assert lifecycle.awarded_total(round_.id) == 150_000


def test_concurrent_second_approvals_never_exceed_the_budget(app, make, db):
    """Six second approvals at once in a round with room for three: PostgreSQL queues them on the round's row lock,
    SQLite (the embedded stack's immediate transactions) on its write lock."""
    first = make.user(role="staff")
    seconds = [make.user(role="staff") for _ in range(6)]
    round_ = make.round(second_approval_above_pence=100_000, budget_pence=450_000, max_award_pence=200_000)
    ids = [awaiting(make, db, first, round=round_).id for _ in seconds]
    user_ids = [u.id for u in seconds]
    db.session.commit()  # the test's own read transaction must not pin an old snapshot of the round
    barrier, outcomes = threading.Barrier(len(ids)), []
    own = not is_postgres(app)
    runner = create_app("testing", SQLITE_IMMEDIATE_TRANSACTIONS=True) if own else app

    def confirm(application_id: int, user_id: int) -> None:
        with runner.app_context():
            barrier.wait()
            try:
                awards.confirm_approval(application_id, user_id)
                _db.session.commit()
                outcomes.append("approved")
            except GrantError as error:
                _db.session.rollback()
                outcomes.append(error.message)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=confirm, args=pair) for pair in zip(ids, user_ids, strict=True)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    finally:
        if own:
            with runner.app_context():
                _db.engine.dispose()
            app.extensions["celery"].set_default()
    db.session.expire_all()
    assert outcomes.count("approved") == 3, outcomes
    assert all("left in the round's budget" in o for o in outcomes if o != "approved"), outcomes
    assert lifecycle.awarded_total(round_.id) == 450_000


# ---- 5. Bad input ---------------------------------------------------------------------------------------------


def test_a_huge_or_control_character_reason_for_approving_is_refused_by_its_field(client, make, db):
    application = make.application(status="under_review")
    login(client, make.user(role="staff"))
    before = snapshot(db, application.id)
    for reason, message in [
        ("x" * 100_000, "Keep the reason to 2,000 characters or fewer"),
        ("urgent\x00", "Remove the control characters"),
    ]:
        response = client.post(
            f"/grants/staff/applications/{application.id}/approve",
            data={"ap-award": "1000", "ap-few_reviews_reason": reason},
        )
        body = response.get_data(as_text=True)
        assert response.status_code == 400 and message in body and "There is a problem" in body
        assert snapshot(db, application.id) == before


def test_approving_twice_is_refused_with_a_message(client, make, db):
    application = make.application(status="approved")
    login(client, make.user(role="staff"))
    before = snapshot(db, application.id)
    response = client.post(
        f"/grants/staff/applications/{application.id}/approve",
        data={"ap-award": "1000", "ap-few_reviews_reason": "again"},
    )
    assert response.status_code == 400
    assert "An application that is approved cannot be approved" in response.get_data(as_text=True)
    assert snapshot(db, application.id) == before


def test_a_bad_threshold_is_refused_by_its_field_and_no_round_is_added(client, make, db):
    fund = make.fund()
    login(client, make.user(role="staff"))
    form = {
        "name": "Round 3",
        "budget": "30000",
        "min_award": "500",
        "max_award": "2000",
        "themes": "Screening",
        "boroughs": ["bolton"],
        "opens_at": "2027-03-01T09:00",
        "closes_at": "2027-04-01T17:00",
        "reviewers_per_application": "2",
        "criteria": "Reach: 3",
    }
    for bad in ("-5", "100000000000", "lots", "12.345", "a\x00"):
        response = client.post(f"/grants/staff/funds/{fund.id}/rounds/new", data={**form, "second_approval_above": bad})
        body = response.get_data(as_text=True)
        assert response.status_code == 400, bad
        assert "There is a problem" in body and ("Enter an amount in pounds, like 1500" in body or "control" in body)
        assert db.session.query(Round).count() == 0
    response = client.post(
        f"/grants/staff/funds/{fund.id}/rounds/new",
        data={**form, "second_approval_above": "1,500", "anonymise_reviews": "y"},
    )
    assert response.status_code == 302
    round_ = db.session.scalar(select(Round))
    assert round_.second_approval_above_pence == 150_000 and round_.anonymise_reviews is True
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Needed for awards above £1,500" in page and "Anonymised applications" in page


def test_an_action_on_an_application_that_does_not_exist_is_a_404(client, make, db):
    login(client, make.user(role="staff"))
    for action in ("approve", "confirm", "send_back"):
        assert client.post(f"/grants/staff/applications/999999/{action}").status_code == 404


def test_the_applicant_hears_nothing_of_an_award_until_the_second_approval(client, make, db):
    first, second = make.user(role="staff"), make.user(role="staff")
    application = awaiting(make, db, first)
    login(client, application.applicant)
    for url in ("/grants/my", f"/grants/my/{application.id}"):
        page = client.get(url).get_data(as_text=True)
        assert "Under review" in page and "Awaiting second approval" not in page, url
        assert "Awarded" not in page and "Photos, with consent" not in page, url
    awards.confirm_approval(application.id, second.id)
    db.session.commit()
    page = client.get(f"/grants/my/{application.id}").get_data(as_text=True)
    assert "Approved" in page and "Awarded" in page and "Photos, with consent" in page
