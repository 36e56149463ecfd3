"""Absolute links on pages and in calendars come from BASE_URL, never from the request's Host header."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from champions.core.email import external_url
from tests.factories import PASSWORD
from tests.workshops.helpers import make_workshop

EVIL = "evil.example"


@pytest.fixture
def champion_client(app, client, make, db):
    """A champion signed in on a forged host: every request of theirs says `Host: evil.example`."""
    user = make.user(role="champion")
    signed_in = client.post("/login", data={"email": user.email, "password": PASSWORD}, base_url=f"http://{EVIL}")
    assert signed_in.status_code == 302
    make_workshop(db, title="Bolton one")
    return client


@pytest.mark.parametrize("url", ["/me/network", "/workshops", "/workshops/calendar.ics", "/workshops/1.ics"])
def test_a_forged_host_header_does_not_reach_the_links(app, champion_client, url):
    response = champion_client.get(url, base_url=f"http://{EVIL}")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    base = app.config["BASE_URL"]
    assert EVIL not in body
    assert base in body or urlsplit(base).hostname in body  # the links (or the calendar UIDs) are there


def test_external_url_is_built_on_base_url_inside_a_request_too(app):
    with app.test_request_context("/", base_url=f"https://{EVIL}"):
        link = external_url("network.join", code="ABCD2345")
    assert link == app.config["BASE_URL"].rstrip("/") + "/join/ABCD2345"


def test_a_base_url_with_a_path_prefix_keeps_it(app, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://champions.example.org/gm")
    with app.app_context():
        assert external_url("accounts.login") == "https://champions.example.org/gm/login"
