"""PRODUCT.md journeys 1 to 3 on a phone: sign up, onboard, log activity, see recruits, take your data."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from champions.accounts.models import User
from champions.core.clock import today_uk
from tests.browser.conftest import Pages, follow_emailed_link

pytestmark = pytest.mark.browser


def visit(pages, path_or_none=None, shot=None):
    """Check the page as it is now (after navigating to it, when given) and that it fits the screen."""
    if path_or_none:
        pages.page.goto(pages.base_url + path_or_none)
    pages.check()
    width = pages.page.evaluate("document.documentElement.scrollWidth")
    viewport = pages.page.viewport_size["width"]
    assert width <= viewport, f"{pages.page.url} scrolls sideways ({width} px on a {viewport} px screen)"
    if shot:
        pages.shot(shot)


def test_journeys_one_to_three_on_a_phone(phone, make, db):
    page = phone.page
    recruiter = make.champion(first_name="Rita")
    db.session.commit()

    # 1. Sign up through a friend's link.
    page.goto(f"{phone.base_url}/join/{recruiter.referral_code}")
    visit(phone, shot="phone-1-sign-up")
    assert page.input_value("#referral_code") == recruiter.referral_code
    page.fill("#first_name", "Kwame")
    page.fill("#last_name", "Owusu")
    page.fill("#email", "kwame@example.org")
    page.fill("#password", "jollof on a sunday")
    page.fill("#postcode", "OL6 7AB")
    page.locator("#postcode").blur()
    assert page.input_value("#borough") == "tameside"  # suggested from the postcode district
    page.check("input[name=topics][value=screening]")
    page.check("#privacy_consent")
    page.check("#email_consent")
    page.click("button:has-text('Create my account')")
    page.wait_for_url("**/register/check-your-email")
    visit(phone, shot="phone-2-check-your-email")
    assert "Check your email" in page.inner_text("h1")

    # The link in the welcome email confirms the address and signs them in; then the optional questions.
    follow_emailed_link(phone, db, "kwame@example.org")
    page.wait_for_url("**/me/equality")
    visit(phone, shot="phone-2-equality")
    assert "Your email address is confirmed" in page.inner_text("main")
    page.check("input[name=age_band][value='35-44']")
    page.check("#consent")
    page.click("button:has-text('Save my answers')")
    page.wait_for_url("**/me")
    visit(phone, shot="phone-3-checklist")
    assert "You have completed 1 of 4 steps" in page.inner_text("main")

    # 2. Onboarding: the core training, the pledge, a first activity.
    for _ in range(4):
        page.goto(phone.base_url + "/me")
        page.click("text=Complete the core training")
        page.wait_for_url("**/me/training")
        visit(phone, shot="phone-4-training")
        cards = page.locator("li.nhsuk-card", has_not=page.locator("text=Completed")).locator("a.nhsuk-card__link")
        cards.first.click()
        visit(phone)
        page.click("button:has-text('Mark as complete')")
        page.wait_for_url("**/me/training")
    page.goto(phone.base_url + "/me")
    page.click("text=Accept the champion pledge")
    visit(phone, shot="phone-5-pledge")
    page.check("#agree")
    page.click("button:has-text('Make the pledge')")
    page.wait_for_url("**/me")
    page.click("text=Log your first activity")
    visit(phone)
    page.check("input[name=type][value=conversation]")
    page.fill("#occurred_on", today_uk().isoformat())
    page.select_option("#topic_code", "screening")
    page.fill("#people_reached", "3")
    page.fill("#notes", "Chatted with my aunties about bowel screening kits")
    page.click("button:has-text('Log activity')")
    page.wait_for_url("**/me/activities")
    visit(phone, shot="phone-6-activities")
    assert "You have logged 1 activity and reached 3 people" in page.inner_text("main")
    page.goto(phone.base_url + "/me")
    visit(phone, shot="phone-7-home-active")
    assert "Active" in page.inner_text("main") and "You have completed every step" in page.inner_text("main")

    # 3. Network and data.
    visit(phone, "/me/network", shot="phone-8-network")
    assert page.evaluate("document.querySelector('img.app-qr').naturalWidth") > 0
    visit(phone, "/me/preferences", shot="phone-9-preferences")
    page.click("button:has-text('Stop emails')")
    visit(phone)
    assert "You said no on" in page.inner_text("main")
    visit(phone, "/me/data", shot="phone-10-my-data")
    with page.expect_download() as download:
        page.click("text=Download as CSV files in a zip")
    assert download.value.suggested_filename.endswith(".zip")

    db.session.rollback()
    user = db.session.scalar(select(User).where(User.email == "kwame@example.org"))
    assert user.champion.stage == "active" and user.champion.recruited_by_id == recruiter.id
    assert [h.to_stage for h in user.champion.history] == ["registered", "verified", "trained", "active"]
    db.session.rollback()

    # Erase, after re-entering the password.
    page.fill("#password", "jollof on a sunday")
    page.click("button:has-text('Erase my account')")
    visit(phone, shot="phone-11-erased")
    assert "Your account has been erased" in page.inner_text("main")


def test_sign_up_and_logging_work_without_javascript(browser, live_server, db):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 320, "height": 640})
    page = context.new_page()
    page.goto(live_server + "/register")
    page.fill("#first_name", "Nadia")
    page.fill("#last_name", "Hussain")
    page.fill("#email", "nadia@example.org")
    page.fill("#password", "rain on the moors")
    page.fill("#postcode", "BL3 4AB")  # no borough chosen: the server suggests Bolton
    page.check("#privacy_consent")
    page.click("button:has-text('Create my account')")
    assert "Your postcode suggests Bolton" in page.inner_text(".nhsuk-error-summary")
    page.fill("#password", "rain on the moors")
    page.click("button:has-text('Create my account')")
    page.wait_for_url("**/register/check-your-email")
    follow_emailed_link(Pages(page, live_server), db, "nadia@example.org")
    page.wait_for_url("**/me/equality")
    page.goto(live_server + "/me/activities/new")
    page.check("input[name=type][value=stall_or_event]")
    page.fill("#occurred_on", today_uk().isoformat())
    page.select_option("#topic_code", "smoking")
    page.fill("#people_reached", "40")
    page.click("button:has-text('Log activity')")
    page.wait_for_url("**/me/activities")
    assert "reached 40 people" in page.inner_text("main")
    context.close()
