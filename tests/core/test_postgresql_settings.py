"""The app's PostgreSQL connections read every time in UTC, whatever the server's own time zone."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import create_engine, text

from champions.core.db import configure_postgresql
from tests.conftest import only_on_postgres


def test_times_are_read_in_utc_on_a_server_whose_time_zone_is_london(app, db):
    """A server set to Europe/London hands a summer time back as 00:30+01:00: the same moment, but the files and
    the API, which write what they read with its offset, promise UTC (``+00:00``)."""
    only_on_postgres(app)
    london = {"options": "-c TimeZone=Europe/London"}  # as a server configured so would start each connection
    moment = text("SELECT TIMESTAMPTZ '2026-07-01 23:30:00+00'")
    plain = create_engine(db.engine.url, connect_args=london)
    configured = create_engine(db.engine.url, connect_args=london)
    configure_postgresql(configured)
    try:
        with plain.connect() as conn:
            assert conn.scalar(moment).utcoffset() == timedelta(hours=1)  # the test can tell
        with configured.connect() as conn:
            read = conn.scalar(moment)
            assert read.utcoffset() == timedelta(0) and read.isoformat() == "2026-07-01T23:30:00+00:00"
            conn.rollback()  # as the pool does when a connection goes back: the setting stays
            assert conn.scalar(moment).utcoffset() == timedelta(0)
    finally:
        plain.dispose()
        configured.dispose()
