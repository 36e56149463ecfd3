"""Small Sparks in a real browser: apply, review, approve, pay, report, then the funder's dashboard."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from champions.grants.models import Application
from champions.grants.tasks import compute_funder_snapshot
from tests.browser.conftest import follow_emailed_link, sign_in
from tests.conftest import run_task

pytestmark = pytest.mark.browser


def test_a_grant_from_application_to_the_funder_dashboard(pages, phone, make, db):
    page = pages.page
    funder, reviewer, staff = make.user(role="funder"), make.user(role="reviewer"), make.user(role="staff")
    fund = make.fund(funders=[funder])
    round_ = make.round(fund=fund, name="Small Sparks spring round", reviewers=[reviewer], budget_pence=300_000)
    db.session.commit()

    # A community group signs up and applies, making a mistake first.
    pages.goto("/grants")
    pages.shot("grants-public-rounds")
    page.click("text=Create an account to apply")
    pages.check()
    page.fill("#email", "knitters@example.org")
    page.fill("#password", "purl one knit two tea")
    page.check("#privacy_consent")
    page.click("button:has-text('Create my account')")
    page.wait_for_url("**/register/check-your-email")
    pages.check()
    follow_emailed_link(pages, db, "knitters@example.org")  # signs them in
    page.wait_for_url("**/grants/my")
    pages.check()
    page.click("text=Apply to Small Sparks spring round")
    pages.check()
    page.fill("#group_name", "Farnworth Knit and Natter")
    page.check("#group_type")
    page.fill("#group_postcode", "bl4 7aa")
    page.fill("#contact_name", "Pat Hughes")
    page.fill("#contact_email", "knitters@example.org")
    page.fill("#title", "Knit, natter and screening")
    page.fill("#summary", "A weekly knitting circle with talks about bowel screening.")
    page.fill("#activities", "Twelve Tuesday sessions at the library.")
    page.fill("#beneficiaries", "Older women who live alone.")
    page.check("#theme")
    page.check("#boroughs")
    page.fill("#people_expected", "40")
    for name, (day, month, year) in {"start_on": (1, 2, 2027), "end_on": (31, 5, 2027)}.items():
        page.fill(f"#{name}", str(day))
        page.fill(f"#{name}-month", str(month))
        page.fill(f"#{name}-year", str(year))
    page.fill("#amount_requested", "1,300")
    page.fill("#budget_lines-0-description", "Room hire")
    page.fill("#budget_lines-0-amount", "900")
    page.fill("#budget_lines-1-description", "Wool and tea")
    page.fill("#budget_lines-1-amount", "300")
    page.click("button:has-text('Submit application')")
    page.wait_for_selector(".nhsuk-error-summary")
    pages.check()
    assert "The budget lines add up to £1,200" in page.inner_text(".nhsuk-error-summary")
    assert page.input_value("#title") == "Knit, natter and screening"
    pages.shot("grants-apply-errors")
    page.fill("#budget_lines-1-amount", "400")
    page.click("button:has-text('Submit application')")
    page.wait_for_url("**/grants/my/*")
    pages.check()
    assert "Eligible" in page.inner_text("main")
    pages.shot("grants-applicant-submitted")
    db.session.rollback()
    application_id = db.session.scalar(select(Application.id))
    criteria = [c.id for c in round_.criteria]
    db.session.rollback()  # a read transaction left open would not see what the server commits next

    # Staff assign the reviewer.
    sign_in(pages, staff)
    pages.goto(f"/grants/staff/applications/{application_id}")
    page.check("#rv-reviewers")
    page.click("button:has-text('Assign reviewers')")
    page.wait_for_selector("text=Reviewers have been assigned")
    pages.check()

    # The reviewer declares no conflict and scores.
    sign_in(pages, reviewer)
    page.click("text=Knit, natter and screening")
    pages.check()
    page.check("#c-conflict")
    page.click("button:has-text('Continue')")
    page.wait_for_selector("text=Your scores")
    pages.check()
    for criterion_id, score in zip(criteria, (5, 4), strict=True):
        page.check(f"#score_{criterion_id}-{score}")
    page.fill(f"#comment_{criteria[0]}", "Reaches women who are rarely screened")
    page.click("button:has-text('Submit my scores')")
    page.wait_for_selector("text=Your scores have been submitted")
    pages.check()
    pages.shot("grants-reviewer-scored")

    # Staff see the ranked panel, try too much, approve, and pay in full.
    sign_in(pages, staff)
    pages.goto(f"/grants/staff/rounds/{round_.id}/panel")
    assert "4.75" in page.inner_text("main")  # (5 x 3 + 4 x 1) / 4
    pages.shot("grants-panel")
    pages.goto(f"/grants/staff/applications/{application_id}")
    page.fill("#ap-award", "1400")
    page.click("button:has-text('Approve grant')")
    page.wait_for_selector(".nhsuk-error-summary")
    pages.check()
    assert "more than the amount requested, £1,300" in page.inner_text("#ap-award-error")
    pages.shot("grants-approve-error")
    page.fill("#ap-award", "1300")
    page.fill("#ap-conditions", "Send us photos of a session, with consent")
    page.fill("#ap-few_reviews_reason", "The second reviewer is away and the group starts in January")
    page.click("button:has-text('Approve grant')")
    page.wait_for_selector("text=The grant has been approved")
    page.fill("#pa-amount", "1300")
    page.fill("#pa-due_on", "2027-02-01")
    page.fill("#pa-paid_on", "2027-02-03")
    page.fill("#pa-reference", "BACS-0042")
    page.click("button:has-text('Record payment')")
    page.wait_for_selector("text=The payment has been recorded")
    pages.check()
    assert "Paid in full" in page.inner_text("main")
    pages.shot("grants-staff-paid")

    # The group sends its end-of-grant report.
    page.context.clear_cookies()
    pages.goto("/login")
    page.fill("#email", "knitters@example.org")
    page.fill("#password", "purl one knit two tea")
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/grants/my")
    page.click("text=Knit, natter and screening")
    page.click("text=Send your end-of-grant report")
    pages.check()
    db.session.rollback()
    lines = db.session.get(Application, application_id).budget_lines
    db.session.rollback()
    page.fill(f"#spent_{lines[0].id}", "900")
    page.fill(f"#spent_{lines[1].id}", "385.50")
    page.fill("#people_reached", "52")
    page.fill("#champions_recruited", "6")
    page.fill("#activities", "Twelve sessions; a screening nurse came twice.")
    page.fill("#outcomes", "Nine women sent back their bowel screening kits.")
    page.fill("#story", "June had ignored three kits. She sent the fourth back.")
    page.check("#story_public_consent")
    pages.shot("grants-report-form")
    page.click("button:has-text('Send report')")
    page.wait_for_selector("text=Your end-of-grant report has been sent")
    pages.check()
    assert "Reported" in page.inner_text("main")

    # The funder sees their dashboard, computed by the job.
    run_task(compute_funder_snapshot, fund.id)
    sign_in(pages, funder)
    page.click(f"text={fund.name}")
    page.wait_for_selector("#table-award_sizes")
    pages.check()
    main = page.inner_text("main")
    assert "£3,000" in main and "Figures computed" in main
    # One grant: its £1,300 is not shown, nor what remains of the budget (which would give it away); the tables
    # by size, borough and theme are held back, and no chart is drawn from them.
    assert "£1,300" not in main and "£1,700" not in main and "fewer than 5" in main
    assert "Not shown until at least 10 grants have been approved" in main
    assert "Not shown until at least 10 applications have been received" in main
    assert page.locator("#chart-award-sizes").count() == 0
    pages.shot("grants-funder-dashboard")

    phone.page.context.add_cookies(page.context.cookies())
    phone.goto(f"/grants/funder/funds/{fund.id}")
    width = phone.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"the dashboard scrolls sideways at 320 px ({width} px)"
    phone.shot("grants-funder-dashboard-phone")


def test_the_funder_chart_draws_the_figures_shown_and_leaves_out_the_hidden(pages, make, db):
    """Thirteen grants: the award-size table is published, a small band hidden, and the chart beside it draws
    the shown bands only (a hidden one is a gap, never a number read from "fewer than 5")."""
    funder = make.user(role="funder")
    fund = make.fund(funders=[funder])
    round_ = make.round(fund=fund, budget_pence=5_000_000)
    for amount in [50_000] * 6 + [100_000] * 5 + [150_000] * 2:
        make.application(round=round_, status="approved", amount_requested_pence=amount, award_pence=amount)
    fund_id = fund.id
    db.session.commit()
    run_task(compute_funder_snapshot, fund_id)
    sign_in(pages, funder)
    pages.goto(f"/grants/funder/funds/{fund_id}")
    page = pages.page
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('chart-award-sizes'))")
    pages.check()
    table = page.inner_text("#table-award_sizes")
    assert "fewer than 5" in table
    drawn = page.evaluate("Chart.getChart(document.getElementById('chart-award-sizes')).data.datasets[0].data")
    shown = page.evaluate(
        "Array.from(document.querySelectorAll('#table-award_sizes tbody tr')).map(r => r.cells[1].textContent.trim())"
    )
    assert len(drawn) == len(shown)
    for value, text in zip(drawn, shown, strict=True):
        assert value == (int(text.replace(",", "")) if text.replace(",", "").isdigit() else None)
    assert None in drawn and any(isinstance(value, int) and value >= 5 for value in drawn)
    pages.shot("grants-funder-chart")


def test_grant_pages_fit_a_320_px_phone(phone, make, db):
    applicant, staff = make.user(role="applicant"), make.user(role="staff")
    application = make.application(status="approved", applicant=applicant)
    round_id, application_id = application.round_id, application.id
    db.session.commit()
    page = phone.page

    def fits(path, name):
        phone.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, f"{path} scrolls sideways at 320 px ({width} px)"
        phone.shot(name)

    fits("/grants", "grants-phone-rounds")
    fits("/grants/register", "grants-phone-register")
    for user, paths in (
        (
            applicant,
            [(f"/grants/rounds/{round_id}/apply", "grants-phone-apply"), (f"/grants/my/{application_id}", None)],
        ),
        (
            staff,
            [
                (f"/grants/staff/applications/{application_id}", "grants-phone-staff-application"),
                (f"/grants/staff/rounds/{round_id}", None),
            ],
        ),
    ):
        sign_in(phone, user)
        for path, name in paths:
            fits(path, name or "grants-phone-other")
