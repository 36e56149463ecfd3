"""Tasks on a record: who they go to, what a change records, done and reopened, and the lists that show them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from champions.core.models import AuditEvent
from champions.followups.models import Task
from champions.followups.services import (
    FollowUpRefused,
    TaskData,
    TaskFilters,
    add_task,
    complete_task,
    default_assignee_id,
    my_open_tasks,
    parse_after,
    record_tasks,
    reopen_task,
    set_owner,
    task_page,
    update_task,
)
from champions.organisations.services import create_organisation
from champions.roster import duplicates
from tests.followups.helpers import NOW, TODAY, task


@pytest.fixture(autouse=True)
def _now(clock):
    clock.set(NOW)


def actions(db, action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_a_new_task_goes_to_the_records_owner_else_to_whoever_adds_it(db, make):
    me, owner = make.user(), make.user()
    champion = make.champion()
    assert default_assignee_id(champion, me) == me.id
    set_owner("champion", [champion.id], owner, me)
    assert default_assignee_id(champion, me) == owner.id
    owner.active = False  # an owner who can no longer sign in is passed over
    assert default_assignee_id(champion, me) == me.id


def test_adding_a_task_records_it_on_the_record_and_in_the_audit_log(db, make):
    me = make.user()
    champion = make.champion()
    added = task(db, champion, me, title="Send the leaflet", note="She asked in Bengali")
    assert (added.champion_id, added.assignee_id, added.created_by_id, added.done_at) == (
        champion.id,
        me.id,
        me.id,
        None,
    )
    event = actions(db, "task.added")[0]
    assert (event.target_type, event.target_id, event.details["task_id"]) == ("Champion", str(champion.id), added.id)


@pytest.mark.parametrize("role", ["champion", "applicant", "reviewer", "funder"])
def test_a_task_cannot_go_to_someone_who_is_not_staff(db, make, role):
    me, other = make.user(), make.user(role=role)
    champion = make.champion()
    with pytest.raises(FollowUpRefused):
        add_task("champion", champion, TaskData("Call", None, TODAY, other.id), me)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Task)) == 0


def test_a_merged_away_record_takes_no_new_tasks(db, make):
    me = make.user()
    keep, gone = make.champion(), make.champion()
    duplicates.merge(keep, gone, me.id, fingerprint=duplicates.plan_merge(keep, gone).fingerprint)
    db.session.commit()
    with pytest.raises(FollowUpRefused, match="merged"):
        add_task("champion", gone, TaskData("Call", None, TODAY, me.id), me)


def test_a_change_records_which_fields_changed_and_nothing_when_none_did(db, make):
    me, colleague = make.user(), make.user()
    org = create_organisation("Leigh Allotments", type="grassroots")
    db.session.commit()
    added = task(db, org, me, kind="organisation")
    same = TaskData(added.title, None, added.due_on, me.id)
    assert update_task(added, org, same, me) == []
    later = TaskData("Visit the plot", "Bring forms", TODAY + timedelta(days=3), colleague.id)
    assert update_task(added, org, later, me) == ["title", "note", "due_on", "assignee_id"]
    db.session.commit()
    assert [e.details["fields"] for e in actions(db, "task.changed")] == [["title", "note", "due_on", "assignee_id"]]
    with pytest.raises(FollowUpRefused):
        update_task(added, org, TaskData("x", None, TODAY, make.user(role="champion").id), me)


def test_done_and_reopened_once_each_however_often_pressed(db, make):
    me = make.user()
    champion = make.champion()
    added = task(db, champion, me)
    assert complete_task(added, champion, me) is True
    done_at = added.done_at
    assert complete_task(added, champion, me) is False and added.done_at == done_at and added.done_by_id == me.id
    assert reopen_task(added, champion, me) is True and reopen_task(added, champion, me) is False
    assert (added.done_at, added.done_by_id) == (None, None)
    assert len(actions(db, "task.done")) == 1 and len(actions(db, "task.reopened")) == 1


def test_a_records_tasks_open_soonest_first_and_done_latest_first(db, make, clock):
    me = make.user()
    champion, other = make.champion(), make.champion()
    later = task(db, champion, me, title="Later", due=TODAY + timedelta(days=5))
    sooner = task(db, champion, me, title="Sooner", due=TODAY - timedelta(days=1))
    first_done, then_done = task(db, champion, me), task(db, champion, me)
    task(db, other, me, title="Someone else's")
    complete_task(first_done, champion, me)
    clock.advance(minutes=5)
    complete_task(then_done, champion, me)
    open_tasks, done = record_tasks("champion", champion.id)
    assert [t.id for t in open_tasks] == [sooner.id, later.id]
    assert [t.id for t in done] == [then_done.id, first_done.id]


def test_my_open_tasks_put_the_overdue_first_and_count_them(db, make):
    me, colleague = make.user(), make.user()
    champion = make.champion()
    today = task(db, champion, me, title="Today")
    overdue = task(db, champion, me, title="Overdue", due=TODAY - timedelta(days=2))
    task(db, champion, me, title="Next week", due=TODAY + timedelta(days=7))
    task(db, champion, me, to=colleague, title="Theirs")
    complete_task(task(db, champion, me, due=TODAY - timedelta(days=9)), champion, me)
    shown, total, late = my_open_tasks(me, TODAY, limit=2)
    assert [t.id for t in shown] == [overdue.id, today.id] and (total, late) == (3, 1)


def test_pages_follow_the_due_date_then_id_and_filters_choose(db, make):
    me, colleague = make.user(), make.user()
    champion = make.champion()
    made = [task(db, champion, me, title=f"T{i}", due=TODAY + timedelta(days=i % 3 - 1)) for i in range(7)]
    task(db, champion, me, to=colleague)
    expected = [t.id for t in sorted(made, key=lambda t: (t.due_on, t.id))]
    seen, after = [], None
    while True:
        page = task_page(TaskFilters(me.id, "open"), after, TODAY, size=3)
        seen += [t.id for t in page.items]
        if not (after := page.next_after):
            break
    assert seen == expected
    overdue = task_page(TaskFilters(me.id, "overdue"), None, TODAY).items
    assert {t.id for t in overdue} == {t.id for t in made if t.due_on < TODAY}
    everyone = task_page(TaskFilters(None, "all"), None, TODAY).items
    assert len(everyone) == 8
    complete_task(made[0], champion, me)
    assert [t.id for t in task_page(TaskFilters(me.id, "done"), None, TODAY).items] == [made[0].id]


@pytest.mark.parametrize("after", ["", "x", "2026-13-01.4", "2026-01-01.-1", "2026-01-01.99999999999999", "a.b.c"])
def test_a_forged_page_key_starts_from_the_first_page(after):
    assert parse_after(after) is None


def test_a_real_page_key_is_read():
    assert parse_after("2026-03-01.42") == (date(2026, 3, 1), 42)
