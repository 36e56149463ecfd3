"""Every calendar the app serves (one workshop's .ics, the signed-in feed, the private subscription link), read
by two parsers nobody here wrote (vobject, with its validation, and icalendar, with its command-line viewer):
the Europe/London zone in summer and winter, SEQUENCE after a move and after a change of title, a cancelled
workshop kept and marked cancelled, who sees what in their feed, and hostile links and titles."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
import vobject
from itsdangerous import URLSafeSerializer
from sqlalchemy import event as sa_event

from champions.core.db import as_utc
from champions.core.models import OutboxMessage
from champions.workshops.models import Workshop
from champions.workshops.services import cancel, cancel_workshop, sign_up
from champions.workshops.views.champion_pages import feed_token
from tests.conftest import is_postgres
from tests.factories import PASSWORD
from tests.workshops.helpers import make_workshop

NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)  # a Tuesday in March, GMT
SUMMER = datetime(2026, 7, 1, 17, 0, tzinfo=UTC)  # 6pm British Summer Time
WINTER = datetime(2026, 12, 2, 18, 0, tzinfo=UTC)  # 6pm GMT
FORM = {
    "type": "co_design",
    "title": "Screening saves lives",
    "starts_at": "2026-07-01T18:00",
    "ends_at": "2026-07-01T20:00",
    "borough": "bolton",
    "venue": "Town Hall",
    "host_organisation": "",
    "capacity": "20",
    "description": "",
}


def validated(raw: bytes):
    """The calendar as vobject reads it, after vobject's own validation (which raises on a broken calendar), and
    the same bytes read by icalendar; both must agree on the events."""
    text = raw.decode("utf-8")
    parsed = vobject.readOne(text, validate=True)
    assert parsed.validate(raiseException=True)
    parsed.serialize(validate=True)  # vobject writes it back only if every component validates
    other = icalendar.Calendar.from_ical(raw)
    assert sorted(str(e["UID"]) for e in other.walk("VEVENT")) == sorted(
        e.uid.value for e in getattr(parsed, "vevent_list", [])
    )
    return parsed, other


def events(raw: bytes) -> dict[str, object]:
    """vobject's events by summary."""
    parsed, _ = validated(raw)
    return {e.summary.value: e for e in getattr(parsed, "vevent_list", [])}


def icalendar_cli(tmp_path, raw: bytes) -> str:
    """What icalendar's own command-line viewer prints for the file, in a UTC terminal."""
    path = tmp_path / "workshop.ics"
    path.write_bytes(raw)
    result = subprocess.run(
        [sys.executable, "-m", "icalendar.cli", str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, "TZ": "UTC", "LC_ALL": "C"},
        check=True,
        timeout=60,
    )
    return result.stdout


@pytest.fixture
def setting(db, make, clock):
    clock.set(NOW)
    return make


def routes(client, user, workshop_id: int) -> dict[str, bytes]:
    """Every .ics route, as the signed-in user and through their private link (no session)."""
    from flask import current_app

    anonymous = current_app.test_client()
    served = {
        "one workshop": client.get(f"/workshops/{workshop_id}.ics"),
        "feed": client.get("/workshops/calendar.ics"),
        "subscription": anonymous.get(f"/workshops/feed/{feed_token(user)}.ics"),
    }
    for name, response in served.items():
        assert response.status_code == 200, name
        assert response.mimetype == "text/calendar", name
    return {name: response.get_data() for name, response in served.items()}


@pytest.mark.parametrize("role", ["staff", "champion"])
def test_every_calendar_route_passes_vobjects_validation_and_carries_what_calendar_apps_need(
    client, auth, setting, db, role
):
    user = auth.login_as(role)
    workshop = make_workshop(db, title="Screening saves lives", starts=SUMMER, description="Tea; cake, and talk")
    for name, raw in routes(client, user, workshop.id).items():
        parsed, other = validated(raw)
        assert parsed.version.value == "2.0" and parsed.prodid.value.startswith("-//Greater Manchester")
        assert parsed.calscale.value == "GREGORIAN" and parsed.method.value == "PUBLISH"
        assert [tz.tzid.value for tz in parsed.vtimezone_list] == ["Europe/London"]
        (event,) = parsed.vevent_list
        assert event.uid.value == f"workshop-{workshop.id}@127.0.0.1", name  # stable, domain-style
        assert as_utc(event.dtstamp.value) == NOW and as_utc(event.created.value) == NOW
        assert as_utc(event.last_modified.value) == NOW and event.sequence.value == "0"
        assert event.status.value == "CONFIRMED"
        assert str(event.dtstart.value.tzinfo) != "UTC" and event.dtstart.value.utcoffset() == timedelta(hours=1)
        assert event.description.value == "Co-design workshop.\n\nTea; cake, and talk"
        assert b"DTSTART;TZID=Europe/London:20260701T180000\r\n" in raw, name
        assert b"DTEND;TZID=Europe/London:20260701T200000\r\n" in raw, name
        assert other.get_missing_tzids() == set()  # icalendar finds every zone the events use defined
        assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    feeds = routes(client, user, workshop.id)
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\nX-PUBLISHED-TTL:PT1H\r\n" in feeds["subscription"]
    assert b"REFRESH-INTERVAL" not in feeds["one workshop"]


@pytest.mark.parametrize(
    "starts, local, utc",
    [
        (SUMMER, "20260701T180000", datetime(2026, 7, 1, 17, tzinfo=UTC)),  # BST: UTC+1
        (WINTER, "20261202T180000", datetime(2026, 12, 2, 18, tzinfo=UTC)),  # GMT: UTC
        # The morning the clocks go forward (Sunday 29 March 2026, 1am GMT becomes 2am BST).
        (datetime(2026, 3, 29, 9, tzinfo=UTC), "20260329T100000", datetime(2026, 3, 29, 9, tzinfo=UTC)),
        # The morning they go back (Sunday 25 October 2026, 2am BST becomes 1am GMT).
        (datetime(2026, 10, 25, 10, tzinfo=UTC), "20261025T100000", datetime(2026, 10, 25, 10, tzinfo=UTC)),
    ],
)
def test_times_are_london_wall_clock_times_that_parsers_turn_back_into_the_right_instant(
    client, auth, setting, db, tmp_path, starts, local, utc
):
    auth.login_as("staff")
    workshop = make_workshop(db, title="Screening saves lives", starts=starts)
    raw = client.get(f"/workshops/{workshop.id}.ics").get_data()
    assert f"DTSTART;TZID=Europe/London:{local}\r\n".encode() in raw
    assert b"DTSTART:" not in raw.split(b"BEGIN:VEVENT")[1]  # neither floating nor only UTC
    (event,) = events(raw).values()
    assert event.dtstart.value.astimezone(UTC) == utc  # vobject's reading of the VTIMEZONE
    assert event.dtend.value.astimezone(UTC) == utc + timedelta(hours=2)
    (ical_event,) = icalendar.Calendar.from_ical(raw).walk("VEVENT")
    assert ical_event.start == utc and str(ical_event.start.tzinfo) == "Europe/London"
    printed = icalendar_cli(tmp_path, raw)
    assert "Summary    : Screening saves lives" in printed
    assert f"Starts     : {utc.strftime('%c')}" in printed  # shown in UTC by the viewer


def edit(client, workshop_id: int, **changes: str):
    response = client.post(f"/staff/workshops/{workshop_id}/edit", data={**FORM, **changes})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def test_sequence_goes_up_after_a_move_and_after_a_change_of_title_and_only_the_move_emails(
    client, auth, setting, db, clock
):
    auth.login_as("staff")
    workshop = make_workshop(db, title="Screening saves lives", starts=SUMMER, venue="Town Hall")
    sign_up(workshop.id, setting.champion(email="booked@example.org").id)
    db.session.commit()

    def current():
        (only,) = events(client.get(f"/workshops/{workshop.id}.ics").get_data()).values()
        return only

    assert current().sequence.value == "0"
    clock.advance(hours=1)
    edit(client, workshop.id, starts_at="2026-07-08T18:00", ends_at="2026-07-08T20:00")
    assert current().sequence.value == "1"
    assert as_utc(current().dtstart.value) == datetime(2026, 7, 8, 17, tzinfo=UTC)
    assert [m.to_address for m in db.session.query(OutboxMessage)] == ["booked@example.org"]

    later = clock.advance(hours=1)
    edit(client, workshop.id, title="Screening saves lives: bowel", starts_at="2026-07-08T18:00",
         ends_at="2026-07-08T20:00")  # fmt: skip
    moved_and_renamed = current()
    assert moved_and_renamed.sequence.value == "2" and moved_and_renamed.summary.value == "Screening saves lives: bowel"
    assert as_utc(moved_and_renamed.last_modified.value) == later
    edit(client, workshop.id, title="Screening saves lives: bowel", type="training", starts_at="2026-07-08T18:00",
         ends_at="2026-07-08T20:00")  # fmt: skip
    assert current().sequence.value == "3" and current().description.value == "Training session."
    # A change the event does not show (the capacity) leaves it as it is; neither renaming emailed anyone.
    edit(client, workshop.id, title="Screening saves lives: bowel", type="training", starts_at="2026-07-08T18:00",
         ends_at="2026-07-08T20:00", capacity="30")  # fmt: skip
    assert current().sequence.value == "3"
    assert db.session.query(OutboxMessage).count() == 1
    assert db.session.get(Workshop, workshop.id).sequence == 3


def test_a_rescheduled_workshop_replaces_the_imported_event(client, auth, setting, db, clock, tmp_path):
    """Imported before and after the move: the same UID, a higher SEQUENCE, the new start."""
    auth.login_as("staff")
    workshop = make_workshop(db, title="Screening saves lives", starts=WINTER)
    before_raw = client.get(f"/workshops/{workshop.id}.ics").get_data()
    before_printed = icalendar_cli(tmp_path, before_raw)
    (before,) = events(before_raw).values()

    clock.advance(hours=3)
    edit(client, workshop.id, starts_at="2026-07-15T09:30", ends_at="2026-07-15T12:00", venue="Library")
    after_raw = client.get(f"/workshops/{workshop.id}.ics").get_data()
    (after,) = events(after_raw).values()

    assert after.uid.value == before.uid.value
    assert int(after.sequence.value) > int(before.sequence.value)
    assert as_utc(before.dtstart.value) == WINTER
    assert as_utc(after.dtstart.value) == datetime(2026, 7, 15, 8, 30, tzinfo=UTC)  # 9:30am BST
    assert after.location.value == "Library, Bolton"
    assert as_utc(after.dtstamp.value) > as_utc(before.dtstamp.value)
    after_printed = icalendar_cli(tmp_path, after_raw)
    assert "Starts     : Wed Dec  2 18:00:00 2026" in before_printed
    assert "Starts     : Wed Jul 15 08:30:00 2026" in after_printed and "Location   : Library, Bolton" in after_printed


def test_a_persons_feed_holds_their_places_in_any_borough_and_keeps_a_cancelled_one_marked_cancelled(
    client, auth, setting, db, clock, app
):
    champion = setting.champion(borough_code="bolton")
    user = champion.user
    booked_away = make_workshop(db, title="Wigan booked", borough="wigan", starts=SUMMER)
    waiting_away = make_workshop(db, title="Salford waiting", borough="salford", starts=SUMMER, capacity=1)
    left_away = make_workshop(db, title="Bury left", borough="bury", starts=SUMMER)
    make_workshop(db, title="Wigan not mine", borough="wigan", starts=SUMMER)
    make_workshop(db, title="Bolton to book", starts=WINTER)
    held = make_workshop(db, title="Rochdale held", borough="rochdale", starts=NOW + timedelta(days=1))
    also_held = make_workshop(db, title="Oldham held", borough="oldham", starts=NOW + timedelta(days=2))
    sign_up(waiting_away.id, setting.champion(borough_code="salford").id)
    for workshop in (booked_away, waiting_away, left_away, held, also_held):
        sign_up(workshop.id, champion.id)
    db.session.commit()
    cancel(left_away.id, champion.id)  # they gave up their place themselves
    db.session.commit()
    link = f"/workshops/feed/{feed_token(user)}.ics"

    clock.set(NOW + timedelta(days=30))
    cancel_workshop(db.session.get(Workshop, booked_away.id), "The hall flooded")
    db.session.commit()
    feed = events(app.test_client().get(link).get_data())
    assert sorted(feed) == [
        "Bolton to book",
        "Cancelled: Wigan booked",
        "Oldham held",
        "Rochdale held",
        "Salford waiting",
    ]
    cancelled = feed["Cancelled: Wigan booked"]
    assert cancelled.status.value == "CANCELLED" and cancelled.sequence.value == "1"
    assert cancelled.transp.value == "TRANSPARENT" and "The hall flooded" in cancelled.description.value
    assert cancelled.uid.value == f"workshop-{booked_away.id}@127.0.0.1"
    assert feed["Salford waiting"].status.value == "CONFIRMED"
    # The same feed, signed in.
    auth.client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert sorted(events(client.get("/workshops/calendar.ics").get_data())) == sorted(feed)

    # A year on, the workshops held in March have left the feed; July's are still there, Bolton's past one is not.
    clock.set(NOW + timedelta(days=368))
    assert sorted(events(app.test_client().get(link).get_data())) == ["Cancelled: Wigan booked", "Salford waiting"]


def test_the_staff_feed_holds_every_workshop_in_every_borough(client, auth, setting, db, clock):
    titles = []
    for n, borough in enumerate(("bolton", "bury", "manchester", "oldham", "rochdale", "salford", "stockport",
                                 "tameside", "trafford", "wigan")):  # fmt: skip
        titles.append(f"{borough} workshop")
        make_workshop(db, title=titles[-1], borough=borough, starts=NOW + timedelta(days=n + 1))
    held = make_workshop(db, title="Held last week", starts=NOW + timedelta(hours=1))
    gone = make_workshop(db, title="Called off", borough="wigan", starts=WINTER)
    cancel_workshop(gone)
    db.session.commit()
    clock.set(NOW + timedelta(days=7))
    auth.login_as("staff")
    feed = events(client.get("/workshops/calendar.ics").get_data())
    assert sorted(feed) == sorted([*titles, held.title, "Cancelled: Called off"])
    assert feed["Cancelled: Called off"].status.value == "CANCELLED"
    for event in feed.values():
        workshop_id = event.uid.value.removeprefix("workshop-").split("@")[0]
        assert event.url.value.endswith(f"/staff/workshops/{workshop_id}")

    # One query for the workshops and one for their boroughs, however many there are.
    def statements() -> int:
        seen: list[str] = []

        def count(conn, cursor, statement, *args):
            seen.append(statement)

        sa_event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get("/workshops/calendar.ics").status_code == 200
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", count)
        return len(seen)

    few = statements()
    for n in range(10):
        make_workshop(db, title=f"More {n}", borough="bury", starts=WINTER)
    assert statements() == few


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        "x" * 5000,  # huge
        "%C3%A9%00",  # unicode and a NUL, percent-encoded
        URLSafeSerializer("another key", salt="workshop-calendar-feed").dumps([1, 0]),  # forged
        "W1sxLDBdXQ.AAAAAAAAAAAAAAAAAAAAAAAAAAA",  # a signature of the right shape that does not match
    ],
)
def test_a_bad_feed_link_is_not_found(client, auth, setting, db, token):
    auth.login_as("staff")
    response = client.get(f"/workshops/feed/{token}.ics")
    assert response.status_code == 404


def test_a_link_with_our_signature_but_not_our_payload_revoked_or_for_a_closed_login_is_not_found(
    client, setting, db, app
):
    user = setting.user(role="champion")
    link = f"/workshops/feed/{feed_token(user)}.ics"
    assert client.get(link).status_code == 200
    with app.test_request_context():
        signer = URLSafeSerializer(app.config["SECRET_KEY"], salt="workshop-calendar-feed")
        for payload in ({"a": 1, "b": 2}, ["1", "0"], [True, 0], [10**30, 0], [user.id], "text", None):
            assert client.get(f"/workshops/feed/{signer.dumps(payload)}.ics").status_code == 404, payload
    user.session_version += 1  # signed out everywhere: an expired link
    db.session.commit()
    assert client.get(link).status_code == 404
    fresh = f"/workshops/feed/{feed_token(user)}.ics"
    assert client.get(fresh).status_code == 200
    user.active = False
    db.session.commit()
    assert client.get(fresh).status_code == 404


@pytest.mark.parametrize(
    "title, description",
    [
        ("Ffrindiau’r Frest — 🎗️ dathlu, مرحبا, שלום, 乳がん, e\u0301", "Zero\u200bwidth and RTL \u202e text"),
        ("Nul\x00 and bell\x07 and escape\x1b", "Line\r\nbreaks\rand\ttabs\x00kept, controls dropped"),
        ("T" * 200, "D" * 20_000),
        ('; , \\ : " BEGIN:VEVENT', "END:VCALENDAR\nBEGIN:VEVENT\nUID:injected"),
    ],
    ids=["unicode", "control-characters", "huge", "ical-syntax"],
)
def test_hostile_titles_and_descriptions_serialise_and_parse(client, auth, setting, db, app, title, description):
    auth.login_as("staff")
    workshop = make_workshop(db, title="placeholder", starts=SUMMER)
    if is_postgres(app):  # PostgreSQL stores no NUL in text at all; SQLite does, and the calendar drops it
        title, description = title.replace("\x00", ""), description.replace("\x00", "")
    # Stored as they are (as an import or an old row might hold them), not through the form's checks.
    workshop.title, workshop.description, workshop.venue = title, description, title
    db.session.commit()
    raw = client.get(f"/workshops/{workshop.id}.ics").get_data()
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    assert not any(byte in raw for byte in (b"\x00", b"\x07", b"\x1b"))
    feed_raw = client.get("/workshops/calendar.ics").get_data()
    for body in (raw, feed_raw):
        parsed, other = validated(body)
        (event,) = parsed.vevent_list  # nothing in the text could start a second event
        stripped = title.replace("\x00", "").replace("\x07", "").replace("\x1b", "")
        assert event.summary.value == stripped and event.location.value == f"{stripped}, Bolton"
        assert event.description.value.endswith(
            description.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")
        )
        assert str(other.walk("VEVENT")[0]["SUMMARY"]) == stripped


def test_workshops_at_the_edges_of_the_calendar_serialise_and_parse(client, auth, setting, db):
    auth.login_as("staff")
    near = make_workshop(db, title="Next week", starts=NOW + timedelta(days=7))
    far = make_workshop(db, title="Far future", starts=SUMMER)
    ancient = make_workshop(db, title="Long ago", starts=SUMMER)
    # Stored as they are (an old import, or a row written before the forms' checks), not through the form.
    far.starts_at, far.ends_at = datetime(9999, 12, 31, 20, tzinfo=UTC), datetime(9999, 12, 31, 21, tzinfo=UTC)
    ancient.starts_at, ancient.ends_at = datetime(1, 1, 2, 10, tzinfo=UTC), datetime(1, 1, 2, 11, tzinfo=UTC)
    db.session.commit()
    for workshop in (near, far, ancient):
        raw = client.get(f"/workshops/{workshop.id}.ics").get_data()
        (event,) = events(raw).values()
        assert event.summary.value == workshop.title
    feed = events(client.get("/workshops/calendar.ics").get_data())
    assert sorted(feed) == ["Far future", "Next week"]  # the one long ago is over a year past
    assert b"DTSTART;TZID=Europe/London:99991231T200000" in client.get(f"/workshops/{far.id}.ics").get_data()
