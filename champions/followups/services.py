"""Owners and follow-up tasks. Services flush, never commit: the request (or the task) commits once."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeGuard

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import selectinload

from champions.accounts.models import User
from champions.core import audit
from champions.core.db import now_utc
from champions.core.errors import Refused
from champions.core.forms import db_id, parse_day
from champions.core.permissions import Role
from champions.extensions import db
from champions.followups.models import Preference, Task
from champions.grants.models import Application
from champions.organisations.models import Organisation
from champions.profiles.models import Champion

# The kinds of record that have an owner and tasks, by the name callers use.
KINDS: dict[str, Any] = {"champion": Champion, "organisation": Organisation, "application": Application}
STAFF_ROLES = (Role.STAFF.value, Role.ADMIN.value)
_CHUNK = 500  # ids per statement: well under every database's limit of bound parameters


class FollowUpRefused(Refused):
    """The change cannot be made; the message says why, and nothing was changed."""


def may_own() -> ColumnElement[bool]:
    """Who may own a record, be given a task and get the daily email of them: staff and administrators who can sign
    in (``is_owner_choice`` of one person)."""
    return and_(User.role.in_(STAFF_ROLES), User.active.is_(True), User.erased_at.is_(None))


def owner_choices() -> list[User]:
    """Who may own a record or be given a task, by email address."""
    return list(db.session.scalars(select(User).where(may_own()).order_by(User.email)))


def is_owner_choice(user: User | None) -> TypeGuard[User]:
    return user is not None and user.role in STAFF_ROLES and user.active and user.erased_at is None


def model_for(kind: str) -> Any:
    try:
        return KINDS[kind]
    except KeyError:
        raise ValueError(f"Unknown kind of record: {kind!r}") from None


def set_owner(kind: str, ids: Sequence[int], owner: User | None, actor: User) -> int:
    """Make ``owner`` (or nobody, for None) the owner of the ``kind`` records with ``ids``; returns how many changed.

    All or nothing: if the owner is not a member of staff who can sign in, or any record is missing or was merged
    into another, nothing changes and ``FollowUpRefused`` says why. Each record whose owner changes gets one audit
    event; a record that already had that owner is left alone and not counted.
    """
    model = model_for(kind)
    if not actor.is_staff:
        raise FollowUpRefused("Only the programme team can choose who owns a record. Nothing was changed.")
    if owner is not None and not is_owner_choice(owner):
        raise FollowUpRefused("An owner must be a member of staff who can sign in. Nothing was changed.")
    wanted = sorted(set(ids))
    records = _lock(model, wanted)
    missing = len(wanted) - len(records)
    if missing:
        raise FollowUpRefused(f"{_count_words(missing, kind)} could not be found. Nothing was changed.")
    if merged := sum(1 for r in records if getattr(r, "merged_into_id", None) is not None):
        were = "was" if merged == 1 else "were"
        raise FollowUpRefused(f"{_count_words(merged, kind)} {were} merged into another record. Nothing was changed.")
    new_id = owner.id if owner is not None else None
    changed = 0
    for record in records:
        if record.owner_id == new_id:
            continue
        audit.record("owner.changed", record, actor_id=actor.id, owner_id=new_id, previous_owner_id=record.owner_id)
        record.owner_id = new_id
        changed += 1
    db.session.flush()
    return changed


def _lock(model: Any, ids: list[int]) -> list[Any]:
    """The records, locked until the request commits, so two changes of owner at once do not both count a row."""
    found: list[Any] = []
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        query = select(model).where(model.id.in_(chunk)).order_by(model.id).with_for_update(key_share=True)
        found += db.session.scalars(query.execution_options(populate_existing=True))
    return found


def _count_words(n: int, kind: str) -> str:
    noun = {"champion": "champion", "organisation": "organisation", "application": "grant application"}[kind]
    return f"1 {noun}" if n == 1 else f"{n:,} {noun}s"


# ------------------------------------------------------------------------------------------------- tasks


@dataclass(frozen=True)
class TaskData:
    """What a person typed for a task, checked by the form."""

    title: str
    note: str | None
    due_on: date
    assignee_id: int


def task_column(kind: str) -> Any:
    model_for(kind)
    return getattr(Task, f"{kind}_id")


def record_of(kind: str, record_id: int) -> Any | None:
    return db.session.get(model_for(kind), record_id)


def record_name(kind: str, record: Any) -> str:
    if kind == "champion":
        return record.full_name
    if kind == "organisation":
        return record.name
    return f"{record.title} (application {record.id})"


def default_assignee_id(record: Any, actor: User) -> int:
    """Who a new task goes to unless someone else is chosen: the record's owner, or else the person adding it."""
    owner = db.session.get(User, record.owner_id) if record.owner_id else None
    return owner.id if owner is not None and is_owner_choice(owner) else actor.id


def _assignee(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if not is_owner_choice(user):
        raise FollowUpRefused("A task can only be given to a member of staff who can sign in. Nothing was changed.")
    assert user is not None
    return user


def add_task(kind: str, record: Any, data: TaskData, actor: User) -> Task:
    model_for(kind)
    if getattr(record, "merged_into_id", None) is not None:
        raise FollowUpRefused("This record was merged into another: add the task there. Nothing was changed.")
    _assignee(data.assignee_id)
    task = Task(
        title=data.title,
        note=data.note or None,
        due_on=data.due_on,
        assignee_id=data.assignee_id,
        created_by_id=actor.id,
        **{f"{kind}_id": record.id},
    )
    db.session.add(task)
    db.session.flush()
    audit.record("task.added", record, actor_id=actor.id, task_id=task.id, due_on=task.due_on.isoformat())
    return task


def update_task(task: Task, record: Any, data: TaskData, actor: User) -> list[str]:
    """Change a task's details; returns the names of the fields that changed (nothing is recorded if none)."""
    if data.assignee_id != task.assignee_id:
        _assignee(data.assignee_id)
    new = {"title": data.title, "note": data.note or None, "due_on": data.due_on, "assignee_id": data.assignee_id}
    changed = [name for name, value in new.items() if getattr(task, name) != value]
    for name in changed:
        setattr(task, name, new[name])
    if changed:
        db.session.flush()
        audit.record("task.changed", record, actor_id=actor.id, task_id=task.id, fields=changed)
    return changed


def complete_task(task: Task, record: Any, actor: User) -> bool:
    """Mark the task done (False if it already was: a second press changes nothing)."""
    if task.done_at is not None:
        return False
    task.done_at, task.done_by_id = now_utc(), actor.id
    db.session.flush()
    audit.record("task.done", record, actor_id=actor.id, task_id=task.id)
    return True


def reopen_task(task: Task, record: Any, actor: User) -> bool:
    if task.done_at is None:
        return False
    task.done_at, task.done_by_id = None, None
    db.session.flush()
    audit.record("task.reopened", record, actor_id=actor.id, task_id=task.id)
    return True


def record_tasks(kind: str, record_id: int, done_shown: int = 10) -> tuple[list[Task], list[Task]]:
    """A record's open tasks, soonest due first, and its most recently done ones."""
    base = select(Task).where(task_column(kind) == record_id).options(selectinload(Task.assignee))
    open_ = db.session.scalars(base.where(Task.done_at.is_(None)).order_by(Task.due_on, Task.id))
    done = db.session.scalars(base.where(Task.done_at.is_not(None)).order_by(Task.done_at.desc(), Task.id.desc()))
    return list(open_), list(done.fetchmany(done_shown))


# ------------------------------------------------------------------------------------------ my tasks


STATUSES = {"open": "Open", "overdue": "Overdue", "done": "Done", "all": "All"}


@dataclass(frozen=True)
class TaskFilters:
    assignee_id: int | None  # None: everyone's
    status: str = "open"


def task_query(filters: TaskFilters, today: date) -> Select[Any]:
    query = select(Task)
    if filters.assignee_id is not None:
        query = query.where(Task.assignee_id == filters.assignee_id)
    if filters.status == "open":
        query = query.where(Task.done_at.is_(None))
    elif filters.status == "overdue":
        query = query.where(Task.done_at.is_(None), Task.due_on < today)
    elif filters.status == "done":
        query = query.where(Task.done_at.is_not(None))
    return query


@dataclass
class TaskPage:
    items: list[Task]
    next_after: str | None  # "<due date>.<id>" of the last task shown, when there are more


PAGE_SIZE = 50


def task_page(filters: TaskFilters, after: str | None, today: date, size: int = PAGE_SIZE) -> TaskPage:
    """One page of tasks, soonest due first (so the overdue come first), by key: (due date, id) after ``after``."""
    query = task_query(filters, today)
    if key := parse_after(after):
        due, last_id = key
        query = query.where(or_(Task.due_on > due, and_(Task.due_on == due, Task.id > last_id)))
    query = query.options(*_shown()).order_by(Task.due_on, Task.id).limit(size + 1)
    rows = list(db.session.scalars(query))
    items = rows[:size]
    more = len(rows) > size
    return TaskPage(items, f"{items[-1].due_on.isoformat()}.{items[-1].id}" if more else None)


def parse_after(after: str | None) -> tuple[date, int] | None:
    """The key a page starts after; None when absent or not one (a forged key starts from the first page)."""
    try:
        due, last_id = (after or "").split(".")
        return parse_day(due) or date.min, db_id(last_id)
    except ValueError:
        return None


def my_open_tasks(user: User, today: date, limit: int = 10) -> tuple[list[Task], int, int]:
    """``user``'s first ``limit`` open tasks, overdue first (soonest due first), how many they have open in all, and
    how many of those are overdue."""
    mine = task_query(TaskFilters(user.id, "open"), today)
    tasks = db.session.scalars(mine.options(*_shown()).order_by(Task.due_on, Task.id).limit(limit))
    counts = select(func.count(), func.count().filter(Task.due_on < today)).where(
        Task.assignee_id == user.id, Task.done_at.is_(None)
    )
    total, overdue = db.session.execute(counts).one()
    return list(tasks), total, overdue


def _shown() -> tuple[Any, ...]:
    return (
        selectinload(Task.assignee),
        selectinload(Task.champion),
        selectinload(Task.organisation),
        selectinload(Task.application),
    )


def all_tasks(filters: TaskFilters, today: date) -> Iterator[Task]:
    """Every task the filters choose, for the CSV, a few hundred at a time."""
    query = task_query(filters, today).options(*_shown()).order_by(Task.due_on, Task.id)
    yield from db.session.scalars(query.execution_options(yield_per=500))


# ------------------------------------------------------------------------------------------ preference


def wants_digest(user_id: int) -> bool:
    preference = db.session.get(Preference, user_id)
    return preference is None or preference.daily_digest


def set_digest(user: User, wanted: bool) -> bool:
    """Turn the daily email of one's tasks on or off; returns whether anything changed."""
    if wants_digest(user.id) == wanted:
        return False
    preference = db.session.get(Preference, user.id) or Preference(user_id=user.id)
    preference.daily_digest = wanted
    db.session.add(preference)
    db.session.flush()
    audit.record("followups.digest_changed", user, actor_id=user.id, daily_digest=wanted)
    return True
