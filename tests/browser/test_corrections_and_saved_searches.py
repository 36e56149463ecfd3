"""In Chromium with axe-core on every page: staff correct a champion's details (and meet a conflict), save the
roster's filters and open them again, and correct a fund; at 1280 px and at 360 px without sideways scrolling."""

from __future__ import annotations

import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_staff_correct_a_champion_and_save_a_search(pages, make, db):
    champion = make.champion(
        first_name="Nadia", last_name="Hussain", email="nadia@example.org", borough_code="wigan", postcode="WN1 1AA"
    )
    staff = make.user(role="staff")
    fund = make.fund(name="Small Sparks")
    sign_in(pages, staff, "/staff")
    page = pages.page

    pages.goto(f"/staff/champions/{champion.id}")
    page.click("text=Correct their details")
    pages.check()
    page.fill("#first_name", "")
    page.fill("#email", "not an address")
    page.click("button:has-text('Save the details')")
    pages.check()
    assert "Enter their first name" in page.inner_text(".nhsuk-error-summary")
    pages.shot("champion-correct-errors-1280")
    page.fill("#first_name", "Nadiya")
    page.fill("#email", "nadiya.h@example.org")
    page.click("button:has-text('Save the details')")
    page.wait_for_selector("text=sign-in email address have been saved")
    pages.check()
    assert "nadiya.h@example.org" in page.inner_text("main")

    pages.goto("/staff/champions?borough=wigan")
    page.click("summary:has-text('Saved searches')")
    page.fill("#saved-search-name-roster", "Wigan champions")
    page.click("button:has-text('Save search')")
    page.wait_for_selector("text=Saved as")
    pages.check()
    page.click("summary:has-text('Saved searches')")
    page.click("a:has-text('Wigan champions')")
    page.wait_for_url("**/staff/champions?borough=wigan*")
    assert "Nadiya Hussain" in page.inner_text("main")
    pages.shot("roster-saved-searches-1280")
    pages.goto("/staff/saved-searches")
    pages.shot("saved-searches-1280")

    pages.goto(f"/grants/staff/funds/{fund.id}/edit")
    page.fill("#name", "")
    page.click("button:has-text('Save the fund')")
    pages.check()


def test_the_new_pages_at_phone_width(phone, make, db):
    champion = make.champion(first_name="Phone", last_name="Person")
    staff = make.user(role="staff")
    fund = make.fund(name="Small Sparks")
    phone.page.set_viewport_size({"width": 360, "height": 740})
    sign_in(phone, staff, "/staff")
    for path in (
        f"/staff/champions/{champion.id}/details",
        "/staff/saved-searches",
        f"/grants/staff/funds/{fund.id}/edit",
    ):
        phone.goto(path)
        width = phone.page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{path} scrolls sideways at 360 px ({width} px wide)"
    phone.shot("champion-correct-phone")
