"""PRODUCT.md journeys 1 to 3 on a phone: sign up, onboard, log activity, see recruits, take your data."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from champions.accounts.models import User
from champions.core.clock import today_uk
from champions.privacy.services import withdraw
from champions.profiles.models import Champion
from tests.browser.conftest import Pages, follow_emailed_link
from tests.factories import PASSWORD

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


def fill_date(page, name, day):
    """Type a date into the NHS.UK date input's Day, Month and Year boxes."""
    page.fill(f"#{name}", str(day.day))
    page.fill(f"#{name}-month", str(day.month))
    page.fill(f"#{name}-year", str(day.year))


def test_journeys_one_to_three_on_a_phone(phone, make, db):
    page = phone.page
    recruiter = make.champion(first_name="Rita")
    db.session.commit()

    # 1. Sign up through a friend's link.
    page.goto(f"{phone.base_url}/join/{recruiter.referral_code}")
    visit(phone, shot="phone-1-sign-up")
    assert page.input_value("#referral_code") == recruiter.referral_code
    # "How did you hear": each follow-up question shows under its own answer, and only that one.
    assert page.is_visible("#referral_code") and not page.is_visible("#organisation_id")
    page.check("input[name=heard_via][value=organisation]")
    assert page.is_visible("#organisation_id") and not page.is_visible("#referral_code")
    assert page.locator("input[name=heard_via][aria-expanded]").count() == 0  # not allowed on a radio
    visit(phone)
    page.check("input[name=heard_via][value=referral]")
    assert page.is_visible("#referral_code") and not page.is_visible("#heard_other")
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
    # The date in three boxes; an impossible one is explained beside them.
    page.fill("#occurred_on", "31")
    page.fill("#occurred_on-month", "2")
    page.fill("#occurred_on-year", str(today_uk().year))
    page.click("button:has-text('Log activity')")
    page.wait_for_selector(".nhsuk-error-summary")
    visit(phone, shot="phone-6-date-error")
    assert f"31 February {today_uk().year} is not a real date" in page.inner_text("#occurred_on-date-error")
    fill_date(page, "occurred_on", today_uk())
    page.select_option("#topic_code", "screening")
    page.fill("#people_reached", "3")
    page.fill("#notes", "Chatted with my aunties about bowel screening kits")
    # What came of it: a tick reveals the numbers; blank "People signposted" is everyone reached.
    assert not page.is_visible("#said-bowel_screening")
    page.check("#outcome")
    page.fill("#said-bowel_screening", "2")
    visit(phone, shot="phone-6-outcomes")
    page.click("button:has-text('Log activity')")
    page.wait_for_url("**/me/activities")
    visit(phone, shot="phone-6-activities")
    assert "You have logged 1 activity and reached 3 people" in page.inner_text("main")
    assert "3 signposted to Bowel cancer screening, 2 said they would act" in page.inner_text("main")
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
    # Without JavaScript every follow-up question of "how did you hear" shows (the reveal's fallback).
    assert all(page.is_visible(f"#{name}") for name in ("referral_code", "organisation_id", "heard_other"))
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
    fill_date(page, "occurred_on", today_uk())
    page.select_option("#topic_code", "smoking")
    page.fill("#people_reached", "40")
    # Without JavaScript every outcome's numbers show, ticked or not.
    assert page.is_visible("#signposted-stop_smoking") and page.is_visible("#said-hpv_vaccination")
    page.check("input[name=outcome][value=stop_smoking]")
    page.fill("#signposted-stop_smoking", "12")
    page.click("button:has-text('Log activity')")
    page.wait_for_url("**/me/activities")
    assert "reached 40 people" in page.inner_text("main")
    assert "12 signposted to Stop-smoking service, 0 said they would act" in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    context.close()


def test_a_withdrawn_champion_rejoins_from_their_home_page_on_a_small_phone(browser, live_server, make, db):
    champion = make.champion(first_name="Aisha")
    withdraw(champion)
    db.session.commit()
    context = browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True)
    small = Pages(context.new_page(), live_server)
    page = small.page
    page.goto(live_server + "/login")
    page.fill("#email", champion.user.email)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.goto(live_server + "/me")
    visit(small, shot="phone-12-withdrawn-home")
    main = page.inner_text("main")
    assert "Withdrawn — you can rejoin" in main and "Invite others" not in main and "Log an activity" not in main
    page.click("button:has-text('Rejoin')")
    page.wait_for_url("**/me")
    visit(small, shot="phone-13-rejoined")
    main = page.inner_text("main")
    assert "Welcome back" in main and "Getting started" in main and "Invite others" in main
    context.close()
    db.session.rollback()
    assert db.session.get(Champion, champion.id).stage == "registered"


def test_a_champion_corrects_their_postcode_and_email_on_a_small_phone(browser, live_server, make, db):
    user = make.user(role="champion", email="amara@example.org", first_name="Amara")
    db.session.commit()
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    phone = Pages(context.new_page(), live_server)
    page = phone.page
    page.goto(live_server + "/login")
    page.fill("#email", "amara@example.org")
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/me")

    # The postcode: the borough follows it as it is typed, and is saved with it.
    page.get_by_role("link", name="Change your postcode").click()
    page.wait_for_url("**/me/details#postcode")
    visit(phone, shot="phone-details-1-form")
    page.fill("#postcode", "OL6 7AB")
    page.locator("#postcode").blur()
    assert page.input_value("#borough") == "tameside"
    assert "We have changed your borough to Tameside" in page.inner_text("#borough-suggestion")
    page.select_option("#borough", "bolton")  # a borough the postcode is not in is questioned
    page.click("button:has-text('Save my details')")
    visit(phone, shot="phone-details-2-error")
    assert "Your postcode OL6 7AB is in Tameside, not Bolton" in page.inner_text(".nhsuk-error-summary")
    assert page.input_value("#borough") == "tameside"  # preselected: one press confirms it
    page.click("button:has-text('Save my details')")
    page.wait_for_url("**/me")
    visit(phone, shot="phone-details-3-saved")
    assert "Your postcode and borough have been saved" in page.inner_text("main")

    # The email address: a link to the new one, which makes the change once followed.
    page.get_by_role("link", name="Change your email address").click()
    visit(phone)
    page.fill("#new_email", "amara.new@example.org")
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Send a link to my new address')")
    page.wait_for_url("**/me/email")
    visit(phone, shot="phone-details-4-waiting")
    assert "Waiting for you to confirm amara.new@example.org" in page.inner_text("main")
    follow_emailed_link(phone, db, "amara.new@example.org", path="/account/email/confirm")
    visit(phone, shot="phone-details-5-confirm")
    page.click("button:has-text('Use my new email address')")
    page.wait_for_url("**/me")
    visit(phone)
    assert "Your email address is now amara.new@example.org" in page.inner_text("main")
    context.close()
    db.session.rollback()
    changed = db.session.get(User, user.id)
    assert (changed.email, changed.champion.postcode, changed.champion.borough_code) == (
        "amara.new@example.org",
        "OL6 7AB",
        "tameside",
    )


def page_top(locator) -> float:
    """Where an element starts on the page (not on the screen, which scrolls as fields are filled)."""
    return locator.evaluate("e => e.getBoundingClientRect().top + window.scrollY")


@pytest.mark.parametrize("width", [320, 360, 1280])
def test_saving_straight_after_typing_a_postcode_saves_it(browser, live_server, make, db, width):
    """The note that the borough followed the postcode appears as the postcode box is left, which is also when
    the press on "Save my details" starts: the note takes space kept for it, so the button stays under the finger."""
    user = make.user(
        role="champion", email="bea@example.org", first_name="Bea", borough_code="wigan", postcode="WN1 1AA"
    )
    db.session.commit()
    context = browser.new_context(viewport={"width": width, "height": 740}, is_mobile=width < 641, has_touch=True)
    pages = Pages(context.new_page(), live_server)
    page = pages.page
    page.goto(live_server + "/login")
    page.fill("#email", "bea@example.org")
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/me")
    page.goto(live_server + "/me/details")
    page.fill("#postcode", "BL1 1AA")
    page.click("button:has-text('Save my details')")
    page.wait_for_url("**/me")
    visit(pages)
    assert "Your postcode and borough have been saved" in page.inner_text("main")

    # Nothing below the note moves when it appears, whichever borough and however long its name.
    for postcode, borough in (("M1 1AE", "Manchester"), ("SK1 1AA", "Stockport"), ("OL6 7AB", "Tameside")):
        page.goto(live_server + "/me/details")
        button = page.locator("button:has-text('Save my details')")
        before = page_top(button)
        page.fill("#postcode", postcode)
        page.locator("#postcode").blur()
        assert f"We have changed your borough to {borough}" in page.inner_text("#borough-suggestion")
        assert page_top(button) == before, f"the button moved at {width} px for {borough}"
    context.close()
    db.session.rollback()
    assert db.session.get(User, user.id).champion.postcode == "BL1 1AA"


@pytest.mark.parametrize("width", [320, 1280])
def test_the_sign_up_borough_note_moves_nothing_below_it(browser, live_server, db, width):
    context = browser.new_context(viewport={"width": width, "height": 740}, is_mobile=width < 641, has_touch=True)
    pages = Pages(context.new_page(), live_server)
    page = pages.page
    page.goto(live_server + "/register")
    below = page.get_by_role("heading", name="What you care about")
    before = page_top(below)
    page.fill("#postcode", "M1 1AE")
    page.locator("#postcode").blur()
    assert page.input_value("#borough") == "manchester"
    assert "We have chosen Manchester from your postcode" in page.inner_text("#borough-suggestion")
    assert page_top(below) == before
    visit(pages)
    context.close()
