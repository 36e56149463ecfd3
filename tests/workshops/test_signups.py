"""Places, the waiting list, check-in, and the champion-facing pages."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from champions import create_app
from champions.core.db import now_utc
from champions.workshops.models import SignupStatus, WorkshopSignup
from champions.workshops.services import cancel, check_in, sign_up
from tests.factories import PASSWORD
from tests.workshops.helpers import make_workshop


def statuses(db, workshop):
    db.session.expire_all()
    return {s.champion.first_name: s.status for s in workshop.signups}


def test_capacity_then_a_waiting_list_that_moves_up_in_order(db, make):
    workshop = make_workshop(db, capacity=2)
    people = [make.champion(first_name=name) for name in ("Ann", "Bo", "Cy", "Di")]
    for champion in people:
        sign_up(workshop.id, champion.id)
        db.session.commit()
    assert statuses(db, workshop) == {"Ann": "booked", "Bo": "booked", "Cy": "waiting", "Di": "waiting"}

    moved = cancel(workshop.id, people[0].id)
    db.session.commit()
    assert moved.champion.first_name == "Cy"
    assert statuses(db, workshop) == {"Ann": "cancelled", "Bo": "booked", "Cy": "booked", "Di": "waiting"}

    # Leaving the waiting list frees no place, so nobody moves up.
    assert cancel(workshop.id, people[3].id) is None
    db.session.commit()
    assert statuses(db, workshop)["Di"] == "cancelled"

    # Signing up again after cancelling joins the back of the queue.
    sign_up(workshop.id, people[0].id)
    db.session.commit()
    assert statuses(db, workshop)["Ann"] == "waiting"


def test_concurrent_sign_ups_never_overfill_a_workshop(app, db, make):
    workshop = make_workshop(db, capacity=3)
    emails = [make.champion(first_name=f"C{n}").user.email for n in range(6)]
    workshop_id = workshop.id
    db.session.commit()
    db.session.remove()
    racer = create_app("testing")  # transactions as in production (on SQLite: BEGIN IMMEDIATE)
    barrier = threading.Barrier(len(emails))
    statuses = []

    def attempt(email):
        client = racer.test_client()
        assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
        barrier.wait()
        statuses.append(client.post(f"/workshops/{workshop_id}/sign-up").status_code)

    threads = [threading.Thread(target=attempt, args=(email,)) for email in emails]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    app.extensions["celery"].set_default()
    assert statuses == [302] * len(emails)
    counts = dict(
        db.session.execute(
            select(WorkshopSignup.status, func.count())
            .where(WorkshopSignup.workshop_id == workshop_id)
            .group_by(WorkshopSignup.status)
        ).all()
    )
    assert counts == {"booked": 3, "waiting": 3}


def test_a_champion_sees_upcoming_workshops_in_their_borough_only(client, auth, db, make):
    user = auth.login_as("champion")
    mine = make_workshop(db, borough="bolton", title="Bolton screening chat")
    make_workshop(db, borough="wigan", title="Wigan walk and talk")
    make_workshop(db, borough="bolton", title="Last month's session", starts=now_utc() - timedelta(days=30))
    cancelled = make_workshop(db, borough="bolton", title="Called off")
    cancelled.cancelled_at = now_utc()
    db.session.commit()
    page = client.get("/workshops").get_data(as_text=True)
    assert "Bolton screening chat" in page
    assert "Wigan walk and talk" not in page and "Last month's session" not in page and "Called off" not in page
    assert user.champion.borough_code == "bolton"
    assert client.get(f"/workshops/{mine.id}").status_code == 200


def test_a_champion_signs_up_joins_the_waiting_list_and_cancels(client, auth, db, make):
    workshop = make_workshop(db, capacity=1, title="Small room")
    first = make.champion(first_name="First")
    sign_up(workshop.id, first.id)
    db.session.commit()
    user = auth.login_as("champion")
    response = client.post(f"/workshops/{workshop.id}/sign-up", follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "you are on the waiting list" in text and "number 1 on the waiting list" in text
    # The first champion cancels: our champion moves up.
    cancel(workshop.id, first.id)
    db.session.commit()
    text = client.get(f"/workshops/{workshop.id}").get_data(as_text=True)
    assert "You have a place." in text
    client.post(f"/workshops/{workshop.id}/cancel")
    db.session.expire_all()
    signup = db.session.scalar(select(WorkshopSignup).where(WorkshopSignup.champion_id == user.champion.id))
    assert signup.status == SignupStatus.CANCELLED.value


def test_a_workshop_in_another_borough_is_hidden_from_a_champion(client, auth, db):
    auth.login_as("champion")
    elsewhere = make_workshop(db, borough="wigan")
    assert client.get(f"/workshops/{elsewhere.id}").status_code == 404
    assert client.post(f"/workshops/{elsewhere.id}/sign-up").status_code == 404
    assert client.get(f"/workshops/{elsewhere.id}.ics").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(WorkshopSignup)) == 0


def test_a_champion_cannot_sign_up_for_a_workshop_that_has_started(client, auth, db):
    auth.login_as("champion")
    past = make_workshop(db, starts=now_utc() - timedelta(hours=1))
    response = client.post(f"/workshops/{past.id}/sign-up", follow_redirects=True)
    assert "already started" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(WorkshopSignup)) == 0


def test_the_champion_home_links_to_workshops(client, auth):
    auth.login_as("champion")
    assert 'href="/workshops"' in client.get("/me").get_data(as_text=True)


def test_moving_up_from_the_waiting_list_sends_one_email(db, make):
    from champions.core.models import OutboxMessage, PendingEmail
    from champions.core.pending_email import send_pending_email
    from tests.conftest import run_task

    workshop = make_workshop(db, capacity=1, title="Sun safety stall")
    first = make.champion(email="first@example.org")
    second = make.champion(email="second@example.org")
    sign_up(workshop.id, first.id)
    waiting = sign_up(workshop.id, second.id)
    db.session.commit()
    waiting_id = waiting.id
    cancel(workshop.id, first.id)
    db.session.commit()  # the email task is queued after this commit (and runs at once in tests)
    db.session.expire_all()
    messages = db.session.scalars(select(OutboxMessage)).all()
    assert [(m.to_address, m.subject) for m in messages] == [
        ("second@example.org", "You have a place at Sun safety stall")
    ]
    [pending] = db.session.scalars(select(PendingEmail).where(PendingEmail.kind == "workshop_place"))
    assert pending.ids == [waiting_id]
    assert run_task(send_pending_email, pending.id) == "already done"  # a retry sends nothing more
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_a_rolled_back_cancellation_sends_nothing(db, make):
    from champions.core.models import OutboxMessage

    workshop = make_workshop(db, capacity=1)
    first, second = make.champion(), make.champion()
    sign_up(workshop.id, first.id)
    sign_up(workshop.id, second.id)
    db.session.commit()
    cancel(workshop.id, first.id)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    db.session.expire_all()
    assert sorted(s.status for s in workshop.signups) == ["booked", "waiting"]


def test_a_place_on_a_workshop_that_has_started_keeps_its_check_in(client, auth, db, make, clock):
    from champions.core.models import PendingEmail

    clock.set(now_utc())
    workshop = make_workshop(db, capacity=1, title="Held already")
    user = make.user(role="champion")
    champion = user.champion
    sign_up(workshop.id, champion.id)
    sign_up(workshop.id, make.champion(first_name="Queued").id)  # waiting: the workshop is full
    db.session.commit()
    clock.advance(days=7, hours=1)  # the workshop has started; the champion came
    ids = {"workshop_id": workshop.id}
    attended = db.session.scalar(select(WorkshopSignup).filter_by(champion_id=champion.id, **ids))
    check_in(attended)
    db.session.commit()
    checked_in_at = attended.checked_in_at
    client.post("/login", data={"email": user.email, "password": PASSWORD})

    page = client.get(f"/workshops/{workshop.id}").get_data(as_text=True)
    assert "Cancel my place" not in page
    refused = client.post(f"/workshops/{workshop.id}/cancel", follow_redirects=True).get_data(as_text=True)
    assert "already started, so your place can no longer be cancelled" in refused
    assert "Your place was cancelled" not in refused
    db.session.expire_all()
    assert statuses(db, workshop) == {champion.first_name: "booked", "Queued": "waiting"}
    assert db.session.get(WorkshopSignup, attended.id).checked_in_at == checked_in_at

    # Staff correcting the register cannot cancel a checked-in place either, until they undo the check-in.
    client.post("/logout")
    auth.login_as("staff")
    cancel_url = f"/staff/workshops/{workshop.id}/signups/{attended.id}/cancel"
    assert cancel_url not in client.get(f"/staff/workshops/{workshop.id}").get_data(as_text=True)
    response = client.post(cancel_url)
    assert response.status_code == 400 and "Undo their check-in" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(WorkshopSignup, attended.id).checked_in_at == checked_in_at
    undo = client.post(f"/staff/workshops/{workshop.id}/signups/{attended.id}/check-in", data={"present": "no"})
    assert undo.status_code == 302 and client.post(cancel_url).status_code == 302
    # The freed place goes to nobody: a workshop that has begun is not offered to the person waiting.
    assert statuses(db, workshop) == {champion.first_name: "cancelled", "Queued": "waiting"}
    assert db.session.scalar(select(func.count()).select_from(PendingEmail)) == 0


def test_each_waiting_place_is_numbered_within_its_own_workshops_queue(db, make):
    from champions.workshops.services import waiting_position, waiting_positions

    first, second = make_workshop(db, capacity=1), make_workshop(db, capacity=1)
    places = {}
    for workshop in (first, second):
        for i in range(3 if workshop is first else 2):
            places[(workshop.id, i)] = sign_up(workshop.id, make.champion().id)
    db.session.commit()
    signups = list(places.values())
    found = waiting_positions(signups)
    assert [found.get(places[(first.id, i)].id) for i in range(3)] == [None, 1, 2]  # the first has the place
    assert [found.get(places[(second.id, i)].id) for i in range(2)] == [None, 1]
    assert waiting_position(places[(first.id, 2)]) == 2 and waiting_position(places[(first.id, 0)]) is None
