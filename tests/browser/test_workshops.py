"""Workshops in a real browser: staff record one with attendance and outputs; a champion signs up for one."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from champions.workshops.models import Workshop, WorkshopSignup
from tests.browser.conftest import Pages, expected, sign_in
from tests.factories import PASSWORD
from tests.workshops.helpers import make_contact, make_org, make_workshop

pytestmark = pytest.mark.browser


def test_staff_record_a_workshop_with_attendance_and_outputs(pages, phone, make, db):
    staff = make.user(role="staff")
    make.champion(first_name="Nadia", last_name="Khan", email="nadia@example.org", borough_code="oldham")
    org = make_org(db, "Oldham Interfaith Forum", boroughs=("oldham",))
    make_contact(db, org, "Grace Hall", role="Coordinator")
    db.session.commit()
    page = pages.page
    sign_in(pages, staff, "/staff")
    page.click("a.nhsuk-header__navigation-link:has-text('Workshops')")
    page.wait_for_url("**/staff/workshops")
    pages.check()
    page.click("text=Add a workshop")
    page.wait_for_url("**/staff/workshops/new")
    pages.check()

    # A mistake first: it ends before it starts.
    page.fill("#title", "Co-design workshop: Oldham")
    page.fill("#starts_at", "2027-03-14T18:30")
    page.fill("#ends_at", "2027-03-14T17:00")
    page.select_option("#borough", "oldham")
    page.fill("#venue", "Oldham Library, Greaves Street")
    page.select_option("#host_organisation", str(org.id))
    page.click("button:has-text('Save workshop')")
    page.wait_for_selector(".nhsuk-error-summary")
    pages.check()
    assert "The end must be after the start" in page.inner_text(".nhsuk-error-summary")
    assert page.input_value("#title") == "Co-design workshop: Oldham"
    pages.shot("workshops-form-error")

    page.fill("#ends_at", "2027-03-14T20:30")
    page.click("button:has-text('Save workshop')")
    page.wait_for_selector("h1:has-text('Co-design workshop: Oldham')")
    pages.check()

    page.fill("#email", "nadia@example.org")
    page.click("button:has-text('Add champion')")
    page.wait_for_selector("text=Nadia Khan has a place")
    page.click("button:has-text('Check in')")
    page.wait_for_selector("text=Nadia Khan is checked in")
    page.select_option("#contact", label="Grace Hall, Oldham Interfaith Forum")
    page.click("button:has-text('Record attendance')")
    page.wait_for_selector("text=Grace Hall is recorded as attending")
    page.fill("#unregistered_count", "4")
    page.click("button:has-text('Save head-count')")
    page.wait_for_selector("text=The head-count was saved")
    pages.check()
    assert "1 champion checked in, 1 organisation contact, 4 not registered" in page.inner_text("main")

    page.click("text=Record the system map and action plan")
    page.wait_for_url("**/outputs")
    pages.check()
    page.fill("#challenges", "Low bowel screening uptake\nStigma about cancer")
    page.fill("#stakeholders", "GP practices\nMosques and churches")
    page.fill("#barriers", "Letters in English only")
    page.fill("#opportunities", "Bowel Cancer Awareness Month")
    page.fill("#vision", "Everyone in Oldham takes up screening when invited.")
    page.fill("#actions_organisations", "Translate the screening letter")
    page.fill("#actions_groups", "Talk about screening at Friday prayers")
    page.fill("#actions_individuals", "Tell three friends")
    pages.shot("workshops-outputs-form")
    page.click("button:has-text('Save outputs')")
    page.wait_for_selector("text=The system map and action plan were saved")
    pages.check()
    pages.shot("workshops-staff-detail")

    page.click("text=Printable report")
    page.wait_for_selector("h2:has-text('Action plan')")
    pages.check()
    assert "Translate the screening letter" in page.inner_text("main")
    pages.shot("workshops-report")
    page.emulate_media(media="print")
    pages.shot("workshops-report-print")
    assert not page.is_visible("header.nhsuk-header")
    page.emulate_media(media="screen")

    db.session.rollback()  # end the test's read snapshot to see what the browser saved
    workshop = db.session.scalar(select(Workshop))
    assert workshop.unregistered_count == 4 and workshop.vision.startswith("Everyone in Oldham")
    signup = db.session.scalar(select(WorkshopSignup))
    assert signup.checked_in_at is not None
    db.session.rollback()

    # The same page on a 320 px phone.
    sign_in(phone, staff, "/staff")
    phone.goto(f"/staff/workshops/{workshop.id}")
    phone.shot("workshops-staff-detail-phone")
    width = phone.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"the page scrolls sideways at 320 px ({width} px)"


def test_a_champion_signs_up_for_a_workshop_in_their_borough(pages, phone, make, db):
    champion = make.champion(first_name="Sam", email="sam@example.org", borough_code="bolton")
    make_workshop(db, title="Cancer champions get-together in Bolton", capacity=10, venue="Bolton Central Library")
    full = make_workshop(db, title="Screening stories in Bolton", capacity=1)
    other = make.champion(first_name="Early")
    from champions.workshops.services import sign_up

    sign_up(full.id, other.id)
    db.session.commit()
    page = pages.page
    sign_in(pages, champion.user, "/me")
    pages.check()
    page.click("text=See upcoming workshops in Bolton and sign up")
    page.wait_for_url("**/workshops")
    pages.check()
    assert "Full: you can join the waiting list" in page.inner_text("main")
    pages.shot("workshops-champion-list")

    page.click("text=Cancer champions get-together in Bolton")
    page.wait_for_selector("button:has-text('Sign up')")
    pages.check()
    page.click("button:has-text('Sign up')")
    page.wait_for_selector("text=You have a place.")
    pages.check()
    pages.shot("workshops-champion-signed-up")

    pages.goto("/workshops")
    page.click("text=Screening stories in Bolton")
    page.click("button:has-text('Join the waiting list')")
    page.wait_for_selector("text=You are number 1 on the waiting list")
    pages.check()
    pages.shot("workshops-champion-waiting")
    db.session.rollback()
    statuses = sorted(s.status for s in db.session.scalars(select(WorkshopSignup)))
    assert statuses == ["booked", "booked", "waiting"]
    db.session.rollback()

    sign_in(phone, champion.user, "/me")
    phone.goto("/workshops")
    phone.shot("workshops-champion-list-phone")
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= 320


def test_staff_pages_for_organisations_moments_and_figures_pass_axe(pages, phone, make, db):
    staff = make.user(role="staff")
    from champions.moments.services import seed_awareness_moments

    seed_awareness_moments()
    org = make_org(db, "Rochdale Carers Hub", boroughs=("rochdale",), charity_number="1099999")
    make_org(db, "Rochdale Carers Hub Ltd", boroughs=("rochdale",))
    make_contact(db, org, "Ali Shah", email="ali@example.org", consent_to_contact=True)
    db.session.commit()
    sign_in(pages, staff, "/staff")
    for path, name in (
        ("/staff/organisations", "organisations-list"),
        (f"/staff/organisations/{org.id}", "organisations-detail"),
        ("/staff/organisations/new", "organisations-new"),
        ("/staff/organisations/duplicates", "organisations-duplicates"),
        ("/staff/moments", "moments-list"),
        ("/staff/moments/new", "moments-new"),
        ("/staff/engagement", "workshops-engagement"),
    ):
        pages.goto(path)
        pages.shot(name)
    pages.goto("/staff/moments/new")
    pages.page.click("button:has-text('Save moment')")
    pages.page.wait_for_selector(".nhsuk-error-summary")
    pages.check()
    pages.shot("moments-new-errors")
    sign_in(phone, staff, "/staff")
    phone.goto("/staff/engagement")
    phone.shot("workshops-engagement-phone")
    phone.goto(f"/staff/organisations/{org.id}")
    phone.shot("organisations-detail-phone")
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= 320


def _door(make, db):
    from champions.workshops.services import sign_up

    workshop = make_workshop(db, title="Screening stories in Wigan", capacity=2, borough="wigan")
    for first, last, email, postcode in (
        ("Priya", "Shah", "priya.shah@example.org", "WN1 1AA"),
        ("Tom", "Brennan-Whitworth", "tom.brennan.whitworth@example.org", "WN2 2BB"),
        ("Sam", "Okafor", "sam@example.org", "WN3 3CC"),
    ):
        sign_up(workshop.id, make.champion(first_name=first, last_name=last, email=email, postcode=postcode).id)
    db.session.commit()
    return workshop


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_check_in_at_the_door_on_a_360_px_phone(browser, live_server, make, db, javascript):
    staff = make.user(role="staff")
    workshop = _door(make, db)
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, java_script_enabled=javascript
    )
    errors: list[str] = []
    phone = Pages(context.new_page(), live_server)
    phone.page.on("console", lambda m: errors.append(m.text) if m.type == "error" and not expected(m) else None)
    page = phone.page
    page.set_default_timeout(15_000)
    # axe runs scripts in the page, so it checks the page with JavaScript; without, the same markup is driven.
    check = phone.check if javascript else lambda: None
    page.goto(f"{live_server}/login")
    check()
    page.fill("#email", staff.email)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/staff")
    page.goto(f"{live_server}/staff/workshops/{workshop.id}")
    check()
    assert page.locator("html").evaluate("html => html.scrollWidth") <= 360

    page.fill("#q", "wn1 1aa" if javascript else "WN11AA")
    if javascript:  # filtered as it is typed, the page not reloaded
        page.wait_for_function("document.querySelectorAll('.app-check-in tbody tr:not([hidden])').length === 1")
        assert "1 of 3 shown match" in page.inner_text("#check-in-count")
    else:
        page.click("button:has-text('Find')")
        page.wait_for_url("**q=WN11AA*")
        assert "1 of 3 signed up match" in page.inner_text("#check-in-count")
    check()
    phone.shot(f"workshops-check-in-phone-{'js' if javascript else 'no-js'}")
    button = page.locator("tbody tr:not([hidden]) .app-check-in__button")
    assert button.count() == 1
    box = button.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 280, box  # a thumb-sized target, the width of the row
    button.click()
    page.wait_for_selector("text=Priya Shah is checked in")
    check()
    assert "Checked in" in page.inner_text("tbody tr:has-text('Priya Shah')")
    assert page.locator("html").evaluate("html => html.scrollWidth") <= 360
    context.close()
    assert errors == []
    db.session.rollback()
    checked = db.session.scalars(select(WorkshopSignup).where(WorkshopSignup.checked_in_at.is_not(None))).all()
    assert [s.champion.first_name for s in checked] == ["Priya"]
    db.session.rollback()


def test_staff_cancel_a_workshop_with_a_reason(pages, make, db):
    staff = make.user(role="staff")
    workshop = _door(make, db)
    page = pages.page
    sign_in(pages, staff, "/staff")
    pages.goto(f"/staff/workshops/{workshop.id}")
    page.fill("#reason", "x" * 1001)
    page.click("button:has-text('Cancel this workshop')")
    page.wait_for_selector(".nhsuk-error-summary")
    pages.check()
    assert "1,000 characters or fewer" in page.inner_text(".nhsuk-error-summary")
    page.fill("#reason", "The library is closed for repairs.")
    page.click("button:has-text('Cancel this workshop')")
    page.wait_for_selector("text=3 people signed up will be emailed")
    pages.check()
    assert "The library is closed for repairs." in page.inner_text(".nhsuk-warning-callout")
    pages.shot("workshops-cancelled")
    pages.goto(f"/staff/workshops/{workshop.id}/edit")
    pages.shot("workshops-edit-cancelled")
