"""Every change staff make to a workshop is audited as theirs; a champion's own sign-up and cancelling are not."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from champions.core.models import AuditEvent
from champions.workshops.models import Workshop, WorkshopSignup
from tests.workshops.helpers import make_contact, make_org, make_workshop

WORKSHOP = {
    "type": "co_design",
    "title": "Co-design workshop: Bolton",
    "starts_at": "2027-03-14T18:30",
    "ends_at": "2027-03-14T20:30",
    "borough": "bolton",
    "venue": "Bolton Library",
    "host_organisation": "",
    "capacity": "1",
}


def workshop_events(db, after: int = 0) -> list[tuple[str, int | None, str | None, dict]]:
    events = select(AuditEvent).where(AuditEvent.action.like("workshop.%"), AuditEvent.id > after)
    return [(e.action, e.actor_id, e.target_id, e.details) for e in db.session.scalars(events.order_by(AuditEvent.id))]


def test_each_staff_change_to_a_workshop_is_audited_once_as_theirs(client, auth, db, make, clock):
    clock.set(datetime(2027, 1, 10, 9, 0))  # the workshop in WORKSHOP is upcoming: moving it into the past is refused
    first, second = make.champion(email="first@example.org"), make.champion(email="second@example.org")
    contact = make_contact(db, make_org(db))
    staff = auth.login_as("staff")
    assert client.post("/staff/workshops/new", data=WORKSHOP).status_code == 302
    workshop_id = db.session.scalar(select(Workshop.id))
    url = f"/staff/workshops/{workshop_id}"
    steps = [
        (f"{url}/edit", {**WORKSHOP, "title": "Moved"}),
        (f"{url}/champions", {"email": "first@example.org"}),
        (f"{url}/champions", {"email": "second@example.org", "override": "y"}),
        (f"{url}/contacts", {"contact": str(contact.id)}),
        (f"{url}/contacts/{contact.id}/remove", {}),
        (f"{url}/outputs", {"vision": "Everyone screened"}),
    ]
    for path, data in steps:
        assert client.post(path, data=data).status_code == 302, path
    signup = {s.champion_id: s.id for s in db.session.scalars(select(WorkshopSignup))}
    for path in (f"{url}/signups/{signup[first.id]}/check-in", f"{url}/signups/{signup[second.id]}/cancel"):
        assert client.post(path).status_code == 302, path
    assert client.post(f"{url}/cancel").status_code == 302

    events = workshop_events(db)
    assert {(actor, target) for _, actor, target, _ in events} == {(staff.id, str(workshop_id))}
    assert [(action, details) for action, _, _, details in events] == [
        ("workshop.created", {}),
        ("workshop.updated", {}),
        ("workshop.champion_added", {"champion_id": first.id, "status": "booked"}),
        ("workshop.champion_added", {"champion_id": second.id, "status": "booked"}),
        ("workshop.contact_attended", {"contact_id": contact.id}),
        ("workshop.contact_removed", {"contact_id": contact.id}),
        ("workshop.outputs_saved", {}),
        ("workshop.check_in", {"champion_id": first.id, "present": True}),
        ("workshop.signup_cancelled", {"champion_id": second.id}),
        ("workshop.cancelled", {"people_told": 1}),  # the first champion, who has a place
    ]


def test_a_refused_staff_change_and_a_champions_own_places_are_not_audited(client, auth, db, make):
    workshop = make_workshop(db, capacity=1)
    make.champion(email="other@example.org")
    make.champion(email="third@example.org")
    before = max((e.id for e in db.session.scalars(select(AuditEvent))), default=0)
    champion = auth.login_as("champion").champion
    assert client.post(f"/workshops/{workshop.id}/sign-up").status_code == 302
    assert client.post(f"/workshops/{workshop.id}/cancel").status_code == 302
    mine = db.session.scalar(select(WorkshopSignup).where(WorkshopSignup.champion_id == champion.id))
    assert mine.status == "cancelled"  # signed up, then cancelled
    client.post("/logout")
    auth.login_as("staff")
    added = client.post(f"/staff/workshops/{workshop.id}/champions", data={"email": "other@example.org"})
    assert added.status_code == 302
    full = client.post(f"/staff/workshops/{workshop.id}/champions", data={"email": "third@example.org"})
    assert full.status_code == 400 and "The workshop is full" in full.get_data(as_text=True)
    assert [action for action, *_ in workshop_events(db, after=before)] == ["workshop.champion_added"]
