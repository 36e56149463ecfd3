"""Cancelling or moving a workshop tells everyone signed up, once each (through the pending-email outbox), and
their calendars: the event keeps its UID, its SEQUENCE goes up and a cancelled one says so (checked with vobject)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import vobject
from sqlalchemy import func, select

from champions.core.db import as_utc
from champions.core.models import OutboxMessage, PendingEmail
from champions.core.pending_email import send_pending_email
from champions.workshops.models import Workshop, WorkshopSignup
from champions.workshops.services import cancel, sign_up
from champions.workshops.views.champion_pages import feed_token
from tests.conftest import run_task
from tests.workshops.helpers import make_workshop, sent

NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
STARTS = datetime(2026, 3, 20, 18, 30, tzinfo=UTC)  # a Friday evening, GMT: UK time is UTC
FORM = {
    "type": "co_design",
    "title": "Screening saves lives",
    "starts_at": "2026-03-20T18:30",
    "ends_at": "2026-03-20T20:30",
    "borough": "bolton",
    "venue": "Town Hall",
    "host_organisation": "",
    "capacity": "2",
    "description": "",
}


@pytest.fixture
def signed_up(db, make, clock):
    """A workshop with two places: two booked, one waiting, one who cancelled, and a booked champion who withdrew."""
    clock.set(NOW)
    workshop = make_workshop(db, title="Screening saves lives", starts=STARTS, capacity=2, venue="Town Hall")
    people = {
        name: make.champion(first_name=name.title(), email=f"{name}@example.org")
        for name in ("booked", "withdrawn", "waiting", "gone")
    }
    for name in ("booked", "withdrawn", "waiting", "gone"):
        sign_up(workshop.id, people[name].id)
    db.session.commit()
    cancel(workshop.id, people["gone"].id)
    people["withdrawn"].stage = "withdrawn"
    db.session.commit()
    db.session.query(OutboxMessage).delete()  # nothing above emails anyone, but start from an empty outbox
    db.session.commit()
    return workshop


def pending(db, kind: str) -> list[PendingEmail]:
    return list(db.session.scalars(select(PendingEmail).where(PendingEmail.kind == kind).order_by(PendingEmail.id)))


def event(body: str, index: int = 0):
    calendar = vobject.readOne(body)
    return calendar.vevent_list[index]


# ---- Cancelling ---------------------------------------------------------------------------------------------


def test_cancelling_emails_each_person_booked_or_waiting_once_with_the_reason(client, auth, db, signed_up):
    auth.login_as("staff")
    response = client.post(f"/staff/workshops/{signed_up.id}/cancel", data={"reason": "The hall has flooded."})
    assert response.status_code == 302

    messages = sent(db)
    assert sorted(m.to_address for m in messages) == ["booked@example.org", "waiting@example.org"]
    assert {m.subject for m in messages} == {"Cancelled: Screening saves lives"}
    booked = next(m for m in messages if m.to_address == "booked@example.org")
    waiting = next(m for m in messages if m.to_address == "waiting@example.org")
    assert "Why: The hall has flooded." in booked.text_body and "Your place is cancelled" in booked.text_body
    assert "Your place on the waiting list is cancelled" in waiting.text_body
    assert "Friday 20 March 2026, 6:30PM" in booked.text_body.replace("pm", "PM")
    # It points to the workshops that can still be booked, not back to the cancelled one.
    assert booked.text_body.rstrip().endswith("/workshops") and "Other workshops near you: http" in booked.text_body
    assert f"/workshops/{signed_up.id}" not in booked.text_body

    # One outbox row each for those still signed up (the withdrawn champion's is not needed); nothing twice.
    rows = pending(db, "workshop_cancelled")
    assert len(rows) == 3 and all(row.done_at is not None for row in rows)
    assert sorted(row.outcome for row in rows) == ["not needed", "sent", "sent"]
    for row in rows:
        assert run_task(send_pending_email, row.id) == "already done"
    client.post(f"/staff/workshops/{signed_up.id}/cancel", data={"reason": "Again"})
    assert len(sent(db)) == 2 and len(pending(db, "workshop_cancelled")) == 3
    assert db.session.get(Workshop, signed_up.id).cancel_reason == "The hall has flooded."
    page = client.get(f"/staff/workshops/{signed_up.id}").get_data(as_text=True)
    assert "The hall has flooded." in page and "Cancel this workshop" not in page


def test_an_email_queued_by_a_worker_that_died_is_sent_once_by_the_sweep(db, signed_up, monkeypatch, clock):
    from champions.core import pending_email
    from champions.workshops.services import cancel_workshop

    monkeypatch.setattr(pending_email.send_pending_email, "delay", lambda *args: None)  # the message is lost
    cancel_workshop(signed_up, "Ill")
    db.session.commit()
    assert sent(db) == [] and all(row.done_at is None for row in pending(db, "workshop_cancelled"))
    monkeypatch.undo()
    clock.advance(hours=2)
    run_task(pending_email._sweep_pending_emails, clock.advance(seconds=0))
    assert sorted(m.to_address for m in sent(db)) == ["booked@example.org", "waiting@example.org"]
    run_task(pending_email._sweep_pending_emails, clock.advance(hours=2))
    assert len(sent(db)) == 2


def test_a_past_workshop_cancelled_later_emails_nobody(db, make, clock):
    clock.set(NOW)
    from champions.workshops.services import cancel_workshop

    past = make_workshop(db, starts=datetime(2026, 3, 1, 10, tzinfo=UTC))
    champion = make.champion()
    sign_up(past.id, champion.id, by_staff=True)
    db.session.commit()
    assert cancel_workshop(past) == 0
    db.session.commit()
    assert pending(db, "workshop_cancelled") == [] and sent(db) == []


def test_a_cancelled_workshop_stays_in_the_calendars_marked_cancelled(client, auth, db, signed_up):
    staff = auth.login_as("staff")
    other = make_workshop(db, title="Sun safety", starts=STARTS)
    before = event(client.get(f"/workshops/{signed_up.id}.ics").get_data(as_text=True))
    assert before.status.value == "CONFIRMED" and before.sequence.value == "0"

    client.post(f"/staff/workshops/{signed_up.id}/cancel", data={"reason": "The hall has flooded; sorry"})

    after = event(client.get(f"/workshops/{signed_up.id}.ics").get_data(as_text=True))
    assert after.uid.value == before.uid.value
    assert after.status.value == "CANCELLED" and after.sequence.value == "1"
    assert "The hall has flooded; sorry" in after.description.value
    for url in ("/workshops/calendar.ics", f"/workshops/feed/{feed_token(staff)}.ics"):
        events = {e.uid.value: e for e in vobject.readOne(client.get(url).get_data(as_text=True)).vevent_list}
        assert events[before.uid.value].status.value == "CANCELLED"
        assert events[before.uid.value].sequence.value == "1"
        assert as_utc(events[before.uid.value].last_modified.value) == NOW
        assert events[before.uid.value.replace(f"-{signed_up.id}@", f"-{other.id}@")].status.value == "CONFIRMED"


def test_a_champions_feed_shows_the_cancellation_too(client, auth, db, signed_up):
    from champions.workshops.services import cancel_workshop

    champion = auth.login_as("champion")
    cancel_workshop(signed_up)
    db.session.commit()
    body = client.get(f"/workshops/feed/{feed_token(champion)}.ics").get_data(as_text=True)
    [only] = vobject.readOne(body).vevent_list
    assert only.status.value == "CANCELLED" and only.summary.value == "Cancelled: Screening saves lives"
    # The champion's list of workshops to sign up for no longer offers it.
    assert "Screening saves lives" not in client.get("/workshops").get_data(as_text=True)


@pytest.mark.parametrize(
    "reason, message",
    [("x" * 1001, "1,000 characters or fewer"), ("Flood\x00ed", "control characters")],
)
def test_a_bad_reason_is_refused_and_nothing_is_cancelled(client, auth, db, signed_up, reason, message):
    auth.login_as("staff")
    response = client.post(f"/staff/workshops/{signed_up.id}/cancel", data={"reason": reason})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page and "There is a problem" in page
    db.session.expire_all()
    assert db.session.get(Workshop, signed_up.id).cancelled_at is None
    assert pending(db, "workshop_cancelled") == [] and sent(db) == []


# ---- Moving -----------------------------------------------------------------------------------------------


def test_moving_emails_each_person_once_with_what_changed(client, auth, db, signed_up, clock):
    auth.login_as("staff")
    uid_before = event(client.get(f"/workshops/{signed_up.id}.ics").get_data(as_text=True)).uid.value
    later = clock.advance(hours=1)
    moved = {**FORM, "starts_at": "2026-03-27T18:00", "ends_at": "2026-03-27T20:00", "venue": "Library"}
    assert client.post(f"/staff/workshops/{signed_up.id}/edit", data=moved).status_code == 302

    messages = sent(db)
    assert sorted(m.to_address for m in messages) == ["booked@example.org", "waiting@example.org"]
    assert {m.subject for m in messages} == {"Change to Screening saves lives: a new time and place"}
    body = next(m for m in messages if m.to_address == "booked@example.org").text_body
    assert "Was: Friday 20 March 2026, 6:30PM to 8:30PM, Town Hall, Bolton" in body.replace("pm", "PM")
    assert "Now: Friday 27 March 2026, 6:00PM to 8:00PM, Library, Bolton" in body.replace("pm", "PM")
    assert "You still have a place" in body
    rows = pending(db, "workshop_moved")
    assert len(rows) == 3 and all(run_task(send_pending_email, row.id) == "already done" for row in rows)

    ics = event(client.get(f"/workshops/{signed_up.id}.ics").get_data(as_text=True))
    assert ics.uid.value == uid_before and ics.sequence.value == "1"
    assert as_utc(ics.dtstart.value) == datetime(2026, 3, 27, 18, tzinfo=UTC)
    assert as_utc(ics.last_modified.value) == later and as_utc(ics.dtstamp.value) == later
    assert ics.location.value == "Library, Bolton"

    # Saving the same again changes nothing; changing only the description emails nobody, but the calendar
    # event shows it, so its SEQUENCE goes up for calendar apps to take the new text.
    assert client.post(f"/staff/workshops/{signed_up.id}/edit", data=moved).status_code == 302
    assert event(client.get(f"/workshops/{signed_up.id}.ics").get_data(as_text=True)).sequence.value == "1"
    client.post(f"/staff/workshops/{signed_up.id}/edit", data={**moved, "description": "Bring a friend"})
    assert len(sent(db)) == 2
    ics = event(client.get(f"/workshops/{signed_up.id}.ics").get_data(as_text=True))
    assert ics.sequence.value == "2" and "Bring a friend" in ics.description.value


def test_the_edit_page_says_what_a_change_of_time_or_place_does(client, auth, signed_up):
    auth.login_as("staff")
    page = client.get(f"/staff/workshops/{signed_up.id}/edit").get_data(as_text=True)
    assert "2 people have a place and 1 is on the waiting list" in page
    assert "each of them is emailed once with what it was and what it is now" in page
    assert "Changing anything else sends no email" in page


def test_a_workshop_without_sign_ups_moves_without_email_but_its_calendar_event_changes(client, auth, db, clock):
    clock.set(NOW)
    auth.login_as("staff")
    workshop = make_workshop(db, starts=STARTS, title="Screening saves lives")
    client.post(f"/staff/workshops/{workshop.id}/edit", data={**FORM, "borough": "wigan"})
    assert sent(db) == [] and db.session.get(Workshop, workshop.id).sequence == 1


@pytest.mark.parametrize(
    "change, field_message",
    [
        ({"capacity": "1"}, "2 people have a place, so the capacity cannot be less than 2"),
        ({"starts_at": "2026-03-09T18:00", "ends_at": "2026-03-09T20:00"}, "cannot be moved into the past"),
        ({"starts_at": "2026-02-30T18:00"}, "Enter a real date and time"),
        ({"starts_at": "9999-99-99T99:99"}, "Enter a real date and time"),
        ({"ends_at": "2026-03-20T17:00"}, "The end must be after the start"),
    ],
)
def test_an_edit_that_breaks_a_rule_changes_nothing_and_emails_nobody(
    client, auth, db, signed_up, change, field_message
):
    auth.login_as("staff")
    response = client.post(f"/staff/workshops/{signed_up.id}/edit", data={**FORM, "venue": "Library", **change})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert field_message in page and "There is a problem" in page
    assert 'value="Library"' in page  # what was typed is kept
    db.session.expire_all()
    workshop = db.session.get(Workshop, signed_up.id)
    assert (workshop.venue, workshop.capacity, workshop.sequence) == ("Town Hall", 2, 0)
    assert as_utc(workshop.starts_at) == STARTS
    assert db.session.scalar(select(func.count()).select_from(PendingEmail)) == 0


def test_a_forged_sign_up_of_another_workshop_is_not_found_and_nothing_changes(client, auth, db, signed_up, make):
    auth.login_as("staff")
    other = make_workshop(db, starts=STARTS)
    stranger = sign_up(other.id, make.champion().id)
    db.session.commit()
    for action in ("check-in", "cancel"):
        response = client.post(f"/staff/workshops/{signed_up.id}/signups/{stranger.id}/{action}")
        assert response.status_code == 404
    db.session.expire_all()
    stranger = db.session.get(WorkshopSignup, stranger.id)
    assert (stranger.status, stranger.checked_in_at) == ("booked", None)


def test_a_reminder_sent_before_a_move_is_sent_again_the_day_before_the_new_date(client, auth, db, signed_up, clock):
    from champions.workshops.tasks import send_workshop_reminders

    clock.set(datetime(2026, 3, 19, 12, tzinfo=UTC))
    auth.login_as("staff")
    assert run_task(send_workshop_reminders) == 1  # the booked champion; the withdrawn one is not contacted
    moved = {**FORM, "starts_at": "2026-03-27T18:00", "ends_at": "2026-03-27T20:00"}
    assert client.post(f"/staff/workshops/{signed_up.id}/edit", data=moved).status_code == 302
    assert db.session.get(Workshop, signed_up.id).sequence == 1
    assert run_task(send_workshop_reminders) == 0  # not due yet
    clock.set(datetime(2026, 3, 26, 12, tzinfo=UTC))
    assert run_task(send_workshop_reminders) == 1
    assert [m.to_address for m in sent(db, "Reminder")] == ["booked@example.org"] * 2
    assert [m.subject for m in sent(db, "Change to")] == ["Change to Screening saves lives: a new time"] * 2


def test_the_champion_sees_why_a_workshop_was_cancelled(client, auth, db, make, clock):
    from champions.workshops.services import cancel_workshop

    clock.set(NOW)
    champion = auth.login_as("champion").champion
    workshop = make_workshop(db, starts=STARTS)
    sign_up(workshop.id, champion.id)
    cancel_workshop(workshop, "The speaker is ill.")
    db.session.commit()
    page = client.get(f"/workshops/{workshop.id}").get_data(as_text=True)
    assert "This workshop has been cancelled. <span" in page and "The speaker is ill." in page
    [message] = sent(db)
    assert message.to_address == champion.user.email and "The speaker is ill." in message.text_body
