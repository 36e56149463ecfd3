"""API tokens in a real browser: staff make a token (its secret shown once), use it with the API, see it listed
with its last use and revoke it; the reference page reads the OpenAPI document. axe on every page, and the pages fit
a 320 px phone."""

from __future__ import annotations

import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_staff_make_use_and_revoke_a_token(pages, phone, make, db):
    staff = make.user(role="staff")
    make.champion()
    db.session.commit()
    sign_in(pages, staff)
    page = pages.page
    pages.goto("/account/api-tokens")
    page.click("button:has-text('Make the token')")  # nothing filled in: the error pattern, checked by axe
    pages.check()
    assert page.locator(".nhsuk-error-summary").is_visible()
    page.fill("#name", "Partner CRM")
    page.check("input[name=scope_champions][value=write]")
    page.check("input[name=lifetime][value='30']")
    page.click("button:has-text('Make the token')")
    pages.check()
    secret = page.input_value("#secret")
    assert secret.startswith("chp_")
    pages.shot("api-token-made")

    answer = page.request.get(pages.base_url + "/api/v1/champions", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status == 200 and len(answer.json()["items"]) == 1

    pages.goto("/account/api-tokens")
    row = page.locator("tr", has_text="Partner CRM")
    assert "Never" not in row.inner_text() and secret not in page.content()
    phone.page.context.add_cookies(page.context.cookies())
    phone.goto("/account/api-tokens")
    width = phone.page.evaluate("document.documentElement.scrollWidth")
    phone.shot("api-tokens-phone")
    assert width <= 320, f"the tokens page scrolls sideways at 320 px ({width} px)"

    row.get_by_role("button", name="Revoke Partner CRM").click()
    pages.check()
    assert "revoked" in page.content()
    again = page.request.get(pages.base_url + "/api/v1/champions", headers={"Authorization": f"Bearer {secret}"})
    assert again.status == 401 and again.headers["content-type"] == "application/problem+json"


def test_the_reference_page_lists_the_operations(pages, phone):
    pages.goto("/api/v1/docs")
    assert pages.page.locator("h3", has_text="POST /api/v1/champions").count() == 1
    pages.shot("api-reference")
    # The introduction's names are shown as code, not between backticks.
    intro = pages.page.locator("h1 + p")
    assert intro.locator("code", has_text="Authorization: Bearer").count() == 1 and "`" not in intro.inner_text()

    # The longest paths wrap on a 320 px phone instead of widening the page.
    phone.goto("/api/v1/docs")
    width = phone.page.evaluate("document.documentElement.scrollWidth")
    phone.shot("api-reference-phone")
    assert width <= 320, f"the reference page scrolls sideways at 320 px ({width} px)"
