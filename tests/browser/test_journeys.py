"""The foundation's thread in a real browser: a public sign-up, the champion's home, the staff home."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from champions.accounts.models import User
from champions.accounts.tasks import welcome_email
from tests.browser.conftest import fill_sign_up, follow_emailed_link
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_a_champion_signs_up_and_lands_on_their_home(pages, db):
    page = pages.page
    pages.goto("/")
    page.click("text=Sign up as a champion")
    page.wait_for_url("**/register")
    pages.check()
    pages.shot("sign-up")

    # A mistake first: the NHS.UK error summary, messages by the fields, and what was typed kept.
    fill_sign_up(page, **{"#postcode": "nowhere"})
    page.click("button:has-text('Create my account')")
    page.wait_for_selector(".nhsuk-error-summary")
    pages.check()
    assert "Enter a real UK postcode" in page.inner_text(".nhsuk-error-summary")
    assert "Confirm you have read and agree to the privacy notice" in page.inner_text("#privacy_consent-error")
    assert page.input_value("#first_name") == "Aisha" and page.input_value("#password") == ""
    pages.shot("sign-up-errors")

    page.fill("#postcode", "OL1 1AA")
    page.fill("#password", "tea and biscuits at four")
    page.check("#privacy_consent")
    page.click("button:has-text('Create my account')")
    page.wait_for_url("**/register/check-your-email")
    pages.check()
    assert "in this browser" in page.inner_text("main")  # the address is not kept in the session to show
    pages.shot("sign-up-check-your-email")
    follow_emailed_link(pages, db, "aisha.begum@example.org")  # signs them in
    page.wait_for_url("**/me/equality")
    pages.check()
    page.click("text=Skip this page >> nth=0")
    page.wait_for_url("**/me")
    pages.check()
    assert "Hello, Aisha" in page.inner_text("h1")
    assert "Oldham" in page.inner_text("main")
    pages.shot("champion-home")

    user = db.session.scalar(select(User).where(User.email == "aisha.begum@example.org"))
    assert user is not None and user.champion.stage == "verified"
    db.session.rollback()


def test_staff_see_the_programme_figures_and_the_welcome_email(pages, make, db):
    omar = make.champion(first_name="Omar")
    welcome_email.queue(omar.user_id)
    db.session.commit()  # the welcome goes once this commits (at once, in tests)
    staff = make.user(role="staff")
    db.session.commit()
    page = pages.page
    pages.goto("/login")
    page.fill("#email", staff.email)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/staff")
    pages.check()
    page.click("button:has-text('Recompute now')")
    page.wait_for_url(re.compile(r"/staff\?job=\d+$"))
    pages.check()
    assert re.search(r"Champions in the network\s+1\s+of a target of 20,000", page.inner_text("main"))
    assert "Figures computed" in page.inner_text("main")
    pages.shot("staff-home")

    pages.goto("/staff/outbox")
    page.click("text=Welcome to Champions, Omar")
    pages.check()
    assert "Thank you for signing up as a cancer champion" in page.inner_text("main")

    for path, name in [
        ("/staff/nudges", "staff-nudges"),
        ("/staff/nudges/messages", "staff-nudge-messages"),
        ("/staff/equality", "staff-equality"),
    ]:
        pages.goto(path)
        pages.shot(name)
    pages.goto("/staff/nudges")
    page.click("text=Confirm your email address")
    pages.check()
    assert "Preview for" in page.inner_text("main")
    pages.shot("staff-nudge-rule")

    page.click("button:has-text('Sign out')")
    page.wait_for_url("**/login")
    pages.check()


def test_public_pages_work_at_phone_width(phone):
    for path, name in [
        ("/", "home-phone"),
        ("/register", "sign-up-phone"),
        ("/login", "login-phone"),
        ("/privacy", "privacy-notice-phone"),
        ("/no-such-page", "not-found-phone"),
    ]:
        phone.goto(path)
        width = phone.page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, f"{path} scrolls sideways at 320 px ({width} px wide)"
        phone.shot(name)
