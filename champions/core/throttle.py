"""Throttling by account and by address, with counters every web process shares.

A ``Throttle`` counts one kind of event (a failed sign-in, a reset email) per subject (an email address, a
client address) in fixed windows: with "10 per 15 minutes" the count starts again at each quarter hour. The
counters live where every web process sees them: in the database by default (the embedded stack), in Redis
when ``THROTTLE_REDIS_URL`` is set (production). Subjects are stored as keyed hashes, so the counters hold
no email or IP address.

In the database, counting happens in the request's transaction and the view commits it. On PostgreSQL the
counter's row stays locked until then, so parallel attempts on one subject are counted one after another and
none slips through on a stale count.

The client's address is ``request.remote_addr``: behind a reverse proxy, set ``TRUSTED_PROXIES`` so that it
is read from X-Forwarded-For (see ``champions.register_proxies``); otherwise everyone shares the proxy's.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

import redis
from flask import Flask, current_app, jsonify, render_template, request
from sqlalchemy import String, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.exceptions import TooManyRequests

from champions.core.clock import now_utc
from champions.core.db import rowcount
from champions.core.errors import is_api_request, problem
from champions.extensions import Model, db

_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*(?:per|/)\s*(\d+)?\s*(second|minute|hour|day)s?\s*$")


class ThrottleCounter(Model):
    """One count: ``<throttle>:<hash of subject>:<window>``, deleted once its window has passed."""

    __tablename__ = "throttle_counters"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    hits: Mapped[int]
    expires_at: Mapped[datetime] = mapped_column(index=True)


@cache
def parse_rate(text: str) -> tuple[int, int]:
    """``"10 per 15 minutes"`` → ``(10, 900)``: how many in how many seconds."""
    match = _RATE.match(text)
    if not match:
        raise ValueError(f"a rate is written like '10 per 15 minutes', not {text!r}")
    amount, count, unit = match.groups()
    return int(amount), int(count or 1) * _UNITS[unit]


def client_address() -> str:
    """The client as counted: an IPv6 client by its /64, the block one home or phone is given."""
    address = request.remote_addr or "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


@dataclass(frozen=True)
class Throttle:
    """A limit on one kind of event per subject. ``setting`` names the config entry holding the rate.

    ``title`` and ``explanation`` are what the person refused is told: what happened, never that they did wrong.
    ``link`` is an optional (text, endpoint) for what they can do meanwhile.
    """

    name: str
    setting: str
    title: str
    explanation: str
    link: tuple[str, str] | None = None

    def hit(self, subject: str) -> Count:
        """Count one event for ``subject``; the caller commits."""
        limit, seconds = parse_rate(current_app.config[self.setting])
        window = int(now_utc().timestamp()) // seconds
        resets_at = datetime.fromtimestamp((window + 1) * seconds, UTC)
        if not current_app.config["THROTTLE_ENABLED"]:
            return Count(self, "", 0, limit, resets_at)
        key = self._key(subject, window)
        hits = _counters().add(key, 1, resets_at, seconds)
        return Count(self, key, hits, limit, resets_at)

    def clear(self, subject: str) -> None:
        """Start ``subject``'s count again from nothing (a password reset lifts the pause on signing in with
        that address); the caller commits."""
        if current_app.config["THROTTLE_ENABLED"]:
            _, seconds = parse_rate(current_app.config[self.setting])
            _counters().clear(self._key(subject, int(now_utc().timestamp()) // seconds))

    def _key(self, subject: str, window: int) -> str:
        digest = hmac.new(current_app.config["SECRET_KEY"].encode(), subject.encode(), hashlib.sha256).hexdigest()
        return f"{self.name}:{digest[:40]}:{window}"


@dataclass
class Count:
    throttle: Throttle
    key: str
    hits: int
    limit: int
    resets_at: datetime

    @property
    def over(self) -> bool:
        return self.hits > self.limit

    def undo(self) -> None:
        """Take this event back (a sign-in that succeeded is not a failure after all)."""
        if self.hits > 0:
            _counters().add(self.key, -1, self.resets_at, 0)
            self.hits -= 1


class Throttled(TooManyRequests):
    """Raised when a count is over its limit; answered with the 'please wait' page."""

    def __init__(self, count: Count):
        super().__init__()
        self.count = count


def refuse_if_over(*counts: Count) -> None:
    over = [count for count in counts if count.over]
    if over:
        raise Throttled(max(over, key=lambda count: count.resets_at))


# --- Where the counts are kept -----------------------------------------------------------------


class DatabaseCounters:
    """Counts in ``throttle_counters``, in the request's transaction."""

    def add(self, key: str, amount: int, expires_at: datetime, seconds: int) -> int:
        table = ThrottleCounter.__table__
        dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
        statement = (
            dialect.insert(table)
            .values(key=key, hits=amount, expires_at=expires_at)
            .on_conflict_do_update(index_elements=[table.c.key], set_={"hits": table.c.hits + amount})
            .returning(table.c.hits)
        )
        return db.session.execute(statement).scalar_one()

    def clear(self, key: str) -> None:
        db.session.execute(delete(ThrottleCounter).where(ThrottleCounter.key == key))


def clear_expired_counters() -> int:
    """Delete the database's counts whose window has passed; the caller commits. Periodic, in a task of its
    own: in a request's transaction, on PostgreSQL, the DELETE could lock rows that a parallel request had
    locked while counting, each then waiting for the other (a deadlock)."""
    return rowcount(db.session.execute(delete(ThrottleCounter).where(ThrottleCounter.expires_at <= now_utc())))


class RedisCounters:
    """Counts in Redis; each key lives one window after its last change."""

    def __init__(self, url: str):
        self.redis = redis.Redis.from_url(url)

    def add(self, key: str, amount: int, expires_at: datetime, seconds: int) -> int:
        with self.redis.pipeline() as pipe:
            pipe.incrby(f"champions:throttle:{key}", amount)
            if seconds:
                pipe.expire(f"champions:throttle:{key}", seconds)
            return int(pipe.execute()[0])

    def clear(self, key: str) -> None:
        self.redis.delete(f"champions:throttle:{key}")


def _counters() -> DatabaseCounters | RedisCounters:
    return current_app.extensions["throttle"]


# --- Wiring --------------------------------------------------------------------------------------


def _too_many(error: Throttled):
    count = error.count
    minutes = max(1, math.ceil((count.resets_at - now_utc()).total_seconds() / 60))
    headers = {"Retry-After": str(minutes * 60)}
    if is_api_request():
        response = problem(429, f"{count.throttle.title}. {count.throttle.explanation}", retry_after_minutes=minutes)
        response.headers.update(headers)
        return response
    if request.accept_mimetypes.best == "application/json":
        return jsonify(error=count.throttle.title, status=429, retry_after_minutes=minutes), 429, headers
    page = render_template("errors/too_many.html", throttle=count.throttle, resets_at=count.resets_at, minutes=minutes)
    return page, 429, headers


def init_app(app: Flask) -> None:
    for name, value in app.config.items():
        if name.endswith("_RATE"):
            parse_rate(value)  # a mistyped rate stops the app starting, not a sign-in
    url = app.config.get("THROTTLE_REDIS_URL")
    app.extensions["throttle"] = RedisCounters(url) if url else DatabaseCounters()
    app.register_error_handler(Throttled, _too_many)
