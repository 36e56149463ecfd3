"""The throttle's counters: fixed windows, shared by every web process, keyed by hashes; the client's address."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import select

from champions import create_app
from champions.core.models import AuditEvent
from champions.core.tasks import clear_expired_throttle_counters
from champions.core.throttle import RedisCounters, Throttle, ThrottleCounter, Throttled, client_address, parse_rate
from config import ConfigError, _whole_number
from tests.conftest import need, run_task
from tests.factories import PASSWORD

DEMO = Throttle("demo", "DEMO_RATE", "Paused", "Too many demos.")


@pytest.fixture
def throttled(app, monkeypatch):
    monkeypatch.setitem(app.config, "THROTTLE_ENABLED", True)
    monkeypatch.setitem(app.config, "DEMO_RATE", "3 per 15 minutes")
    return app


def test_rates_are_read_like_the_config_writes_them():
    assert parse_rate("10 per 15 minutes") == (10, 900)
    assert parse_rate("60 per hour") == (60, 3600)
    assert parse_rate("3/day") == (3, 86400)
    with pytest.raises(ValueError, match="10 per 15 minutes"):
        parse_rate("10 a minute")


def test_a_mistyped_rate_stops_the_app_starting():
    with pytest.raises(ValueError):
        create_app("testing", SIGN_UPS_PER_ADDRESS_RATE="lots")


def test_counts_in_fixed_windows(throttled, db, clock):
    clock.set(datetime(2025, 6, 2, 10, 1))
    counts = [DEMO.hit("someone@example.org") for _ in range(4)]
    assert [c.hits for c in counts] == [1, 2, 3, 4] and [c.over for c in counts] == [False] * 3 + [True]
    assert counts[-1].resets_at == datetime(2025, 6, 2, 9, 15, tzinfo=UTC)  # 10:15 in London (BST)
    assert DEMO.hit("someone.else@example.org").hits == 1  # each subject its own count
    clock.set(datetime(2025, 6, 2, 10, 15))
    assert DEMO.hit("someone@example.org").hits == 1  # a new window starts afresh


def test_the_counters_hold_no_email_or_address_and_old_windows_are_cleared(throttled, db, clock):
    clock.set(datetime(2025, 6, 2, 10, 1))
    DEMO.hit("someone@example.org")
    DEMO.hit("203.0.113.9")
    db.session.commit()
    keys = db.session.scalars(select(ThrottleCounter.key)).all()
    assert len(keys) == 2 and not any("someone" in key or "203.0" in key for key in keys)
    clock.advance(minutes=30)
    DEMO.hit("someone@example.org")  # a new count deletes nothing: a request's transaction could deadlock
    assert len(db.session.scalars(select(ThrottleCounter.key)).all()) == 3
    db.session.commit()
    assert run_task(clear_expired_throttle_counters) == 2  # beat clears those whose window has passed
    assert len(db.session.scalars(select(ThrottleCounter.key)).all()) == 1


def test_clearing_the_expired_counts_is_on_the_beat_schedule(app):
    schedule = app.extensions["celery"].conf.beat_schedule.values()
    assert "champions.core.tasks.clear_expired_throttle_counters" in {entry["task"] for entry in schedule}


def test_undo_takes_an_event_back(throttled, db, clock):
    clock.set(datetime(2025, 6, 2, 10, 1))
    first = DEMO.hit("someone@example.org")
    first.undo()
    assert DEMO.hit("someone@example.org").hits == 1


def test_clear_starts_one_subjects_count_again(throttled, db, clock):
    clock.set(datetime(2025, 6, 2, 10, 1))
    for _ in range(4):
        DEMO.hit("someone@example.org")
    DEMO.hit("someone.else@example.org")
    DEMO.clear("someone@example.org")
    assert DEMO.hit("someone@example.org").hits == 1
    assert DEMO.hit("someone.else@example.org").hits == 2  # the others' counts stay


def test_switched_off_nothing_is_counted(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "DEMO_RATE", "1 per hour")
    assert not any(DEMO.hit("someone@example.org").over for _ in range(3))
    assert db.session.scalar(select(ThrottleCounter.key)) is None


def test_counts_are_shared_by_every_app_on_the_database(app, db, clock):
    clock.set(datetime(2025, 6, 2, 10, 1))
    apps = [create_app("testing", THROTTLE_ENABLED=True, DEMO_RATE="3 per 15 minutes") for _ in range(2)]
    hits = []
    for n in range(4):
        with apps[n % 2].test_request_context():
            hits.append(DEMO.hit("someone@example.org").hits)
            db.session.commit()
    assert hits == [1, 2, 3, 4]


def test_redis_counts_are_shared_and_nothing_goes_to_the_database(app, db, clock):
    url = os.environ.get("REDIS_URL")
    need(bool(url), "REDIS_URL is not set, so the throttle on Redis cannot be tested")
    clock.set(datetime(2025, 6, 2, 10, 1))
    # A secret of its own, so a count left by another run of the suite is never this test's.
    settings = {"THROTTLE_ENABLED": True, "THROTTLE_REDIS_URL": url, "DEMO_RATE": "3 per 15 minutes"}
    apps = [create_app("testing", SECRET_KEY=uuid.uuid4().hex, **settings)]
    apps.append(create_app("testing", SECRET_KEY=apps[0].config["SECRET_KEY"], **settings))
    assert all(isinstance(a.extensions["throttle"], RedisCounters) for a in apps)
    hits = []
    for n in range(4):
        with apps[n % 2].test_request_context():
            hits.append(DEMO.hit("someone@example.org").hits)
    assert hits == [1, 2, 3, 4]
    with apps[0].test_request_context():
        DEMO.clear("someone@example.org")
        assert DEMO.hit("someone@example.org").hits == 1
    assert db.session.scalar(select(ThrottleCounter.key)) is None


def test_the_refusal_page_says_what_happened_and_when_to_try_again(throttled, clock):
    clock.set(datetime(2025, 6, 2, 10, 1))
    with throttled.test_request_context("/"):
        for _ in range(4):
            count = DEMO.hit("x")
        response = throttled.make_response(throttled.handle_user_exception(Throttled(count)))
    page = response.get_data(as_text=True)
    assert response.status_code == 429 and response.headers["Retry-After"] == str(14 * 60)
    assert "<h1>Paused</h1>" in page and "Too many demos." in page
    assert "You can try again after 10:15am (in 14 minutes)." in page


def client_of(app: Flask, **environ) -> str:
    with app.test_request_context(environ_base=environ.pop("base", None), **environ):
        return client_address()


def test_client_addresses_are_counted_by_host_or_by_ipv6_64(app):
    assert client_of(app, base={"REMOTE_ADDR": "203.0.113.9"}) == "203.0.113.9"
    assert client_of(app, base={"REMOTE_ADDR": "2001:db8:1:2:aaaa::1"}) == "2001:db8:1:2::/64"
    assert client_of(app, base={"REMOTE_ADDR": "::ffff:203.0.113.9"}) == "203.0.113.9"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "seen"),
    [
        (0, "198.51.100.7", "127.0.0.1"),  # no proxy configured: the header is anyone's to forge
        (1, "198.51.100.7", "198.51.100.7"),
        (1, "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # what the client wrote before the proxy's entry is ignored
    ],
)
def test_forwarded_addresses_are_trusted_only_from_configured_proxies(db, make, proxies, forwarded, seen):
    user = make.user()
    client = create_app("testing", TRUSTED_PROXIES=proxies).test_client()
    response = client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD},
        headers={"X-Forwarded-For": forwarded},
        environ_overrides={"REMOTE_ADDR": "127.0.0.1"},
    )
    assert response.status_code == 302
    db.session.commit()  # a fresh read: the login was committed by the other app
    assert db.session.scalar(select(AuditEvent.ip).where(AuditEvent.action == "login")) == seen


def test_trusted_proxies_must_be_a_whole_number(monkeypatch):
    monkeypatch.setenv("TRUSTED_PROXIES", "1")
    assert _whole_number("TRUSTED_PROXIES", 0) == 1
    monkeypatch.setenv("TRUSTED_PROXIES", "one")
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES must be a whole number"):
        _whole_number("TRUSTED_PROXIES", 0)
