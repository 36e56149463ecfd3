"""The social-moments calendar: seeded awareness moments, next occurrences, and staff editing."""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, func, select

from champions.moments.models import Moment
from champions.moments.services import next_occurrence, seed_awareness_moments, upcoming_moments


def moment(db, name="Test moment", recurrence="yearly", start=date(2026, 4, 1), end=None, **fields):
    m = Moment(name=name, recurrence=recurrence, start_date=start, end_date=end or start, **fields)
    db.session.add(m)
    db.session.commit()
    return m


def test_the_real_awareness_moments_are_seeded_with_their_dates_and_topics(db):
    db.session.execute(delete(Moment))  # the migration seeded them; start again from none
    db.session.commit()
    assert seed_awareness_moments() == 10
    assert seed_awareness_moments() == 0  # adding again adds nothing
    moments = {m.name: m for m in db.session.scalars(select(Moment))}
    expected = {
        "Dry January": (1, "alcohol"),
        "Bowel Cancer Awareness Month": (4, "screening"),
        "Sun Awareness Week": (5, "sun_safety"),
        "Cervical Screening Awareness Week": (6, "screening"),
        "Stoptober": (10, "smoking"),
    }
    for name, (month, topic) in expected.items():
        m = moments[name]
        assert m.start_date.month == month and m.recurrence == "yearly" and m.predictable
        assert topic in {t.code for t in m.topics} and m.suggested_actions
    assert moments["Dry January"].end_date == date(2026, 1, 31)
    assert moments["Bowel Cancer Awareness Month"].end_date == date(2026, 4, 30)


def test_the_migration_seeds_the_same_moments_as_the_service(db):
    from importlib import import_module

    from champions.moments.services import AWARENESS_MOMENTS

    migration = import_module("migrations.versions.bbd25054ff88_workshops_organisations_contacts_and_")
    frozen = [(m[0], m[3], m[4], m[5]) for m in migration.AWARENESS_MOMENTS]
    assert frozen == [(m["name"], m["start"], m["end"], m["topics"]) for m in AWARENESS_MOMENTS]


def test_next_occurrence_of_yearly_monthly_and_one_off_moments(db):
    yearly = moment(db, "Yearly", start=date(2026, 4, 1), end=date(2026, 4, 30))
    assert next_occurrence(yearly, date(2026, 3, 20)) == date(2026, 4, 1)
    assert next_occurrence(yearly, date(2026, 4, 15)) == date(2026, 4, 1)  # under way
    assert next_occurrence(yearly, date(2026, 5, 1)) == date(2027, 4, 1)
    assert next_occurrence(yearly, date(2025, 1, 1)) == date(2026, 4, 1)  # not before it was first held
    leap = moment(db, "Leap", start=date(2024, 2, 29))
    assert next_occurrence(leap, date(2025, 2, 1)) == date(2025, 2, 28)
    monthly = moment(db, "Payday", recurrence="monthly", start=date(2026, 1, 31))
    assert next_occurrence(monthly, date(2026, 2, 10)) == date(2026, 2, 28)
    assert next_occurrence(monthly, date(2026, 3, 1)) == date(2026, 3, 31)
    once = moment(db, "Once", recurrence="once", start=date(2026, 9, 1))
    assert next_occurrence(once, date(2026, 8, 1)) == date(2026, 9, 1)
    assert next_occurrence(once, date(2026, 9, 2)) is None


def test_upcoming_moments_for_the_nudges_feature(db):
    seed_awareness_moments()
    moment(db, "Street festival", recurrence="once", start=date(2026, 5, 20))
    found = upcoming_moments(30, date(2026, 4, 20))
    assert [(o.moment.name, o.starts_on) for o in found] == [
        ("Sun Awareness Week", date(2026, 5, 4)),
        ("Street festival", date(2026, 5, 20)),
    ]  # Bowel Cancer Awareness Month is under way, not starting
    assert found[0].ends_on == date(2026, 5, 10)
    december = upcoming_moments(31, date(2026, 12, 15))
    assert [(o.moment.name, o.starts_on) for o in december] == [("Dry January", date(2027, 1, 1))]
    september = [o.moment.name for o in upcoming_moments(0, date(2026, 10, 1))]
    assert september == ["Breast Cancer Awareness Month", "Stoptober"]


GOOD = {
    "name": "Freshers' week health stall",
    "description": "Students arrive in Manchester.",
    "recurrence": "yearly",
    "start_date": "2026-09-21",
    "end_date": "2026-09-27",
    "level": "communities",
    "topics": ["hpv", "alcohol"],
    "suggested_actions": "Run a stall\nTalk about the HPV vaccine",
}


def test_staff_add_and_edit_a_moment(client, auth, db):
    auth.login_as("staff")
    assert client.post("/staff/moments/new", data=GOOD).status_code == 302
    m = db.session.scalar(select(Moment).where(Moment.name == GOOD["name"]))
    assert (m.start_date, m.end_date, m.level) == (date(2026, 9, 21), date(2026, 9, 27), "communities")
    assert sorted(t.code for t in m.topics) == ["alcohol", "hpv"]
    assert "Freshers" in client.get("/staff/moments").get_data(as_text=True)
    single = {**GOOD, "name": "Results day", "end_date": "", "recurrence": "once"}
    assert client.post("/staff/moments/new", data=single).status_code == 302
    day = db.session.scalar(select(Moment).where(Moment.name == "Results day"))
    assert day.start_date == day.end_date and not day.predictable
    edit = client.post(f"/staff/moments/{m.id}/edit", data={**GOOD, "level": "systems"})
    assert edit.status_code == 302
    db.session.expire_all()
    assert db.session.get(Moment, m.id).level == "systems"


def test_a_moment_with_no_date_or_bad_dates_is_refused(client, auth, db):
    auth.login_as("staff")
    response = client.post("/staff/moments/new", data={**GOOD, "start_date": ""})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "There is a problem" in text and "Enter the date the moment starts" in text
    assert "Freshers" in text  # what was typed is kept
    backwards = client.post("/staff/moments/new", data={**GOOD, "end_date": "2026-09-01"})
    assert "The end date must be the same as or after the start date" in backwards.get_data(as_text=True)
    nonsense = client.post("/staff/moments/new", data={**GOOD, "start_date": "31/02/2026"})
    assert "Enter a real date" in nonsense.get_data(as_text=True)
    no_topic = client.post("/staff/moments/new", data={**GOOD, "topics": []})
    assert "Select at least one topic" in no_topic.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Moment).where(Moment.name == GOOD["name"])) == 0
    client.post("/staff/moments/new", data=GOOD)
    twice = client.post("/staff/moments/new", data=GOOD)
    assert twice.status_code == 400 and "There is already a moment with that name" in twice.get_data(as_text=True)
