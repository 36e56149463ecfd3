"""Front-end packages: package.json alone names their versions, and every asset URL carries the installed one."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
from flask import url_for

from config import PROJECT_ROOT

PINNED = json.loads((PROJECT_ROOT / "package.json").read_text())
VERSIONS = {**PINNED["dependencies"], **PINNED["devDependencies"]}


def test_package_json_pins_exact_versions_and_node_modules_has_them(app):
    for package, version in VERSIONS.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{package}: {version} is a range, not one version"
        installed = json.loads((app.config["NODE_MODULES"] / package / "package.json").read_text())["version"]
        assert installed == version, f"node_modules has {package} {installed}, package.json says {version}: bin/setup"


def test_no_other_file_names_a_front_end_version():
    if not shutil.which("git") or not (PROJECT_ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = subprocess.run(["git", "ls-files"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    locks = {"package.json", "package-lock.json", "requirements.lock"}
    for name in tracked.stdout.splitlines():
        path = PROJECT_ROOT / name
        if name in locks or not path.is_file() or path.suffix in {".png", ".ico", ".jpg", ".woff", ".woff2"}:
            continue
        text = path.read_text(errors="replace")
        for package, version in VERSIONS.items():
            repeated = re.search(rf"(?<![\d.]){re.escape(version)}(?![\d.])", text)
            assert not repeated, f"{name} repeats {package}'s version: write it only in package.json"


def test_pages_ask_for_the_installed_version_and_only_that_url_is_kept(app, client):
    css = f"/assets/nhsuk/nhsuk-frontend.min.css?v={VERSIONS['nhsuk-frontend']}"
    assert css in client.get("/").get_data(as_text=True)
    with app.test_request_context():
        chart = url_for("core.assets", package="chartjs", filename="chart.umd.min.js")
    assert chart == f"/assets/chartjs/chart.umd.min.js?v={VERSIONS['chart.js']}"
    assert client.get(css).headers["Cache-Control"] == "public, max-age=86400"
    # The import in static/js/app.js names no version, so the browser checks it on every page.
    imported = client.get("/assets/nhsuk/nhsuk-frontend.min.js")
    assert imported.status_code == 200 and "no-cache" in imported.headers["Cache-Control"]
    stale = client.get("/assets/nhsuk/nhsuk-frontend.min.css?v=0.0.1")
    assert stale.status_code == 200 and "no-cache" in stale.headers["Cache-Control"]
    assert client.get("/assets/nowhere/x.js").status_code == 404


def test_every_file_the_nhsuk_stylesheet_asks_for_on_this_site_is_served(client, app):
    """The stylesheet names its icons by root paths (/assets/images/...): each one answers, as an image."""
    css = (app.config["NODE_MODULES"] / "nhsuk-frontend" / "dist" / "nhsuk" / "nhsuk-frontend.min.css").read_text()
    paths = sorted(set(re.findall(r"url\((/[^)'\"]+)\)", css)))
    assert paths, "the stylesheet names no file on this site any more: check this test"
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200 and response.mimetype == "image/svg+xml", path
