"""Follow-ups in headless Chromium, checked by axe-core: a task added on a champion's page, seen on the staff home
page and the Tasks list, and marked done from there; the pages at phone width without sideways scrolling."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

NOW = datetime(2026, 3, 10, 9, 30)


def test_a_task_from_the_champions_page_to_done(pages, make, db, clock):
    clock.set(NOW)
    champion = make.champion(first_name="Amira", last_name="Khan")
    staff = make.user(role="staff")
    page = pages.page
    sign_in(pages, staff, "/staff")
    pages.goto(f"/staff/champions/{champion.id}")
    page.click("#follow-up ~ p a:has-text('Add a task')")
    page.wait_for_selector("h1:has-text('Add a task about Amira Khan')")
    pages.check()
    page.fill("#title", "")
    page.click("button:has-text('Add task')")
    page.wait_for_selector(".nhsuk-error-summary")
    pages.check()  # the error summary and the message by the field
    page.fill("#title", "Ring about the market stall")
    page.fill("#due_on", "12")
    page.fill("#due_on-month", "3")
    page.fill("#due_on-year", "2026")
    page.click("button:has-text('Add task')")
    page.wait_for_selector("text=Task added.")
    pages.check()
    assert "Ring about the market stall" in page.inner_text("section.app-follow-up")
    pages.shot("followups-champion-1280")

    pages.goto("/staff")
    assert "Ring about the market stall" in page.inner_text("#my-tasks ~ table")
    pages.goto("/staff/tasks")
    pages.shot("followups-tasks-1280")
    page.click("button:has-text('Mark done')")
    page.wait_for_selector("text=Task marked done.")
    pages.check()
    assert "No tasks match." in page.inner_text("main")


def test_the_follow_up_pages_at_phone_width(phone, make, db, clock):
    clock.set(NOW)
    from tests.followups.helpers import task

    champion = make.champion(first_name="Phone", last_name="Person")
    staff = make.user(role="staff")
    added = task(db, champion, staff, title="A rather long task title that has to wrap on a narrow phone screen")
    phone.page.set_viewport_size({"width": 360, "height": 740})
    sign_in(phone, staff, "/staff")
    for path in (
        f"/staff/champions/{champion.id}",
        "/staff/tasks",
        f"/staff/followups/champion/{champion.id}/tasks/{added.id}/edit",
        f"/staff/followups/champion/{champion.id}/owner",
        "/staff/tasks/email",
    ):
        phone.goto(path)
        width = phone.page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{path} scrolls sideways at 360 px ({width} px wide)"
    phone.goto("/staff/tasks")
    phone.shot("followups-tasks-phone")
