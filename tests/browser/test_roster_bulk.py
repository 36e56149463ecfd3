"""The roster in headless Chromium: its first rows show at 1280×900 without scrolling (filters in a side column,
also when a filter is in use), and a tag is added to every champion on the page in the three bulk steps."""

from __future__ import annotations

import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def first_row_top(page) -> float:
    return page.eval_on_selector(".app-roster__table tbody tr", "row => row.getBoundingClientRect().top")


def test_first_rows_show_without_scrolling_and_a_page_is_tagged_at_once(pages, make, db):
    for i in range(12):
        make.champion(first_name=f"Row{i:02}", last_name="Person", borough_code="wigan")
    staff = make.user(role="staff")
    db.session.commit()
    page = pages.page
    sign_in(pages, staff, "/staff")

    for path in ("/staff/champions", "/staff/champions?borough=wigan&stage=registered&sort=name"):
        pages.goto(path)
        assert page.evaluate("window.scrollY") == 0
        top = first_row_top(page)
        row_height = page.eval_on_selector(".app-roster__table tbody tr", "row => row.getBoundingClientRect().height")
        assert top + 3 * row_height < 900, f"{path}: the first three rows end at {top + 3 * row_height:.0f} px"
    pages.shot("roster-1280-filtered")

    page.check("#pick-page")  # the page's script: select every champion on this page
    assert page.locator("input[name=id]:checked").count() == 12
    page.select_option("#bulk-action", "tag")
    page.click("button:has-text('Continue with the ticked')")
    page.wait_for_selector("h1:has-text('Add a tag')")
    pages.check()
    page.fill("#tag_name", "Wigan market stall")
    page.click("button:has-text('Continue')")
    page.wait_for_selector("#bulk-preview")
    pages.check()
    assert "will be added to 12 champions" in page.inner_text("#bulk-preview")
    page.click("button:has-text('Confirm: change 12 champions')")
    page.wait_for_selector("text=Tag “Wigan market stall” added to 12 champions.")
    pages.check()
    assert page.locator(".app-roster__table a:has-text('Wigan market stall')").count() == 12


def test_the_roster_and_a_bulk_step_at_phone_width(phone, make, db):
    champion = make.champion(first_name="Phone", last_name="Person")
    staff = make.user(role="staff")
    db.session.commit()
    phone.page.set_viewport_size({"width": 360, "height": 740})
    sign_in(phone, staff, "/staff")
    for path in ("/staff/champions", f"/staff/champions/bulk?action=stage&id={champion.id}"):
        phone.goto(path)
        width = phone.page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{path} scrolls sideways at 360 px ({width} px wide)"
    phone.shot("roster-bulk-phone")


def test_organisations_and_a_rounds_applications_get_an_owner_in_bulk(pages, make, db):
    from tests.workshops.helpers import make_org

    for name in ("Alpha Group", "Beta Group"):
        make_org(db, name)
    application = make.application(status="eligible")
    staff = make.user(role="staff", email="owner-to-be@example.org")
    db.session.commit()
    page = pages.page
    sign_in(pages, staff, "/staff")

    pages.goto("/staff/organisations")
    page.check("#pick-page")
    page.click("button:has-text('Assign an owner to the ticked')")
    page.wait_for_selector("h1:has-text('Assign an owner')")
    pages.check()
    page.select_option("#owner", label="owner-to-be@example.org")
    page.click("button:has-text('Continue')")
    page.wait_for_selector("#owner-preview")
    pages.check()
    # the two groups, and the register entry of the application's group
    assert "3 organisations will be owned by owner-to-be@example.org" in page.inner_text("#owner-preview")
    page.click("button:has-text('Confirm: change 3 organisations')")
    page.wait_for_selector("text=Owner changed for 3 organisations.")
    pages.check()

    pages.goto(f"/grants/staff/rounds/{application.round_id}")
    page.click("button:has-text('Assign an owner to all that match')")
    page.wait_for_selector("text=1 application selected")
    pages.check()


def test_the_organisation_filter_takes_part_of_a_name_in_the_browser(pages, make, db):
    """Staff open "More filters", type part of an organisation's name and apply: the champions who heard via any
    organisation with that in its name are listed, and the page passes its accessibility checks."""
    from champions.organisations.services import create_organisation

    macmillan = create_organisation("Macmillan Bolton", type="charity")
    create_organisation("Age UK Wigan", type="charity")
    heard = make.champion(first_name="Heard", last_name="Viamac")
    heard.heard_via_organisation_id = macmillan.id
    make.champion(first_name="Other", last_name="Person")
    staff = make.user(role="staff")
    db.session.commit()
    page = pages.page
    sign_in(pages, staff, "/staff")
    pages.goto("/staff/champions")
    page.click("summary:has-text('More filters')")
    page.fill("#organisation_name", "macmill")
    page.click("button:has-text('Apply filters')")
    page.wait_for_selector("#matches:has-text('1 champion matches')")
    pages.check()
    assert page.locator(".app-roster__table tbody a:has-text('Heard Viamac')").count() == 1
    assert page.locator(".app-roster__table tbody a:has-text('Other Person')").count() == 0
    assert page.input_value("#organisation_name") == "macmill"
