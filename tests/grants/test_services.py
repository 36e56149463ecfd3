"""Small Sparks rules: the lifecycle table, money arithmetic, eligibility, reviews, payments, reports."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from champions.core.db import now_utc
from champions.core.forms import parse_pounds
from champions.core.models import AuditEvent, OutboxMessage
from champions.grants.models import Application, Status
from champions.grants.services import applications, awards, lifecycle, reports, reviews
from champions.grants.services.lifecycle import TRANSITIONS, GrantError, pounds
from champions.organisations.services import create_organisation


def test_pounds_and_pence_round_trip():
    assert parse_pounds("1,300") == 130_000
    assert parse_pounds("£1300.5") == 130_050
    assert parse_pounds(" 0.01 ") == 1
    for bad in ("", "abc", "-5", "1.234", "nan", "1e3x"):
        assert parse_pounds(bad) is None, bad
    assert pounds(130_000) == "£1,300"
    assert pounds(130_050) == "£1,300.50"
    assert pounds(6_000_000) == "£60,000"


def test_every_status_is_in_the_transition_table_and_closed_is_final():
    assert set(TRANSITIONS) == set(Status)
    assert TRANSITIONS[Status.CLOSED] == frozenset()


def test_an_invalid_transition_is_refused_with_a_clear_message_and_changes_nothing(make, db):
    application = make.application(status="eligible")
    events = db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    with pytest.raises(GrantError, match="An application that is eligible cannot become approved"):
        lifecycle.move(application, Status.APPROVED)
    with pytest.raises(GrantError, match="cannot be approved"):
        awards.approve(application.id, 100_000, None, None)
    db.session.rollback()
    assert db.session.get(Application, application.id).status == "eligible"
    assert db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) == events


def test_the_whole_lifecycle_is_audited_in_order(make, db):
    application = make.application(status="closed")
    moves = db.session.execute(
        select(AuditEvent.details)
        .where(AuditEvent.action == "grant.status", AuditEvent.target_id == str(application.id))
        .order_by(AuditEvent.id)
    ).scalars()
    path = [d["to_status"] for d in moves]
    assert path == ["submitted", "eligible", "under_review", "approved", "paid_full", "reported", "closed"]


def test_submission_is_refused_after_the_closing_time(make, db):
    round_ = make.round(opens_at=now_utc() - timedelta(days=20), closes_at=now_utc() - timedelta(minutes=1))
    applicant = make.user(role="applicant")
    org = create_organisation("Late Group", type="grassroots")
    data = make.application_data(org.name)
    application = applications.save_draft(round_, applicant, data)
    db.session.commit()
    with pytest.raises(GrantError, match="closed on .*can no longer be submitted"):
        applications.submit(round_, data, applicant, application)
    db.session.rollback()
    assert db.session.get(Application, application.id).status == "draft"


def test_budget_lines_must_add_up_to_the_amount_requested(make):
    round_ = make.round()
    org = create_organisation("Sums Group", type="grassroots")
    data = make.application_data(org.name, budget_lines=[("Room", 100_000), ("Tea", 20_000)])
    problems = applications.submission_problems(round_, data)
    assert problems["budget_lines"] == (
        "The budget lines add up to £1,200, but the amount requested is £1,300. They must be the same"
    )
    assert "budget_lines" not in applications.submission_problems(round_, make.application_data(org.name))


def test_an_amount_above_the_round_maximum_is_refused_even_for_a_draft(make, db):
    round_ = make.round(max_award_pence=150_000)
    org = create_organisation("Big Asks", type="grassroots")
    data = make.application_data(org.name, amount_requested_pence=150_001)
    with pytest.raises(GrantError, match=r"must be £1,500 or less"):
        applications.save_draft(round_, make.user(role="applicant"), data)
    db.session.rollback()
    assert db.session.scalar(select(Application.id)) is None


def test_eligibility_is_checked_on_submission_and_staff_can_override_with_a_reason(make, db):
    round_ = make.round(borough_codes=["bolton"], min_award_pence=100_000)
    application = make.application(round=round_, status="ineligible", borough_codes=["bolton", "wigan"])
    assert application.eligibility_problems == ["Not an eligible borough for this round: Wigan"]
    with pytest.raises(GrantError, match="Give a reason"):
        applications.override_eligibility(application, True, "  ")
    applications.override_eligibility(application, True, "Wigan part is tiny; agreed by panel chair")
    db.session.commit()
    assert application.status == "eligible"
    small = make.application(round=round_, status="ineligible", amount_requested_pence=90_000)
    assert "outside the round's limits of £1,000 to £2,000" in small.eligibility_problems[0]


def test_submission_sends_one_confirmation_email(make, db):
    application = make.application(status="eligible", contact_email="group@example.org")
    mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == "group@example.org")).all()
    assert [m.subject for m in mail] == ["We have received your Small Sparks application"]
    from champions.core.models import PendingEmail
    from champions.core.pending_email import send_pending_email
    from tests.conftest import run_task

    [pending] = db.session.scalars(select(PendingEmail).where(PendingEmail.kind == "grant_submitted"))
    assert (pending.ids, pending.outcome) == ([application.id], "sent")
    assert run_task(send_pending_email, pending.id) == "already done"  # a retry sends nothing more
    assert db.session.query(OutboxMessage).count() == 1


def test_reviewers_declare_conflicts_score_1_to_5_and_see_others_only_after_submitting(make, db):
    r1, r2, r3 = (make.user(role="reviewer") for _ in range(3))
    round_ = make.round(reviewers=[r1, r2, r3])
    application = make.application(round=round_, status="eligible")
    reviews.assign_reviewers(application, [r1.id, r2.id, r3.id])
    db.session.commit()
    a1, a2, a3 = application.assignments
    reach, value = round_.criteria
    with pytest.raises(GrantError, match="Declare whether you have a conflict"):
        reviews.submit_scores(a1, {reach.id: (5, ""), value.id: (5, "")})
    reviews.declare_conflict(a3, True, "I chair this group")
    with pytest.raises(GrantError, match="declared a conflict"):
        reviews.submit_scores(a3, {reach.id: (5, ""), value.id: (5, "")})
    reviews.declare_conflict(a1, False, None)
    reviews.declare_conflict(a2, False, None)
    with pytest.raises(GrantError, match="Score 'Reach' from 1 to 5"):
        reviews.submit_scores(a1, {reach.id: (6, ""), value.id: (3, "")})
    assert a1.scores == [] and a1.submitted_at is None
    reviews.submit_scores(a1, {reach.id: (5, "Great reach"), value.id: (1, "Pricey")})
    assert reviews.visible_reviews(a2) == []  # a2 has not submitted, so sees nothing
    assert reviews.visible_reviews(a1) == []  # nobody else has submitted yet
    reviews.submit_scores(a2, {reach.id: (3, ""), value.id: (3, "")})
    db.session.commit()
    assert reviews.visible_reviews(a1) == [a2]
    # a1: (5*3 + 1*1)/4 = 4.0; a2: 3.0; the mean of the two is 3.5
    assert reviews.weighted_scores(round_.id) == {application.id: (3.5, 2)}


@pytest.mark.parametrize("score", [0, 6, "5", 4.5, None], ids=["0", "6", "text", "fraction", "missing"])
def test_a_score_must_be_a_whole_number_from_1_to_5(make, db, score):
    reviewer = make.user(role="reviewer")
    round_ = make.round(reviewers=[reviewer])
    assignment = make.application(round=round_, status="under_review").assignments[0]
    reviews.declare_conflict(assignment, False, None)
    reach, value = round_.criteria
    scores = {value.id: (3, "")} | ({} if score is None else {reach.id: (score, "")})
    with pytest.raises(GrantError, match="Score 'Reach' from 1 to 5"):
        reviews.submit_scores(assignment, scores)
    assert assignment.scores == [] and assignment.submitted_at is None
    reviews.submit_scores(assignment, {reach.id: (1, ""), value.id: (5, "")})
    assert sorted(s.score for s in assignment.scores) == [1, 5]


def test_the_panel_ranks_by_weighted_score(make, db):
    reviewer = make.user(role="reviewer")
    round_ = make.round(reviewers=[reviewer])
    low, high = (make.application(round=round_, status="under_review") for _ in range(2))
    unscored = make.application(round=round_, status="under_review")
    for application, score in ((low, 2), (high, 4)):
        assignment = application.assignments[0]
        reviews.declare_conflict(assignment, False, None)
        reviews.submit_scores(assignment, {c.id: (score, "") for c in round_.criteria})
    db.session.commit()
    assert [(a.id, s) for a, s, _ in reviews.ranked(round_.id)] == [(high.id, 4.0), (low.id, 2.0), (unscored.id, None)]


def test_an_award_is_at_most_the_request_the_round_maximum_and_the_remaining_budget(make, db):
    round_ = make.round(budget_pence=300_000, max_award_pence=200_000)
    first = make.application(round=round_, status="approved", amount_requested_pence=200_000)
    assert lifecycle.awarded_total(round_.id) == 200_000
    second = make.application(round=round_, status="under_review", amount_requested_pence=150_000)
    with pytest.raises(GrantError, match="more than the amount requested, £1,500"):
        awards.approve(second.id, 150_001, None, None)
    with pytest.raises(GrantError, match="more than the £1,000 left in the round's budget"):
        awards.approve(second.id, 100_001, None, None)
    db.session.rollback()
    assert db.session.get(Application, second.id).status == "under_review"
    awards.approve(second.id, 100_000, "Spend by June", None, few_reviews_reason="The panel met without them")
    db.session.commit()
    assert lifecycle.awarded_total(round_.id) == 300_000 == round_.budget_pence
    assert first.report_due_on == date(2027, 6, 30) + timedelta(days=28)


def test_a_decline_needs_a_reason_and_sends_a_decision_email(make, db):
    application = make.application(status="under_review", contact_email="no@example.org")
    with pytest.raises(GrantError, match="Give the reason"):
        awards.decline(application, "", None)
    awards.decline(application, "Outside the theme", None)
    db.session.commit()
    mail = db.session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.to_address == "no@example.org", OutboxMessage.subject.contains("decision")
        )
    )
    assert "Outside the theme" in mail.text_body
    # The subject is its own line: the greeting starts the body.
    assert mail.subject == "The decision on your Small Sparks application"
    assert mail.text_body.startswith("Hello ")


def test_payments_never_exceed_the_award_and_set_paid_in_part_then_in_full(make, db):
    application = make.application(status="approved", amount_requested_pence=130_000)
    first = awards.add_payment(application.id, 80_000, date(2027, 1, 1), date(2027, 1, 2), "BACS-1")
    assert application.status == "paid_part"
    scheduled = awards.add_payment(application.id, 50_000, date(2027, 3, 1), None, None)
    assert application.status == "paid_part"
    db.session.commit()
    with pytest.raises(GrantError, match="more than the £0 of the award not yet paid or scheduled"):
        awards.add_payment(application.id, 1, date(2027, 4, 1), None, None)
    db.session.rollback()
    awards.mark_paid(scheduled, date(2027, 3, 2), "BACS-2")
    db.session.commit()
    application = db.session.get(Application, application.id)
    assert application.status == "paid_full"
    assert application.paid_pence == 130_000 == first.amount_pence + scheduled.amount_pence


def test_the_report_records_spend_per_budget_line_and_moves_to_reported(make, db):
    application = make.application(status="paid_full")
    spent = {line.id: line.amount_pence - 500 for line in application.budget_lines}
    reports.submit_report(application, reports.ReportData(spent, 150, 6, "Teas", "Less lonely", "Mo's story", False))
    db.session.commit()
    assert application.status == "reported"
    assert [line.spent_pence for line in application.budget_lines] == [99_500, 29_500]
    with pytest.raises(GrantError, match="once the grant has been paid"):
        reports.submit_report(application, reports.ReportData(spent, 1, 1, "", "", "", False))


def test_a_report_with_a_kind_of_outcome_not_offered_is_refused_by_the_service(make, db):
    from champions.activities.models import OutcomeKind

    application = make.application(status="paid_full")
    spent = {line.id: line.amount_pence for line in application.budget_lines}
    db.session.get(OutcomeKind, "hpv_vaccination").retired_at = now_utc()
    for code in ("nonsense", "hpv_vaccination"):
        data = reports.ReportData(spent, 150, 6, "Teas", "Less lonely", "", False, {code: (5, 2, None)})
        with pytest.raises(GrantError, match="no longer on the list"):
            reports.submit_report(application, data)
    assert application.report is None and application.status == "paid_full"


def test_report_reminders_go_before_and_after_the_due_date_once_each(make, db):
    from champions.grants.tasks import send_report_reminders
    from tests.conftest import run_task

    today = now_utc().date()
    soon = make.application(status="paid_full", contact_email="soon@example.org")
    late = make.application(status="paid_part", contact_email="late@example.org")
    later = make.application(status="paid_full", contact_email="later@example.org")
    soon.report_due_on, late.report_due_on, later.report_due_on = (
        today + timedelta(days=10),
        today - timedelta(days=8),
        today + timedelta(days=60),
    )
    db.session.commit()
    # soon gets the 'due soon' email; late is past the due date, so only the 'overdue' one
    assert run_task(send_report_reminders) == 2
    subjects = {(m.to_address, m.subject) for m in db.session.scalars(select(OutboxMessage)) if "report" in m.subject}
    assert ("soon@example.org", "Your Small Sparks end-of-grant report is due soon") in subjects
    assert ("late@example.org", "Your Small Sparks end-of-grant report is overdue") in subjects
    assert not any(to == "later@example.org" for to, _ in subjects)
    assert run_task(send_report_reminders) == 0  # beat firing again sends nothing twice
    # The reminder leads straight to the report form.
    soon_email = select(OutboxMessage.text_body).where(OutboxMessage.subject.contains("report is due soon"))
    body = db.session.scalar(soon_email)
    assert f"/grants/my/{soon.id}/report" in body
    # Help is asked for at an address someone reads, not by replying to the reminder.
    overdue = db.session.scalar(select(OutboxMessage).where(OutboxMessage.subject.contains("report is overdue")))
    assert "contact us at privacy@champions.example and we will help" in overdue.text_body
    assert "reply" not in overdue.text_body.lower() and "mailto:privacy@champions.example" in overdue.html_body


def test_no_due_soon_reminder_when_the_nudge_already_told_the_same_person(make, db):
    from champions.grants.tasks import send_report_reminders
    from champions.nudges.models import NudgeMessage, NudgeRule
    from tests.conftest import run_task

    today = now_utc().date()
    rule = db.session.scalar(select(NudgeRule).where(NudgeRule.key == "grant-report-due"))
    own = make.application(status="paid_full")
    own.contact_email = own.applicant.email.upper()  # the same person, typed differently
    treasurer = make.application(status="paid_full", contact_email="treasurer@example.org")
    for application in (own, treasurer):
        application.report_due_on = today + timedelta(days=10)
        db.session.add(
            NudgeMessage(
                rule_id=rule.id,
                user_id=application.applicant_id,
                period=1,
                context_id=application.id,
                status="sent",
            )
        )
    db.session.commit()
    assert run_task(send_report_reminders) == 1
    reminded = {m.to_address for m in db.session.scalars(select(OutboxMessage)) if "due soon" in m.subject}
    assert reminded == {"treasurer@example.org"}


def test_the_periodic_grant_jobs_are_scheduled_and_registered(app):
    celery = app.extensions["celery"]
    schedule = {entry["task"] for entry in celery.conf.beat_schedule.values()}
    for name in ("champions.grants.tasks.send_report_reminders", "champions.grants.tasks.compute_funder_snapshots"):
        assert name in schedule and name in celery.tasks, name
