"""Payment tranches are never deleted: corrected or voided with a reason, their history kept, and a tranche can wait
on the end-of-grant report, which staff approve, send back or waive; the payments-due list."""

from __future__ import annotations

import html
from datetime import date, datetime

import pytest
from sqlalchemy import select

from champions.core.models import AuditEvent
from champions.grants.models import Application, Payment
from champions.grants.services import awards, reports
from champions.grants.services.awards import Correction
from champions.grants.services.lifecycle import GrantError
from tests.grants.helpers import login

NOW = datetime(2027, 2, 10, 10, 0)


@pytest.fixture(autouse=True)
def _frozen(clock):
    clock.set(NOW)



def events(db, action: str) -> list[dict]:
    return list(
        db.session.scalars(select(AuditEvent.details).where(AuditEvent.action == action).order_by(AuditEvent.id))
    )


def _report(application: Application) -> reports.ReportData:
    spent = {line.id: line.amount_pence for line in application.budget_lines}
    return reports.ReportData(spent, 120, 3, "Teas", "Friends made", "", False)


def test_a_correction_needs_a_reason_keeps_the_old_values_and_never_exceeds_the_award(make, db):
    application = make.application(status="approved", amount_requested_pence=130_000)
    tranche = awards.add_payment(application.id, 80_000, date(2027, 3, 1), None, "R1")
    db.session.commit()
    for bad, message in [
        (Correction(70_000, date(2027, 3, 15), "R1", "  "), "Give the reason for the correction"),
        (Correction(130_001, date(2027, 3, 1), "R1", "Typo"), "more than the £1,300 of the award"),
        (Correction(-5, date(2027, 3, 1), "R1", "Typo"), "more than £0"),
        (Correction(70_000, date(2027, 3, 1), "R1", "x" * 2001), "2,000 characters or fewer"),
    ]:
        with pytest.raises(GrantError, match=message):
            awards.correct_payment(tranche, bad)
        db.session.rollback()
    assert (tranche.amount_pence, tranche.history) == (80_000, [])
    assert awards.correct_payment(tranche, Correction(80_000, date(2027, 3, 1), "R1", "No change")) == []
    assert tranche.history == [] and events(db, "grant.payment_corrected") == []

    changed = awards.correct_payment(tranche, Correction(70_000, date(2027, 3, 15), "R1", "Invoice was £700"))
    db.session.commit()
    assert changed == ["amount_pence", "due_on"]
    assert tranche.history == [
        {
            "at": "2027-02-10T10:00:00+00:00",
            "change": "corrected",
            "reason": "Invoice was £700",
            "before": {"amount_pence": 80_000, "due_on": "2027-03-01"},
            "after": {"amount_pence": 70_000, "due_on": "2027-03-15"},
        }
    ]
    assert [(e["field"], e["before"], e["after"]) for e in events(db, "grant.payment_corrected")] == [
        ("amount_pence", 80_000, 70_000),
        ("due_on", "2027-03-01", "2027-03-15"),
    ]
    assert application.scheduled_pence == 70_000


def test_a_voided_tranche_stays_counts_for_nothing_and_cannot_be_paid_or_changed(make, db):
    application = make.application(status="paid_full", amount_requested_pence=130_000)
    [paid] = application.payments
    with pytest.raises(GrantError, match="Give the reason for voiding"):
        awards.void_payment(paid, "")
    db.session.rollback()
    awards.void_payment(paid, "The bank returned the payment: wrong account")
    db.session.commit()
    assert db.session.get(Payment, paid.id) is not None  # never deleted
    assert paid.state == "void" and paid.history[0]["before"] == {"state": "paid"}
    assert application.status == "approved"  # nothing paid any more
    assert (application.paid_pence, application.scheduled_pence) == (0, 0)
    assert events(db, "grant.payment_voided")[0]["was"] == "paid"
    for change in (
        lambda: awards.mark_paid(paid, date(2027, 2, 1), None),
        lambda: awards.void_payment(paid, "Again"),
        lambda: awards.correct_payment(paid, Correction(1_000, date(2027, 3, 1), None, "Typo")),
    ):
        with pytest.raises(GrantError, match="has been voided"):
            change()
        db.session.rollback()
    # The award is whole again: it can be paid in full to the right account.
    awards.add_payment(application.id, 130_000, date(2027, 2, 12), date(2027, 2, 12), "BACS-2")
    db.session.commit()
    assert application.status == "paid_full" and application.paid_pence == 130_000


def test_a_tranche_that_waits_on_the_report_is_paid_once_the_report_is_approved(make, db):
    application = make.application(status="approved", amount_requested_pence=130_000)
    with pytest.raises(GrantError, match="The first tranche cannot wait on the report"):
        awards.add_payment(application.id, 65_000, date(2027, 2, 1), None, None, waits_on_report=True)
    db.session.rollback()
    awards.add_payment(application.id, 100_000, date(2027, 2, 1), date(2027, 2, 1), "A")
    db.session.commit()
    with pytest.raises(GrantError, match="waits on the end-of-grant report"):
        awards.add_payment(application.id, 30_000, date(2027, 7, 1), date(2027, 7, 1), "B", waits_on_report=True)
    db.session.rollback()
    final = awards.add_payment(application.id, 30_000, date(2027, 7, 1), None, None, waits_on_report=True)
    db.session.commit()
    with pytest.raises(GrantError, match="waits on the end-of-grant report"):
        awards.mark_paid(final, date(2027, 7, 2), None)
    db.session.rollback()

    reports.submit_report(application, _report(application))
    db.session.commit()
    with pytest.raises(GrantError, match="waits on the end-of-grant report"):
        awards.mark_paid(final, date(2027, 7, 2), None)  # sent is not approved
    db.session.rollback()
    with pytest.raises(GrantError, match="Say what the group needs to change"):
        reports.return_report(application, " ")
    reports.return_report(application, "Add what the room hire cost")
    assert reports.can_report(application)
    reports.submit_report(application, _report(application))
    assert application.report_status == "submitted" and application.status == "reported"
    reports.approve_report(application)
    awards.mark_paid(final, date(2027, 7, 2), "C")
    db.session.commit()
    assert application.paid_pence == 130_000 and application.status == "reported"
    assert [
        e.action for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("grant.report_%")))
    ] == [
        "grant.report_returned",
        "grant.report_resubmitted",
        "grant.report_approved",
    ]


def test_a_waived_report_frees_the_waiting_tranche_and_lets_the_grant_close(make, db):
    application = make.application(status="paid_part", amount_requested_pence=130_000)
    final = awards.add_payment(application.id, 65_000, date(2027, 7, 1), None, None, waits_on_report=True)
    db.session.commit()
    with pytest.raises(GrantError, match="Give the reason for waiving"):
        reports.waive_report(application, "")
    with pytest.raises(GrantError, match="once its end-of-grant report is approved or waived"):
        awards.close(application)
    db.session.rollback()
    reports.waive_report(application, "The group wound up; the project ran as planned")
    db.session.commit()
    with pytest.raises(GrantError, match="every tranche is paid or voided"):
        awards.close(application)
    db.session.rollback()
    awards.mark_paid(db.session.get(Payment, final.id), date(2027, 7, 2), None)
    awards.close(application)
    db.session.commit()
    assert application.status == "closed" and application.report_status == "waived"


def test_staff_void_and_correct_on_the_tranche_page_and_hostile_input_changes_nothing(client, auth, make, db):
    application = make.application(status="approved", amount_requested_pence=130_000)
    tranche = awards.add_payment(application.id, 130_000, date(2027, 3, 1), None, None)
    other = make.application(status="approved")
    db.session.commit()
    auth.login_as("staff")
    page = client.get(f"/grants/staff/applications/{application.id}").get_data(as_text=True)
    assert f"/grants/staff/payments/{tranche.id}" in page
    url = f"/grants/staff/payments/{tranche.id}"
    good = {"co-amount": "1200", "co-due_on": "2027-03-08", "co-reference": "INV-9", "co-reason": "Agreed less"}
    hostile = [
        ({"co-amount": "-5"}, "Enter an amount in pounds"),
        ({"co-amount": "NaN"}, "Enter an amount in pounds"),
        ({"co-amount": "1e400"}, "Enter an amount in pounds"),
        ({"co-amount": "99999999999"}, "Enter an amount in pounds"),
        ({"co-amount": "1300.01"}, "more than the £1,300 of the award"),
        ({"co-due_on": "2027-02-30"}, "Not a valid date value"),
        ({"co-reason": "why\x00"}, "control characters"),
        ({"co-reason": "x" * 5000}, "2,000 characters or fewer"),
        ({"co-reason": ""}, "Give the reason for the correction"),
    ]
    for change, message in hostile:
        response = client.post(f"{url}/correct", data=good | change)
        assert response.status_code == 400, change
        assert message in html.unescape(response.get_data(as_text=True)), change
    db.session.expire_all()
    assert (tranche.amount_pence, tranche.history) == (130_000, [])

    assert client.post(f"{url}/correct", data=good).status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "amount was £1,300, now £1,200" in page and "Agreed less" in page
    assert client.post(f"{url}/void", data={"vo-reason": ""}).status_code == 400
    assert client.post(f"{url}/void", data={"vo-reason": "Paid by cheque instead"}).status_code == 302
    db.session.expire_all()
    assert tranche.state == "void" and tranche.void_reason == "Paid by cheque instead"
    # Paying the voided tranche, here or from the grant's page, is refused.
    response = client.post(f"{url}/paid", data={"mp-paid_on": "2027-02-09"})
    assert response.status_code == 400 and "has been voided" in response.get_data(as_text=True)
    response = client.post(
        f"/grants/staff/applications/{application.id}/paid",
        data={"payment_id": str(tranche.id), "mp-paid_on": "2027-02-09"},
    )
    assert response.status_code == 400 and "has been voided" in response.get_data(as_text=True)
    # A tranche of another grant cannot be paid through this one.
    response = client.post(
        f"/grants/staff/applications/{other.id}/paid", data={"payment_id": str(tranche.id), "mp-paid_on": "2027-02-09"}
    )
    assert response.status_code == 404
    db.session.expire_all()
    assert tranche.paid_on is None


def test_the_applicant_sees_a_returned_report_and_sends_it_again(client, auth, make, db):
    application = make.application(status="reported")
    auth.login_as("staff")
    url = f"/grants/staff/applications/{application.id}/report"
    assert "Approve report" in client.get(url).get_data(as_text=True)
    response = client.post(f"{url}/return", data={"rr-reason": ""})
    assert response.status_code == 400 and "Say what the group needs to change" in response.get_data(as_text=True)
    assert client.post(f"{url}/return", data={"rr-reason": "Please add the spend on refreshments"}).status_code == 302
    response = client.post(f"{url}/approve")
    assert response.status_code == 400 and "no report from the group waiting" in response.get_data(as_text=True)

    client.post("/logout")
    login(client, application.applicant)
    mine = client.get(f"/grants/my/{application.id}").get_data(as_text=True)
    assert "Please add the spend on refreshments" in mine and "send your report again" in mine
    form = client.get(f"/grants/my/{application.id}/report").get_data(as_text=True)
    assert "Did it" in form  # what they sent, to change
    data = {f"spent_{line.id}": "100" for line in application.budget_lines}
    data |= {"people_reached": "210", "champions_recruited": "8", "activities": "Did it", "outcomes": "Good"}
    assert client.post(f"/grants/my/{application.id}/report", data=data).status_code == 302
    db.session.expire_all()
    assert (application.report_status, application.report.people_reached) == ("submitted", 210)


def test_the_group_is_emailed_why_its_report_was_sent_back_once(make, db):
    from champions.core.models import OutboxMessage, PendingEmail
    from champions.core.pending_email import send_pending_email
    from tests.conftest import run_task

    application = make.application(status="paid_full", contact_email="group@example.org")
    reports.submit_report(application, _report(application))
    db.session.commit()
    reports.return_report(application, "Add what the room hire cost")
    db.session.commit()
    [email] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.subject.contains("send it again")))
    assert email.to_address == "group@example.org" and "Add what the room hire cost" in email.text_body
    assert f"/grants/my/{application.id}/report" in email.text_body
    [pending] = db.session.scalars(select(PendingEmail).where(PendingEmail.kind == "grant_report_returned"))
    assert run_task(send_pending_email, pending.id) == "already done"  # a retry sends nothing more
    assert db.session.query(OutboxMessage).filter(OutboxMessage.subject.contains("send it again")).count() == 1


def test_a_report_sent_again_before_the_email_went_is_not_emailed_as_sent_back(make, db, monkeypatch):
    from champions.core import pending_email
    from champions.core.models import OutboxMessage

    application = make.application(status="paid_full", contact_email="group@example.org")
    reports.submit_report(application, _report(application))
    db.session.commit()
    monkeypatch.setattr(pending_email, "after_commit", lambda *a, **k: None)  # the worker is slow to take it
    reports.return_report(application, "Add what the room hire cost")
    db.session.commit()
    reports.submit_report(application, _report(application))
    db.session.commit()
    assert reports.report_returned_email.build(application.id) is None
    assert not db.session.scalars(select(OutboxMessage).where(OutboxMessage.subject.contains("send it again"))).all()
