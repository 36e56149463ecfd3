"""iCalendar (RFC 5545) for workshops, built with the ``icalendar`` library: each event has a stable UID, a
DTSTAMP, CREATED, LAST-MODIFIED and the workshop's SEQUENCE, and its times are wall-clock times in the
Europe/London zone (``TZID=Europe/London``), with the zone's VTIMEZONE in the calendar, so that a calendar app
shows 6pm in July as 6pm British Summer Time wherever it is set."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta

import icalendar

from champions.core.clock import UK
from champions.core.db import as_utc, now_utc
from champions.core.forms import EARLIEST, LATEST
from champions.workshops.models import Workshop

PRODID = "-//Greater Manchester cancer champions//Champions workshops//EN"
# How often a subscribed calendar app is asked to fetch the feed again (RFC 7986 REFRESH-INTERVAL; Outlook reads
# X-PUBLISHED-TTL).
REFRESH = timedelta(hours=1)
# Control characters are not allowed in iCalendar text (RFC 5545 3.1, 3.3.11); tabs and line breaks are.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str) -> str:
    """Text as an event may carry it: control characters (NUL and the like) removed, line breaks kept (as \\n)."""
    return _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def london(value: datetime) -> datetime:
    """A stored time (UTC) as the wall-clock time in the UK, aware of the Europe/London zone."""
    return as_utc(value).astimezone(UK)


def _zone_span(times: list[datetime]) -> tuple[date, date]:
    """The dates the VTIMEZONE covers: a year either side of the events, within the dates the app takes
    (core.forms: icalendar cannot describe a zone up to the very edge of the calendar)."""
    first = min(max(min(times).date(), EARLIEST + timedelta(days=366)) - timedelta(days=366), LATEST)
    last = max(min(max(times).date(), LATEST - timedelta(days=366)) + timedelta(days=366), EARLIEST)
    return first, max(last, first + timedelta(days=1))


def _event(workshop: Workshop, host: str, url: str | None, stamp: datetime) -> icalendar.Event:
    """One VEVENT. Its UID never changes; SEQUENCE goes up when the workshop is moved, when what the event shows
    changes and when it is cancelled, so a calendar app replaces the event it holds (and removes or marks a
    cancelled one) rather than adding a second."""
    cancelled = workshop.cancelled_at is not None
    event = icalendar.Event()
    event.add("uid", f"workshop-{workshop.id}@{host}")
    event.add("dtstamp", as_utc(stamp))
    event.add("created", as_utc(workshop.created_at))
    event.add("last-modified", as_utc(workshop.updated_at))
    event.add("sequence", workshop.sequence)
    event.add("dtstart", london(workshop.starts_at))
    event.add("dtend", london(workshop.ends_at))
    event.add("summary", clean_text(("Cancelled: " if cancelled else "") + workshop.title))
    event.add("location", clean_text(f"{workshop.venue}, {workshop.borough.name}"))
    description = f"{workshop.type_label}."
    if cancelled:
        description = "This workshop is cancelled." + (f" {workshop.cancel_reason}" if workshop.cancel_reason else "")
    if workshop.description:
        description += "\n\n" + workshop.description
    event.add("description", clean_text(description))
    if url:
        event.add("url", url)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    # A cancelled event no longer makes anyone busy.
    event.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
    return event


def calendar(
    workshops: Iterable[Workshop],
    *,
    host: str,
    name: str,
    urls: Mapping[int, str] | None = None,
    stamp: datetime | None = None,
    feed: bool = False,
) -> bytes:
    """A VCALENDAR of the workshops (METHOD:PUBLISH), with the Europe/London VTIMEZONE its events use.
    ``feed`` marks a calendar that apps subscribe to: it says how often to fetch it again."""
    stamp = stamp or now_utc()
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", clean_text(name))
    cal.add("x-wr-timezone", "Europe/London")
    if feed:
        cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", icalendar.vDuration(REFRESH))  # an X- property: typed here, not guessed
    starts: list[datetime] = []
    for workshop in workshops:
        cal.add_component(_event(workshop, host, (urls or {}).get(workshop.id), stamp))
        starts += [as_utc(workshop.starts_at), as_utc(workshop.ends_at)]
    if starts:
        # The zone's rules over the years the events span (a year either side), not since 1970.
        first, last = _zone_span(starts)
        cal.add_missing_timezones(first_date=first, last_date=last)
    return cal.to_ical()
