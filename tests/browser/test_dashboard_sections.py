"""The programme dashboard in sections, and long work followed without a reload, in headless Chromium with axe."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import update as sql_update

from champions.dashboards.sections import SECTIONS
from champions.dashboards.tasks import compute_programme_snapshot
from champions.roster import exporter
from champions.roster.models import ExportJob, JobStatus
from champions.roster.staff_services import RosterFilters
from tests.browser.conftest import sign_in
from tests.conftest import run_task

pytestmark = pytest.mark.browser


def test_each_section_of_the_dashboard_is_one_click_away_and_short(pages, phone, make, db):
    for borough in ("wigan", "bolton", "bury", "oldham"):
        make.champion(borough_code=borough)
    staff = make.user(role="staff")
    db.session.commit()
    run_task(compute_programme_snapshot)
    sign_in(pages, staff, "/staff")
    page = pages.page
    pages.check()
    # The overview's headline and the list of sections are in the first screen at 1280 x 900.
    assert page.locator("text=The figures in detail").bounding_box()["y"] < 900
    for section in SECTIONS:
        page.click(f"main a:has-text('{section.title}')")
        page.wait_for_url(f"**/staff/dashboard/{section.slug}")
        pages.check()
        assert page.inner_text("h1") == section.title
        pages.shot(f"dashboard-{section.slug}")
        page.click("nav.nhsuk-contents-list a:has-text('Overview')")
        page.wait_for_url("**/staff")
    phone.page.context.add_cookies(page.context.cookies())
    for section in SECTIONS:
        phone.goto(f"/staff/dashboard/{section.slug}")
        width = phone.page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, f"{section.slug} scrolls sideways at 320 px ({width} px wide)"


def test_a_running_export_shows_its_progress_and_its_file_without_a_reload(pages, make, db):
    make.champion()
    staff = make.user(role="staff")
    db.session.commit()
    job = exporter.start_export(RosterFilters(), include_special=False, by_user=staff)
    job.status, job.total_rows = JobStatus.RUNNING.value, 10
    db.session.commit()
    sign_in(pages, staff, "/staff")
    page = pages.page
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url) if frame == page.main_frame else None)
    pages.goto(f"/staff/exports/{job.id}")
    assert page.inner_text("[data-progress-text]") == "0 of 10 rows"
    assert not page.is_visible("[data-progress-refresh]")  # the script keeps the page up to date instead
    loaded = len(navigations)

    job_id = job.id

    def update(**values):
        # A write that starts its own transaction, as a worker's does (a read first could not then take the lock).
        db.session.commit()  # end the read the last look at the job began
        db.session.execute(sql_update(ExportJob).where(ExportJob.id == job_id).values(**values))
        db.session.commit()

    update(processed_rows=6)
    page.wait_for_selector("text=6 of 10 rows", timeout=10_000)
    assert page.eval_on_selector("progress", "p => p.value") == 6
    pages.check()

    update(status=JobStatus.DONE.value, processed_rows=10, content="email\r\nann@example.org\r\n")
    page.wait_for_selector("[data-progress-result] a:has-text('Download the CSV file')", timeout=10_000)
    assert page.inner_text("[data-progress-text]") == "Finished: 10 of 10 rows"
    assert len(navigations) == loaded, navigations  # nothing reloaded the page
    pages.check()
    pages.shot("export-finished-without-reload")
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    time.sleep(1.5)
    assert not [url for url in requests if url.endswith("/status")]  # the script stopped asking once it ended
    with page.expect_download() as download:
        page.click("text=Download the CSV file")
    assert download.value.suggested_filename == f"champions-export-{job_id}.csv"


def test_a_funder_sees_small_numbers_hidden_and_recomputed_figures_arrive_by_themselves(pages, make, db):
    from champions.grants.tasks import compute_funder_snapshot

    funder = make.user(role="funder")
    fund = make.fund(funders=[funder])
    big, small = make.round(fund=fund, name="Spring"), make.round(fund=fund, name="Autumn")
    for _ in range(12):
        make.application(round=big, status="approved", amount_requested_pence=100_000)
    make.application(round=small, status="approved", amount_requested_pence=100_000)
    first = run_task(compute_funder_snapshot, fund.id)
    sign_in(pages, funder)
    page = pages.page
    pages.goto(f"/grants/funder/funds/{fund.id}?after={first}")  # as after asking for a recompute
    assert page.inner_text("[data-progress-text]") == "Waiting for the figures to be computed"
    autumn = page.inner_text("#table-rounds tr:has-text('Autumn')")
    assert "fewer than 5" in autumn and "£1,000" not in autumn
    pages.shot("funder-dashboard-recomputing")
    run_task(compute_funder_snapshot, fund.id)
    page.wait_for_url(f"**/grants/funder/funds/{fund.id}", timeout=10_000)  # the script shows the new figures
    page.wait_for_load_state("load")
    pages.check()
    assert page.locator("[data-progress-text]").count() == 0
