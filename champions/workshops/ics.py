"""iCalendar (RFC 5545) for workshops, written by hand: CRLF line ends, lines folded at 75 octets,
text escaped, times in UTC with Z, a stable UID and a DTSTAMP on every event."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from champions.core.db import as_utc, now_utc
from champions.workshops.models import Workshop

PRODID = "-//Greater Manchester cancer champions//Champions workshops//EN"


def escape_text(value: str) -> str:
    """TEXT values (RFC 5545 3.3.11): backslash, semicolon and comma escaped; newlines as \\n."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """Fold a content line so that no physical line exceeds 75 octets, never splitting a UTF-8 character."""
    out: list[str] = []
    current, size, limit = "", 0, 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            out.append(current)
            current, size, limit = " ", 1, 75
        current += char
        size += width
    out.append(current)
    return "\r\n".join(out)


def utc_stamp(value: datetime) -> str:
    return as_utc(value).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _event(workshop: Workshop, host: str, url: str | None, stamp: datetime) -> list[str]:
    """One VEVENT. Its UID never changes; SEQUENCE goes up when the time or place changes and when it is
    cancelled, so a calendar app replaces the event it holds (and shows it cancelled) rather than adding one."""
    cancelled = workshop.cancelled_at is not None
    lines = [
        "BEGIN:VEVENT",
        f"UID:workshop-{workshop.id}@{host}",
        f"DTSTAMP:{utc_stamp(stamp)}",
        f"CREATED:{utc_stamp(workshop.created_at)}",
        f"LAST-MODIFIED:{utc_stamp(workshop.updated_at)}",
        f"SEQUENCE:{workshop.sequence}",
        f"DTSTART:{utc_stamp(workshop.starts_at)}",
        f"DTEND:{utc_stamp(workshop.ends_at)}",
        f"SUMMARY:{escape_text(('Cancelled: ' if cancelled else '') + workshop.title)}",
        f"LOCATION:{escape_text(workshop.venue + ', ' + workshop.borough.name)}",
    ]
    description = f"{workshop.type_label}."
    if cancelled:
        description = "This workshop is cancelled." + (f" {workshop.cancel_reason}" if workshop.cancel_reason else "")
    if workshop.description:
        description += "\n\n" + workshop.description
    lines.append(f"DESCRIPTION:{escape_text(description)}")
    if url:
        lines.append(f"URL:{url}")
    lines.append("STATUS:CANCELLED" if cancelled else "STATUS:CONFIRMED")
    lines.append("END:VEVENT")
    return lines


def calendar(
    workshops: Iterable[Workshop], *, host: str, name: str, urls: dict[int, str] | None = None, stamp=None
) -> str:
    stamp = stamp or now_utc()
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    for workshop in workshops:
        lines.extend(_event(workshop, host, (urls or {}).get(workshop.id), stamp))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
