"""The reminder the day before, and the iCalendar feed and downloads (parsed with a real parser)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import icalendar
import pytest

from champions.workshops.models import WorkshopSignup
from champions.workshops.services import cancel, sign_up
from champions.workshops.tasks import send_workshop_reminders
from tests.conftest import run_task
from tests.workshops.helpers import make_workshop, sent

# 10:00 on Tuesday 10 March 2026 in London (GMT); the workshop below is on Wednesday 11 March.
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)


def test_a_reminder_goes_once_to_each_attendee_the_day_before(db, make, clock):
    clock.set(NOW)  # the workshops are still to come, so a champion may give up their place
    tomorrow = make_workshop(db, title="Screening saves lives", starts=datetime(2026, 3, 11, 18, 30, tzinfo=UTC))
    later = make_workshop(db, title="Next week", starts=datetime(2026, 3, 17, 18, 30, tzinfo=UTC))
    tomorrow.capacity = 2
    db.session.commit()
    going = make.champion(first_name="Going", email="going@example.org")
    changed_mind = make.champion(first_name="Changed", email="changed@example.org")
    waiting = make.champion(first_name="Waiting", email="waiting@example.org")
    sign_up(tomorrow.id, going.id, by_staff=True)
    sign_up(tomorrow.id, changed_mind.id, by_staff=True)
    sign_up(later.id, waiting.id, by_staff=True)
    db.session.commit()
    cancel(tomorrow.id, changed_mind.id)
    db.session.commit()

    assert run_task(send_workshop_reminders, NOW.isoformat()) == 1
    messages = sent(db)
    assert [m.to_address for m in messages] == ["going@example.org"]
    assert messages[0].subject == "Reminder: Screening saves lives is tomorrow"
    assert "6:30pm" in messages[0].text_body and "Town Hall" in messages[0].text_body

    # Beat firing again (or twice at once) sends nothing more.
    assert run_task(send_workshop_reminders, NOW.isoformat()) == 0
    assert run_task(send_workshop_reminders, (NOW + timedelta(hours=5)).isoformat()) == 0
    assert len(sent(db)) == 1


def test_no_reminder_for_a_cancelled_workshop_or_the_waiting_list(db, make):
    workshop = make_workshop(db, capacity=1, starts=datetime(2026, 3, 11, 9, 0, tzinfo=UTC))
    booked, queued = make.champion(email="booked@example.org"), make.champion(email="queued@example.org")
    sign_up(workshop.id, booked.id, by_staff=True)
    db.session.add(WorkshopSignup(workshop_id=workshop.id, champion_id=queued.id, status="waiting"))
    db.session.commit()
    assert run_task(send_workshop_reminders, NOW.isoformat()) == 1
    assert [m.to_address for m in sent(db)] == ["booked@example.org"]

    other = make_workshop(db, starts=datetime(2026, 3, 12, 9, 0, tzinfo=UTC))
    sign_up(other.id, queued.id, by_staff=True)
    other.cancelled_at = NOW
    db.session.commit()
    assert run_task(send_workshop_reminders, (NOW + timedelta(days=1)).isoformat()) == 0


def test_the_day_before_is_a_london_day_in_summer_time(db, make):
    # 00:30 on 1 July in London is 23:30 on 30 June in UTC: the reminder goes on 30 June, not 29 June.
    workshop = make_workshop(db, starts=datetime(2026, 6, 30, 23, 30, tzinfo=UTC))
    sign_up(workshop.id, make.champion().id, by_staff=True)
    db.session.commit()
    assert run_task(send_workshop_reminders, datetime(2026, 6, 29, 12, 0, tzinfo=UTC).isoformat()) == 0
    assert run_task(send_workshop_reminders, datetime(2026, 6, 30, 12, 0, tzinfo=UTC).isoformat()) == 1


def test_the_reminder_job_is_on_the_beat_schedule(app):
    schedule = app.extensions["celery"].conf.beat_schedule
    assert schedule["workshop-reminders"]["task"] == "champions.workshops.tasks.send_workshop_reminders"


def test_an_ics_download_parses_and_follows_rfc_5545(client, auth, db):
    auth.login_as("staff")
    workshop = make_workshop(
        db,
        title="Co-design: barriers, stakeholders; and next steps for Bolton's faith groups",
        starts=datetime(2026, 7, 1, 17, 0, tzinfo=UTC),
        venue="St Peter's Hall, Churchgate",
        description="Bring ideas.\nTea provided – and cake ☕ for everyone who comes along to the session.",
    )
    response = client.get(f"/workshops/{workshop.id}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    raw = response.get_data()
    lines = raw.split(b"\r\n")
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in lines), [len(line) for line in lines]
    assert any(line.startswith(b" ") for line in lines)  # the long summary was folded
    # 17:00 UTC on 1 July is 6pm British Summer Time: the event carries London's wall-clock time and zone.
    assert b"DTSTART;TZID=Europe/London:20260701T180000" in raw and b"DTEND;TZID=Europe/London:20260701T200000" in raw
    assert b"BEGIN:VTIMEZONE\r\nTZID:Europe/London" in raw
    assert b"SUMMARY:Co-design: barriers\\, stakeholders\\; and next" in raw

    calendar = icalendar.Calendar.from_ical(raw)
    (event,) = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == workshop.title
    assert str(event["LOCATION"]) == "St Peter's Hall, Churchgate, Bolton"
    assert "cake ☕" in str(event["DESCRIPTION"]) and "Bring ideas.\nTea" in str(event["DESCRIPTION"])
    assert event.decoded("DTSTART") == datetime(2026, 7, 1, 17, 0, tzinfo=UTC)
    assert str(event["UID"]).startswith(f"workshop-{workshop.id}@")
    assert event.decoded("DTSTAMP").tzinfo is not None


def test_the_feed_lists_a_champions_upcoming_borough_workshops(client, auth, db):
    auth.login_as("champion")
    make_workshop(db, title="Bolton one")
    make_workshop(db, title="Bolton two")
    make_workshop(db, title="Wigan one", borough="wigan")
    raw = client.get("/workshops/calendar.ics").get_data()
    calendar = icalendar.Calendar.from_ical(raw)
    assert sorted(str(e["SUMMARY"]) for e in calendar.walk("VEVENT")) == ["Bolton one", "Bolton two"]
    assert len({str(e["UID"]) for e in calendar.walk("VEVENT")}) == 2


def test_folding_never_splits_a_multibyte_character(client, auth, db):
    auth.login_as("staff")
    title = "Ça va? " + "é" * 80 + " ☕" * 20
    workshop = make_workshop(db, title=title[:200], description="a,b;c\\d\ne")
    raw = client.get(f"/workshops/{workshop.id}.ics").get_data()
    lines = raw.split(b"\r\n")
    assert all(len(line) <= 75 for line in lines)
    assert all(line.decode("utf-8") is not None for line in lines)  # no line ends inside a character
    (event,) = icalendar.Calendar.from_ical(raw).walk("VEVENT")
    assert str(event["SUMMARY"]) == title[:200]
    assert b"a\\,b\\;c\\\\d\\ne" in raw.replace(b"\r\n ", b"")  # TEXT escaping (RFC 5545 3.3.11)
    assert str(event["DESCRIPTION"]).endswith("a,b;c\\d\ne")


def test_a_calendar_app_subscribes_with_a_private_link(client, auth, db, app):
    user = auth.login_as("champion")
    make_workshop(db, title="Bolton one")
    make_workshop(db, title="Wigan one", borough="wigan")
    page = client.get("/workshops").get_data(as_text=True)
    link = re.search(r"http://[^<\s]+/workshops/feed/[^<\s]+\.ics", page).group(0)
    assert "you have a place on or are waiting for, in any borough, and your borough's upcoming ones" in page
    path = link.split("://", 1)[1].split("/", 1)[1]
    anonymous = app.test_client()
    calendar = icalendar.Calendar.from_ical(anonymous.get("/" + path).get_data())
    assert [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")] == ["Bolton one"]
    assert anonymous.get("/" + path.replace(".ics", "x.ics")).status_code == 404  # tampered
    user.session_version += 1  # "sign out everywhere" revokes the link
    db.session.commit()
    assert anonymous.get("/" + path).status_code == 404


def test_a_cancelled_workshop_takes_no_sign_ups_and_is_marked_in_calendars(client, auth, db, make):
    auth.login_as("staff")
    workshop = make_workshop(db, title="Rained off")
    assert client.post(f"/staff/workshops/{workshop.id}/cancel").status_code == 302
    db.session.expire_all()
    assert workshop.cancelled_at is not None
    raw = client.get(f"/workshops/{workshop.id}.ics").get_data()
    assert b"STATUS:CANCELLED" in raw
    import pytest

    from champions.workshops.services import WorkshopProblem

    with pytest.raises(WorkshopProblem):
        sign_up(workshop.id, make.champion().id)


def test_a_failed_reminder_fails_the_run_for_a_retry_and_others_still_go(db, make, monkeypatch):
    workshop = make_workshop(db, starts=datetime(2026, 3, 11, 18, 0, tzinfo=UTC))
    for email in ("a@example.org", "b@example.org"):
        sign_up(workshop.id, make.champion(email=email).id, by_staff=True)
    db.session.commit()
    import champions.core.email as core_email

    real = core_email.deliver

    def flaky(msg):
        if msg["To"] == "a@example.org":
            raise ConnectionError("mail server down")
        return real(msg)

    monkeypatch.setattr(core_email, "deliver", flaky)
    with pytest.raises(ConnectionError):  # the email retry policy runs the task again
        run_task(send_workshop_reminders, NOW.isoformat())
    assert [m.to_address for m in sent(db)] == ["b@example.org"]
    monkeypatch.setattr(core_email, "deliver", real)
    assert run_task(send_workshop_reminders, NOW.isoformat()) == 1
    assert sorted(m.to_address for m in sent(db)) == ["a@example.org", "b@example.org"]
