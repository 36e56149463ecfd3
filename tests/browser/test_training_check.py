"""The training check walked on a phone (360 and 320 px wide, no sideways scrolling, axe-core on every page): a new
champion answers before the training, finishes it, answers straight after, and eight weeks later (the clock moved,
never slept) follows the nudge's link and answers again; staff see the figures. Without JavaScript too."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import select

from champions.accounts.consent import set_consent
from champions.core.db import now_utc
from champions.evaluation.models import Response
from champions.nudges import evaluation as nudge_evaluation
from champions.nudges.models import NudgeMessage, NudgeRule
from champions.nudges.rendering import context_for, render
from tests.browser.conftest import Pages, sign_in
from tests.browser.test_champion_journeys import visit
from tests.evaluation.helpers import core_resources
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def answer_every_question(page, right: bool = True, confidence: int = 4) -> None:
    """Choose an answer to each question on the page: the first option of each knowledge question (the seeded
    version's right answer is not always first, which is fine: the test reads the score the page shows)."""
    names = page.eval_on_selector_all("input[type=radio]", "els => [...new Set(els.map(e => e.name))]")
    for name in names:
        values = page.eval_on_selector_all(f"input[name={name}]", "els => els.map(e => e.value)")
        value = str(confidence) if len(values) == 5 and values == ["1", "2", "3", "4", "5"] else values[0]
        page.check(f"input[name={name}][value='{value}']")


@pytest.mark.parametrize("width", [360, 320])
def test_a_new_champion_walks_the_check_on_a_phone(browser, live_server, make, db, clock, width):
    clock.set(datetime(2027, 3, 1, 10, 0))
    context = browser.new_context(viewport={"width": width, "height": 740}, is_mobile=True, has_touch=True)
    phone = Pages(context.new_page(), live_server)
    page = phone.page
    champion = make.champion(first_name="Kemi")
    champion.user.email_verified_at = now_utc()
    set_consent(champion.user_id, "email_contact", True)
    db.session.commit()
    sign_in(phone, champion.user, lands_on="/me")

    visit(phone, "/me/training", shot=f"check-{width}-1-training")
    assert "Before you start, a 2-minute check (optional)" in page.inner_text("main")
    page.click("text=Answer the check before you start")
    page.wait_for_url("**/me/training-check/before")
    visit(phone, shot=f"check-{width}-2-before")
    page.click("button:has-text('Save my answers')")  # nothing chosen: the error pattern, nothing saved
    page.wait_for_selector(".nhsuk-error-summary")  # the same address, shown again: wait for the answer
    visit(phone, shot=f"check-{width}-3-errors")
    assert "There is a problem" in page.inner_text("main") and db.session.scalar(select(Response.id)) is None
    answer_every_question(page, confidence=2)
    page.click("button:has-text('Save my answers')")
    page.wait_for_url("**/me/training-check")
    visit(phone, shot=f"check-{width}-4-results")

    for resource in core_resources(db):
        phone.goto(f"/me/training/{resource.id}")
        page.click("button:has-text('Mark as complete')")
        page.wait_for_url("**/me/training")
    visit(phone)
    assert "Before you start" not in page.inner_text("main")
    page.click("text=Answer the short check again (optional)")
    page.wait_for_url("**/me/training-check/after")  # the questions are read off the page: wait for it
    answer_every_question(page, confidence=4)
    page.click("button:has-text('Save my answers')")
    page.wait_for_url("**/me/training-check")

    clock.advance(days=56, hours=1)
    db.session.commit()
    rule = db.session.scalar(select(NudgeRule).where(NudgeRule.key == "training-check-later"))
    assert nudge_evaluation.evaluate_rule(rule, now_utc()) == 1
    db.session.commit()
    message = db.session.scalar(select(NudgeMessage).where(NudgeMessage.user_id == champion.user_id))
    _, body, _ = render(rule, context_for(champion.user, rule, message.context_id))
    link = re.search(r"https?://[^/\s]+(/me/training-check/later)", body).group(1)
    db.session.rollback()
    sign_in(phone, champion.user, lands_on="/me")  # eight weeks on, a new visit
    phone.goto(link)
    visit(phone, shot=f"check-{width}-5-later")
    answer_every_question(page, confidence=3)
    page.click("button:has-text('Save my answers')")
    page.wait_for_url("**/me/training-check")
    visit(phone, shot=f"check-{width}-6-all-three")
    main = page.inner_text("main")
    assert "Before the training" in main and "Straight after" in main and "Eight weeks later" in main
    db.session.rollback()
    assert {p for (p,) in db.session.execute(select(Response.point))} == {"before", "after", "later"}
    context.close()


def test_staff_pages_fit_a_phone_and_work_without_javascript(browser, live_server, phone, make, db):
    staff = make.user(role="staff")
    sign_in(phone, staff, lands_on="/staff")
    for path in ("/staff/evaluation", "/staff/evaluation/questions", "/staff/evaluation/questions/edit"):
        visit(phone, path, shot="check-staff-" + path.strip("/").replace("/", "-"))
    # Without JavaScript (axe-core needs it, so only the form is used here): the questions are changed all the same.
    context = browser.new_context(viewport={"width": 320, "height": 640}, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.fill("#email", staff.email)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/staff")
    page.goto(f"{live_server}/staff/evaluation/questions/edit")
    page.fill("#c3_text", "")
    page.click("button:has-text('Publish these questions')")
    page.wait_for_url("**/staff/evaluation/questions")
    assert "Version 1 (current)" in page.inner_text("main") and "answered 0 times" in page.inner_text("main")
    context.close()
