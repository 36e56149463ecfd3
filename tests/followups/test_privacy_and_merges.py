"""Tasks hold notes about people: the person's download shows the tasks about them, erasing them deletes those
tasks, and merging two records (champions, organisations, logins) moves the tasks to the record kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from champions.followups.models import Task
from champions.organisations.services import create_organisation, merge_organisations, plan_organisation_merge
from champions.privacy.export import export_data
from champions.privacy.services import erase
from champions.roster import duplicates
from tests.followups.helpers import NOW, TODAY, task


@pytest.fixture(autouse=True)
def _now(clock):
    clock.set(NOW)


def test_a_champions_download_shows_the_tasks_about_them_and_no_one_elses(db, make):
    staff = make.user()
    champion, other = make.champion(), make.champion()
    task(db, champion, staff, title="Ask about the bus stop chat", note="Prefers evenings")
    task(db, other, staff, title="Someone else's")
    sections = {s["title"]: s for s in export_data(champion.user)["sections"].values()}
    rows = sections["The team's follow-up tasks about you"]["rows"]
    assert [(r["Task"], r["Note"]) for r in rows] == [("Ask about the bus stop chat", "Prefers evenings")]


def test_erasing_a_champion_deletes_the_tasks_about_them(db, make):
    staff = make.user()
    champion, other = make.champion(), make.champion()
    task(db, champion, staff, title="About them")
    kept = task(db, other, staff, title="About someone else")
    erase(champion.user)
    db.session.commit()
    assert [t.id for t in db.session.scalars(select(Task))] == [kept.id]


def test_merging_champions_moves_the_tasks_to_the_record_kept(db, make):
    staff = make.user()
    keep, gone = make.champion(), make.champion()
    mine = task(db, keep, staff, title="Kept's")
    theirs = task(db, gone, staff, title="Gone's", due=TODAY + timedelta(days=1))
    plan = duplicates.plan_merge(keep, gone)
    assert plan.moves.get("Followup tasks") == 1
    duplicates.merge(keep, gone, staff.id, fingerprint=plan.fingerprint)
    db.session.commit()
    db.session.expire_all()
    assert {t.id: t.champion_id for t in db.session.scalars(select(Task))} == {mine.id: keep.id, theirs.id: keep.id}


def test_merging_organisations_moves_the_tasks_to_the_one_kept(db, make):
    staff = make.user()
    keep = create_organisation("Rochdale Runners", type="grassroots")
    gone = create_organisation("Rochdale Runners Club", type="grassroots")
    db.session.commit()
    theirs = task(db, gone, staff, kind="organisation", title="Gone's")
    merge_organisations(keep, gone, staff.id, fingerprint=plan_organisation_merge(keep, gone).fingerprint)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Task, theirs.id).organisation_id == keep.id
