"""A second approval and an anonymised review in a real browser, at 1280 px and on a phone, with axe on every page."""

from __future__ import annotations

import pytest

from champions.grants.services import awards
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def fits(phone, path: str) -> None:
    phone.goto(path)
    width = phone.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"{path} scrolls sideways at 320 px ({width} px)"


def test_two_members_of_staff_approve_an_award_above_the_threshold(pages, phone, make, db):
    page = pages.page
    first, second = make.user(role="staff"), make.user(role="staff")
    round_ = make.round(second_approval_above_pence=100_000)
    application = make.application(round=round_, status="under_review", amount_requested_pence=150_000)
    application_id, round_id = application.id, round_.id
    db.session.commit()

    sign_in(pages, first)
    pages.goto(f"/grants/staff/applications/{application_id}")
    page.fill("#ap-award", "1500")
    page.click("button:has-text('Approve grant')")
    page.wait_for_selector(".nhsuk-error-summary")
    pages.check()
    assert "give the reason for approving it now" in page.inner_text("#ap-few_reviews_reason-error")
    page.fill("#ap-few_reviews_reason", "The second reviewer is away")
    page.click("button:has-text('Approve grant')")
    page.wait_for_selector("text=needs a second approval")
    pages.check()
    assert "a different member of staff must confirm it" in page.inner_text("main")
    pages.shot("grants-second-approval-mine")

    sign_in(pages, second)
    pages.goto(f"/grants/staff/rounds/{round_id}")
    assert "Yours to give" in page.inner_text("#second-approvals ~ div")
    pages.shot("grants-second-approval-round")
    pages.goto(f"/grants/staff/applications/{application_id}")
    page.click("button:has-text('Send back')")
    page.wait_for_selector(".nhsuk-error-summary")
    pages.check()
    page.click("button:has-text('Confirm the award of £1,500')")
    page.wait_for_selector("text=The award has been confirmed")
    pages.check()
    assert "Approved" in page.inner_text("main")

    sign_in(phone, second)
    fits(phone, f"/grants/staff/rounds/{round_id}")
    fits(phone, f"/grants/staff/applications/{application_id}")


def test_an_anonymised_review_and_the_panel_page(pages, phone, make, db):
    page = pages.page
    reviewer, staff = make.user(role="reviewer"), make.user(role="staff")
    round_ = make.round(reviewers=[reviewer], anonymise_reviews=True, second_approval_above_pence=100_000)
    application = make.application(round=round_, status="under_review", amount_requested_pence=150_000)
    awards.approve(application.id, 150_000, None, staff.id, few_reviews_reason="Urgent")
    application_id, round_id, group = application.id, round_.id, application.group_display
    db.session.commit()

    sign_in(pages, reviewer)
    pages.goto("/grants/reviews")
    page.click("text=Tea and talk")
    pages.check()
    assert f"Applicant A-{application_id}" in page.inner_text("main") and group not in page.content()
    pages.shot("grants-anonymised-review")
    sign_in(phone, reviewer)
    fits(phone, "/grants/reviews")

    sign_in(pages, staff)
    pages.goto(f"/grants/staff/rounds/{round_id}/panel")
    assert "Download the panel pack as CSV" in page.inner_text("main")
    pages.goto(f"/grants/staff/rounds/{round_id}")
    assert "Another member of staff must give it" in page.inner_text("main")
