"""A grant's money and report in a real browser, at desk and phone widths with axe on every page: changing a round
after applications arrived, correcting and voiding a tranche, a tranche waiting on the report, the report's
decision, and the payments-due list."""

from __future__ import annotations

from datetime import date

import pytest

from champions.grants.services import awards
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_staff_correct_a_round_a_tranche_and_a_report(pages, phone, make, db):
    page = pages.page
    staff = make.user(role="staff")
    application = make.application(status="paid_part", amount_requested_pence=130_000)
    waiting = awards.add_payment(application.id, 65_000, date(2027, 7, 1), None, None, waits_on_report=True)
    db.session.commit()

    sign_in(pages, staff)
    pages.goto(f"/grants/staff/rounds/{application.round_id}/edit")
    assert page.get_by_text("only some of its rules can still change").is_visible()
    page.fill("#budget", "1")
    page.click("button:has-text('Save changes')")
    pages.check()
    assert page.locator(".nhsuk-error-summary").is_visible()
    pages.shot("grants-round-edit-refused")

    pages.goto(f"/grants/staff/applications/{application.id}")
    assert page.get_by_text("it can be paid once the report is approved or waived").is_visible()
    pages.goto(f"/grants/staff/payments/{waiting.id}")
    page.click("button:has-text('Void tranche')")
    pages.check()
    assert page.get_by_text("Give the reason for voiding this tranche").first.is_visible()
    page.fill("#co-amount", "600")
    page.fill("#co-reason", "Agreed with the group")
    page.click("button:has-text('Save correction')")
    page.wait_for_url(f"**/grants/staff/applications/{application.id}")
    pages.check()
    pages.goto(f"/grants/staff/payments/{waiting.id}")
    assert page.get_by_text("amount was £650, now £600").is_visible()
    pages.shot("grants-tranche-history")

    pages.goto(f"/grants/staff/applications/{application.id}/report")
    page.fill("#wr-reason", "The group has wound up")
    page.click("button:has-text('Waive report')")
    pages.check()
    pages.goto("/grants/staff/payments-due?waiting=yes")
    assert page.get_by_text("No longer: report waived").is_visible()
    pages.shot("grants-payments-due")

    sign_in(phone, staff)
    for path in (
        "/grants/staff/payments-due",
        f"/grants/staff/payments/{waiting.id}",
        f"/grants/staff/applications/{application.id}/report",
        f"/grants/staff/rounds/{application.round_id}/edit",
        f"/grants/staff/applications/{application.id}",
    ):
        phone.goto(path)
        width = phone.page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, (path, width)
    phone.shot("grants-payments-due-phone")
