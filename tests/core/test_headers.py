"""Response headers per the OWASP Secure Headers Project, and nothing personal kept in a cache."""

from __future__ import annotations

import re

import pytest

from champions.core.security import CACHEABLE_ENDPOINTS, CLEAR_SITE_DATA, PERMISSIONS_POLICY
from champions.dashboards.services import compute_programme_snapshot

OWASP = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "X-Permitted-Cross-Domain-Policies": "none",
    "Referrer-Policy": "same-origin",
}
POWERFUL = ("camera", "microphone", "geolocation", "payment", "usb", "serial", "bluetooth", "hid", "midi", "fullscreen")


@pytest.mark.parametrize("url", ["/", "/register", "/no-such-page", "/staff"])
def test_every_response_has_the_owasp_headers(client, url):
    headers = client.get(url).headers
    for name, value in OWASP.items():
        assert headers[name] == value, name
    policy = dict(part.split("=") for part in headers["Permissions-Policy"].split(", "))
    assert all(policy[feature] == "()" for feature in POWERFUL) and set(policy.values()) == {"()"}
    assert headers["Permissions-Policy"] == PERMISSIONS_POLICY
    assert "Clear-Site-Data" not in headers


def test_signing_out_clears_the_sites_data_in_the_browser(client, auth):
    auth.login_as("champion")
    response = client.post("/logout")
    assert response.status_code == 302
    assert response.headers["Clear-Site-Data"] == CLEAR_SITE_DATA == '"cache", "cookies", "storage"'


def test_personal_data_downloads_are_never_stored(client, auth, db):
    auth.login_as("champion")
    for url in ("/me/data/export.json", "/me/data/export.zip"):
        response = client.get(url)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store, max-age=0", url
    client.post("/logout")
    compute_programme_snapshot()
    db.session.commit()
    auth.login_as("admin")
    for url in ("/staff/dashboard/funnel.csv", "/staff/organisations/export.csv", "/admin/audit.csv"):
        response = client.get(url)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store, max-age=0", url


# Headers are set after each view, whatever the database answered: walked once, in the SQLite pass.
@pytest.mark.once
def test_only_static_assets_may_be_cached(app, client, auth):
    """Every other GET route, signed in as an administrator, answers no-store whatever its status."""
    auth.login_as("admin")
    checked = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in CACHEABLE_ENDPOINTS or rule.endpoint == "accounts.logout":
            continue
        url = re.sub(r"<(?:int:)?(\w+)>", "1", re.sub(r"<path:\w+>", "x", rule.rule))
        response = client.get(url)
        assert response.headers["Cache-Control"] == "no-store, max-age=0", (url, response.status_code)
        checked += 1
    assert checked > 100
    assert "no-store" not in client.get("/static/css/app.css").headers.get("Cache-Control", "")
