"""A live server on a free port and headless Chromium (Debian's package) driven by Playwright."""

from __future__ import annotations

import functools
import json
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from champions import create_app
from config import PROJECT_ROOT, load_config
from tests.conftest import need
from tests.factories import PASSWORD

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def live_server(app):
    # The same database as the test session, with CSRF on, as in production.
    config = load_config("testing")
    config.WTF_CSRF_ENABLED = True
    live = create_app(config)
    server = make_server("127.0.0.1", 0, live, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.extensions["celery"].set_default()
    app.extensions["celery"].set_current()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    executable = chromium_path()
    need(executable is not None, "Chromium is not installed (apt-get install chromium), so browser tests cannot run")
    need(AXE.exists(), "axe-core is not installed (run bin/setup)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@functools.cache
def _axe_source() -> str:
    return AXE.read_text()


class Pages:
    """A browser tab that checks every page it visits with axe-core."""

    def __init__(self, page, base_url: str):
        self.page = page
        self.base_url = base_url
        self.visited: list[str] = []

    def goto(self, path: str):
        self.page.goto(self.base_url + path)
        self.check()

    def check(self):
        """Fail on any WCAG 2.2 AA violation on the page as it is now."""
        self.page.wait_for_load_state("load")
        # Let the NHS.UK header finish laying out its menu (it moves overflowing items into "More").
        self.page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        self.page.evaluate(_axe_source())
        # Only the violations, and only what a failure shows of them, come back: axe-core otherwise details every
        # rule that passed, node by node (resultTypes), and the whole result would cross to Python.
        violations = self.page.evaluate(
            """options => axe.run(document, options).then(result => result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target)
            })))""",
            {"runOnly": {"type": "tag", "values": WCAG_22_AA}, "resultTypes": ["violations"]},
        )
        assert violations == [], f"axe-core on {self.page.url}:\n{json.dumps(violations, indent=2)}"
        self.visited.append(self.page.url)

    def shot(self, name: str):
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def expected(message) -> bool:
    """Console errors that are not faults: a page we answered with 4xx on purpose, or the NHS
    web font (allowed by the CSP) failing to load where there is no internet, as in CI."""
    if "the server responded with a status of 4" in message.text:
        return True
    return "assets.nhs.uk" in (message.location or {}).get("url", "") or "assets.nhs.uk" in message.text


@pytest.fixture
def pages(browser, live_server):
    errors: list[str] = []
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and not expected(m) else None)
    yield Pages(page, live_server)
    context.close()
    assert errors == [], f"browser console errors (a CSP violation shows here): {errors}"


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(viewport={"width": 320, "height": 640}, is_mobile=True, has_touch=True)
    yield Pages(context.new_page(), live_server)
    context.close()


def shots_dir() -> Path:
    return SHOTS


def sign_in(pages: Pages, user, lands_on: str | None = None) -> None:
    """Sign in as ``user`` on the login page (any session the tab had is dropped first); with ``lands_on``, wait
    for the page the sign-in leads to (``"/staff"``, ``"/me"``), else for the next page to load."""
    page = pages.page
    page.context.clear_cookies()
    pages.goto("/login")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    if lands_on:
        page.wait_for_url(f"**{lands_on}")
    else:
        page.wait_for_load_state()


def fill_sign_up(page, **overrides) -> None:
    """Fill the sign-up form's required answers (the consent apart), each selector's value replaced by
    ``overrides``; the borough is Oldham, as the postcode suggests."""
    values = {
        "#first_name": "Aisha",
        "#last_name": "Begum",
        "#email": "aisha.begum@example.org",
        "#password": "tea and biscuits at four",
        "#postcode": "ol1 1aa",
    }
    values.update(overrides)
    for selector, value in values.items():
        page.fill(selector, value)
    page.select_option("#borough", "oldham")


def follow_emailed_link(pages: Pages, db, to: str, path: str = "/verify") -> None:
    """Open the newest link to ``path`` emailed to ``to``, as the person would from their inbox (sign-up ends on
    "check your email": in the browser that signed up, the link's page offers "Continue", which signs them in)."""
    import re

    from flask import current_app
    from sqlalchemy import select

    from champions.core.models import OutboxMessage

    db.session.rollback()  # a fresh snapshot: the live server has written since
    body = db.session.scalar(
        select(OutboxMessage.text_body).where(OutboxMessage.to_address == to).order_by(OutboxMessage.id.desc())
    )
    db.session.rollback()
    link = re.search(rf"(https?://\S+{path}/\S+)", body).group(1)
    pages.page.goto(link.replace(current_app.config["BASE_URL"].rstrip("/"), pages.base_url))
    if path == "/verify" and pages.page.get_by_role("button", name="Continue").count():
        pages.page.get_by_role("button", name="Continue").click()
