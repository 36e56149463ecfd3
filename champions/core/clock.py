"""The application's one clock.

Every reading of the current time goes through here, so that tests can set it (time-machine moves
``datetime.now`` for the whole process) and a test never mixes a fixed date with the real clock.
``tests/core/test_clock.py`` fails when code under ``champions/`` or ``migrations/`` reads the time
any other way.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

#: The programme's local time zone: quiet hours, "today" and dates shown to people are UK time.
UK = ZoneInfo("Europe/London")


def now_utc() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def now_uk() -> datetime:
    return now_utc().astimezone(UK)


def today_uk() -> date:
    """Today's date in the UK: what a person in Greater Manchester would call today."""
    return now_uk().date()


def uk_date(moment: datetime) -> date:
    """The calendar date in the UK at ``moment``: activity dates, due dates and "today" are all UK dates. A moment
    without a zone is UTC, as every time the app stores is (SQLite hands them back so)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UK).date()


def uk_day_start(day: date) -> datetime:
    """Midnight in the UK at the start of ``day``, in UTC: where a UK date begins, for filters by a date people
    read in UK time (SQLite compares the wall-clock text, so the zone must be UTC)."""
    return datetime.combine(day, time(0), tzinfo=UK).astimezone(UTC)


def today_utc() -> date:
    return now_utc().date()
