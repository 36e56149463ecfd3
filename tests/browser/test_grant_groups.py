"""The applicant's group in a real browser: the form's group questions with their messages, and staff confirming the
register's proposed match, at desktop and phone widths, with axe on every page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from champions.grants.models import Application
from champions.organisations.services import create_organisation
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_a_group_describes_itself_and_staff_confirm_the_match(pages, phone, make, db):
    round_ = make.round(name="Small Sparks spring round")
    applicant, staff = make.user(role="applicant"), make.user(role="staff")
    register = create_organisation("Farnworth Knit and Natter", type="grassroots", postcode="BL4 7AA")
    register_id = register.id
    db.session.commit()

    for device in (pages, phone):
        sign_in(device, applicant)
        device.goto(f"/grants/rounds/{round_.id}/apply")
        page = device.page
        assert "Farnworth Knit and Natter" not in page.content()
        page.fill("#group_name", "farnworth knit & natter")
        page.fill("#group_number", "12")
        page.fill("#group_postcode", "not a postcode")
        page.fill("#group_website", "javascript:alert(1)")
        page.fill("#title", "Knit and natter")
        page.click("button:has-text('Save as draft')")
        page.wait_for_selector(".nhsuk-error-summary")
        device.check()
        summary = page.inner_text(".nhsuk-error-summary")
        assert "Enter a charity number like 1234567" in summary and "Enter a real UK postcode" in summary
        assert "Enter a website address starting with https://" in page.inner_text("#group_website-error")
        assert page.input_value("#group_name") == "farnworth knit & natter"  # what was typed is kept
    device.shot("grants-apply-group-errors-phone")

    page = pages.page
    sign_in(pages, applicant)
    pages.goto(f"/grants/rounds/{round_.id}/apply")
    page.fill("#group_name", "farnworth knit & natter")
    page.check("#group_type")
    page.fill("#group_postcode", "bl4 7aa")
    page.fill("#title", "Knit and natter")
    page.click("button:has-text('Save as draft')")
    page.wait_for_url("**/grants/my/*")
    pages.check()
    db.session.rollback()
    application_id = db.session.scalar(select(Application.id))
    db.session.rollback()

    for device in (phone, pages):
        sign_in(device, staff)
        device.goto(f"/grants/staff/applications/{application_id}")
        text = device.page.inner_text("main")
        assert "Farnworth Knit and Natter" in text and "the same name and postcode" in text
    pages.shot("grants-staff-group-match")
    page.check("#gm-choice")  # the proposed match
    page.click("button:has-text('Confirm the organisation')")
    page.wait_for_selector("text=This application is confirmed as from Farnworth Knit and Natter")
    pages.check()
    db.session.rollback()
    assert db.session.get(Application, application_id).organisation_id == register_id
