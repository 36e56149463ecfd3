"""Signing up with more organisations working with the programme than the form lists: names suggested as typed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from champions.organisations.services import create_organisation
from champions.profiles.models import Champion
from champions.roster import views
from tests.browser.conftest import fill_sign_up

pytestmark = pytest.mark.browser


def test_on_a_phone_the_organisation_is_found_by_typing_part_of_its_name(phone, db, monkeypatch):
    monkeypatch.setattr(views, "LISTED_UP_TO", 2)
    for name, level in (
        ("Bolton Lads and Girls Club", "engaged"),
        ("Bolton Hindu Forum", "partner"),
        ("Wigan Runners", "engaged"),
        ("Bolton Quiet Group", "aware"),
    ):
        create_organisation(name, type="grassroots", engagement_level=level)
    db.session.commit()
    page = phone.page
    phone.goto("/register")
    page.check("input[name=heard_via][value=organisation]")
    assert page.is_visible("#organisation_name") and page.locator("#organisation_id").count() == 0
    page.locator("#organisation_name").press_sequentially("bolt", delay=30)
    suggested = page.locator("#organisation_name-suggestions option")
    suggested.first.wait_for(state="attached")
    assert [o.get_attribute("value") for o in suggested.all()] == ["Bolton Hindu Forum", "Bolton Lads and Girls Club"]
    phone.check()
    page.fill("#organisation_name", "Bolton Hindu Forum")  # as choosing the suggestion fills it
    fill_sign_up(page, **{"#first_name": "Asha", "#last_name": "Patel", "#email": "asha@example.org"})
    page.check("#privacy_consent")
    page.click("button:has-text('Create my account')")
    page.wait_for_url("**/register/check-your-email")
    champion = db.session.scalar(select(Champion).where(Champion.first_name == "Asha"))
    assert champion.heard_via_organisation.name == "Bolton Hindu Forum"
