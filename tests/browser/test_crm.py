"""The staff CRM in headless Chromium: filter the roster, open a champion, import a file and watch its progress."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest
from flask import current_app
from playwright.sync_api import Error as PlaywrightError

from champions.core.db import after_commit
from champions.extensions import db as _db
from champions.roster import staff_tasks
from champions.roster.importer import run
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def slow_background_jobs(monkeypatch):
    """Run import jobs in a thread, as a worker would, slowed down so the progress bar has something to show."""

    threads: list[threading.Thread] = []

    def work(app, task, args):
        # The live server's app: its SQLite transactions take the write lock up front, as a worker's would. The
        # tasks this one hands on to (run at once, in this thread) must run on it too, not on the test session's
        # app, whose transactions start as reads and can be refused the write lock a page's request took meanwhile.
        app.extensions["celery"].set_current()  # this thread's current Celery app
        with app.app_context():
            task.run(*args)

    def start(app, task, args):
        threads.append(threading.Thread(target=work, args=(app, task, args), daemon=True))
        threads[-1].start()

    def enqueue(task, *args):
        after_commit(_db.session(), start, current_app._get_current_object(), task, args)

    real_process = run.process

    def slow_process(job, dry_run):
        for done in real_process(job, dry_run):
            yield done
            time.sleep(0.25)  # after the task has committed the batch, so pages can read meanwhile

    monkeypatch.setattr("champions.roster.staff_views.enqueue", enqueue)
    monkeypatch.setattr(run, "process", slow_process)
    monkeypatch.setattr(run, "BATCH", 8)
    # The welcome emails the import queues: sent in the same worker thread.
    emails = staff_tasks.send_import_emails
    monkeypatch.setattr(staff_tasks, "send_import_emails", SimpleNamespace(delay=lambda *args: emails.run(*args)))
    yield
    for thread in threads:
        thread.join(timeout=60)


def progress_past(page, value: float, timeout: float = 30) -> float:
    """Wait until the page's own script has moved the bar past ``value`` (no eval in the page: the CSP forbids it).

    ``value`` is a fraction of the bar's maximum, or 1 for a full bar.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            bar = page.query_selector("progress")
            now = bar.evaluate("p => p.value / p.max") if bar else 0
        except PlaywrightError:  # the page reloaded between the two calls
            now = 0
        if now > value or (value >= 1 and now >= 1):
            return now
        time.sleep(0.02)
    main = page.inner_text("main").replace("\n", " | ")[:300]
    raise AssertionError(f"the progress bar did not pass {value:.0%} on {page.url}: {main}")


def partner_file(rows: int) -> bytes:
    lines = ["Email,First name,Last name,Postcode,Borough,Consent"]
    lines += [
        f"Guest{i}@Example.org , Guest{i},Visitor,M{i % 9 + 1} 1AE,manchester,{'yes' if i % 2 else ''}"
        for i in range(rows)
    ]
    lines += ["bad-email,No,Body,M1 1AE,Manchester,", ""]
    return ("\ufeff" + "\r\n".join(lines)).encode()


def test_staff_filter_open_a_champion_and_import_a_file_watching_progress(pages, make, db, slow_background_jobs):
    make.champion(first_name="Wendy", last_name="Wigan", borough_code="wigan", postcode="WN1 1AA")
    make.champion(first_name="Bob", last_name="Bolton", borough_code="bolton")
    staff = make.user(role="staff")
    db.session.commit()
    page = pages.page
    sign_in(pages, staff, "/staff")

    page.click("a.nhsuk-header__navigation-link:has-text('Champions')")
    page.wait_for_url("**/staff/champions")
    pages.check()
    page.click("summary:has-text('More filters')")
    page.select_option("#borough", "wigan")
    page.click("button:has-text('Apply filters')")
    page.wait_for_url("**borough=wigan**")
    pages.check()
    assert "1 champion matches" in page.inner_text("main")
    assert "Bob Bolton" not in page.inner_text("main")
    pages.shot("crm-roster-filtered")

    page.click("text=Wendy Wigan")
    page.wait_for_url("**/staff/champions/*")
    pages.check()
    page.fill("#body", "Met Wendy at the Wigan market stall")
    page.click("button:has-text('Save note')")
    page.wait_for_selector("text=Met Wendy at the Wigan market stall")
    pages.check()
    pages.shot("crm-champion")

    pages.goto("/staff/imports")
    page.set_input_files("#file", files=[{"name": "partner.csv", "mimeType": "text/csv", "buffer": partner_file(150)}])
    page.fill("#source", "Wigan Community Voluntary Service")
    page.select_option("#lawful_basis", "consent")
    page.click("button:has-text('Upload and match columns')")
    page.wait_for_selector("h2:has-text('Match the columns')")
    pages.check()
    assert page.input_value("#email") == "Email" and page.input_value("#consent_email") == "Consent"
    pages.shot("crm-import-mapping")

    page.click("button:has-text('Check the file')")
    assert progress_past(page, 0.3) < 1  # the bar moves while the rows are checked …
    pages.check()
    pages.shot("crm-import-checking")
    assert progress_past(page, 1) == 1  # … and reaches the end before the results show
    page.wait_for_selector("h2:has-text('What would happen')", timeout=30_000)
    pages.check()
    assert page.inner_text("[data-count=new]") == "150" and page.inner_text("[data-count=rejected]") == "1"
    pages.shot("crm-import-dry-run")

    page.click("button:has-text('Import 150 new')")
    assert progress_past(page, 0.3) < 1
    pages.shot("crm-import-running")
    assert progress_past(page, 1) == 1
    pages.shot("crm-import-full-bar")
    page.wait_for_selector("h2:has-text('Import finished')", timeout=30_000)
    pages.check()
    assert page.inner_text("[data-count=new]") == "150"
    pages.shot("crm-import-finished")

    pages.goto("/staff/champions?q=visitor")
    assert "150 champions match" in page.inner_text("main")
    pages.goto("/staff/outbox")
    assert (
        page.inner_text("main").count("Welcome to the Greater Manchester cancer champions") == 50
    )  # 75 consented, 50 a page


def test_staff_pages_work_at_phone_width(phone, make, db):
    champion = make.champion()
    staff = make.user(role="staff")
    db.session.commit()
    sign_in(phone, staff, "/staff")
    for path, name in [
        ("/staff/champions", "crm-roster-phone"),
        (f"/staff/champions/{champion.id}", "crm-champion-phone"),
        ("/staff/imports", "crm-imports-phone"),
        ("/staff/duplicates", "crm-duplicates-phone"),
        ("/staff/training", "crm-training-phone"),
        ("/staff/outcomes", "crm-outcomes-phone"),
        ("/staff/outcomes/new", "crm-outcome-new-phone"),
    ]:
        phone.goto(path)
        width = phone.page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, f"{path} scrolls sideways at 320 px ({width} px wide)"
        phone.shot(name)
