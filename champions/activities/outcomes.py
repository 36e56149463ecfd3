"""What came of an activity: the rules for the counts a champion records, and reading them back.

A champion ticks what they signposted people to; for each, "People signposted" left blank means everyone they
reached, "Said they would act" left blank means none or not known, and "Did act" (recorded later, on the edit page)
left blank means not known. Rows they leave unticked are ignored, numbers and all (the numbers of a ticked then
unticked row are still posted when the boxes are revealed by script). Services flush; the request commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select

from champions.activities.models import (
    MAX_PEOPLE_REACHED,
    OUTCOME_TYPES,
    TYPE_LABELS,
    Activity,
    ActivityOutcome,
    OutcomeKind,
    copies_of,
)
from champions.extensions import db

OUTCOME_TYPE_VALUES = frozenset(t.value for t in OUTCOME_TYPES)
TOO_BIG = MAX_PEOPLE_REACHED * 1000  # what a number too long to read stands for: out of range, whatever its digits


@dataclass
class OutcomeInput:
    """One ticked outcome as typed: None is a box left blank. ``unreadable`` names the boxes ("signposted",
    "said", "did") whose text was not a number: their own message says so, and nothing is compared with them."""

    code: str
    signposted: int | None = None
    said_would_act: int | None = None
    did_act: int | None = None
    unreadable: frozenset[str] = frozenset()


def offered_kinds(activity: Activity | None = None) -> list[OutcomeKind]:
    """The kinds a champion may choose, in order: those not retired, and any already recorded on ``activity``
    (a retired kind stays on the activities that have it)."""
    offered: ColumnElement[bool] = OutcomeKind.retired_at.is_(None)
    if activity is not None:
        kept = select(ActivityOutcome.outcome_code).where(ActivityOutcome.activity_id == activity.id)
        offered = or_(offered, OutcomeKind.code.in_(kept))
    query = select(OutcomeKind).where(offered).order_by(OutcomeKind.position, OutcomeKind.name)
    return list(db.session.scalars(query))


def recorded(activity: Activity) -> dict[str, ActivityOutcome]:
    rows = db.session.scalars(select(ActivityOutcome).where(ActivityOutcome.activity_id == activity.id))
    return {row.outcome_code: row for row in rows}


def _people(n: int) -> str:
    return f"{n:,} {'person' if n == 1 else 'people'}"


def check_outcomes(
    activity_type: str | None, people_reached: int | None, chosen: Sequence[OutcomeInput], names: dict[str, str]
) -> dict[str, str]:
    """What is wrong with ``chosen``, as a message for each field ("outcome", "signposted-<code>", "said-<code>",
    "did-<code>"); empty when all is well. ``names`` are the kinds that may be chosen, by code. A type or a number
    reached that could not be read (None) is left to its own field's message."""
    problems: dict[str, str] = {}
    if not chosen:
        return problems
    if any(item.code not in names for item in chosen):
        problems["outcome"] = "Choose what people were signposted to from the list"
    elif activity_type is not None and activity_type not in OUTCOME_TYPE_VALUES:
        label = TYPE_LABELS.get(activity_type, "this kind of activity").lower()
        problems["outcome"] = (
            f"There is nothing to record for {label}: untick what people were signposted to, or choose a "
            "conversation, a stall or event, a talk to a group or signposting"
        )
    for item in chosen:
        if item.code in names:
            problems |= _check_counts(item, names[item.code], people_reached)
    return problems


class OutcomeProblems(ValueError):
    """Outcomes that break the rules, with a message for each field."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(problems.values()))
        self.problems = problems


def refuse_wrong(
    activity_type: str, people_reached: int, chosen: Sequence[OutcomeInput], kinds: Sequence[OutcomeKind]
) -> None:
    """Raise ``OutcomeProblems`` when ``chosen`` breaks a rule of ``check_outcomes``."""
    problems = check_outcomes(activity_type, people_reached, chosen, {kind.code: kind.name for kind in kinds})
    if problems:
        raise OutcomeProblems(problems)


def refuse_breaking_recorded(activity: Activity, activity_type: str, people_reached: int) -> None:
    """Raise ``OutcomeProblems``, by the activity's own fields ("type", "people_reached"), when changing the activity
    to this type or number reached would leave the outcomes already recorded on it breaking the rules."""
    query = (
        select(ActivityOutcome.signposted, OutcomeKind.name)
        .join(OutcomeKind, OutcomeKind.code == ActivityOutcome.outcome_code)
        .where(ActivityOutcome.activity_id == activity.id)
        .order_by(ActivityOutcome.signposted.desc(), OutcomeKind.position, OutcomeKind.name)
    )
    rows = db.session.execute(query).all()
    if not rows:
        return
    problems: dict[str, str] = {}
    if activity_type not in OUTCOME_TYPE_VALUES:
        label = TYPE_LABELS.get(activity_type, "this kind of activity").lower()
        problems["type"] = (
            f"This activity cannot become {label} while it has people signposted to {rows[0].name} recorded: "
            "keep it a conversation, a stall or event, a talk to a group or signposting, or remove what came of it "
            "first"
        )
    most, name = rows[0]
    if people_reached < most:
        problems["people_reached"] = (
            f"People reached cannot be fewer than the {_people(most)} signposted to {name}: change what came of it "
            "first"
        )
    if problems:
        raise OutcomeProblems(problems)


def lock_activity(activity: Activity) -> None:
    """Hold the activity's row (SELECT ... FOR UPDATE on PostgreSQL; on SQLite the immediate transaction already
    holds the database's write lock) until the request commits, so that two saves of its outcomes at the same
    moment queue: the second reads what the first saved and changes it, instead of adding the same outcome twice."""
    db.session.execute(select(Activity.id).where(Activity.id == activity.id).with_for_update())


def _check_counts(item: OutcomeInput, name: str, reached: int | None) -> dict[str, str]:
    """The messages for one outcome's numbers; a box that could not be read is compared with nothing."""
    problems: dict[str, str] = {}
    signposted = item.signposted if item.signposted is not None else reached
    if "signposted" in item.unreadable:
        signposted = None
    elif message := _signposted_problem(item, signposted, reached, name):
        problems[f"signposted-{item.code}"] = message
        signposted = None  # wrong itself: nothing is compared with it
    said = item.said_would_act or 0
    if "said" not in item.unreadable and (message := _said_problem(said, signposted, name)):
        problems[f"said-{item.code}"] = message
    did_compared = "said" not in item.unreadable and not problems.get(f"said-{item.code}")
    if "did" not in item.unreadable and (message := _did_problem(item.did_act, said if did_compared else None, name)):
        problems[f"did-{item.code}"] = message
    return problems


def _signposted_problem(item: OutcomeInput, signposted: int | None, reached: int | None, name: str) -> str | None:
    if item.signposted is None and reached == 0:
        return f"You reached 0 people, so nobody was signposted to {name}: untick it, or change how many you reached"
    if signposted is not None and not 1 <= signposted <= MAX_PEOPLE_REACHED:
        return f"People signposted to {name} must be a number from 1 to 10,000"
    if signposted is not None and reached is not None and signposted > reached:
        return f"People signposted to {name} cannot be more than the {_people(reached)} you reached"
    return None


def _said_problem(said: int, signposted: int | None, name: str) -> str | None:
    if not 0 <= said <= MAX_PEOPLE_REACHED:
        return f"Said they would act ({name}) must be a number from 0 to 10,000"
    if signposted is not None and said > signposted:
        return f"Said they would act cannot be more than the {_people(signposted)} signposted to {name}"
    return None


def _did_problem(did: int | None, said: int | None, name: str) -> str | None:
    if did is not None and not 0 <= did <= MAX_PEOPLE_REACHED:
        return f"Did act ({name}) must be a number from 0 to 10,000, or blank if you do not know"
    if did is not None and said is not None and did > said:
        return f"Did act cannot be more than the {_people(said)} who said they would act ({name})"
    return None


def save_outcomes(activity: Activity, chosen: Iterable[OutcomeInput]) -> None:
    """Make the activity's outcomes those ``chosen`` (already checked): a row kept keeps its creation time, an
    unticked one goes. The activity's row is locked first (``lock_activity``)."""
    lock_activity(activity)
    have = recorded(activity)
    wanted = {item.code: item for item in chosen}
    for code in set(have) - set(wanted):
        db.session.delete(have[code])
    for code, item in wanted.items():
        row = have.get(code) or ActivityOutcome(activity_id=activity.id, outcome_code=code, **copies_of(activity))
        row.champion_id = activity.champion_id
        row.signposted = item.signposted if item.signposted is not None else activity.people_reached
        row.said_would_act = item.said_would_act or 0
        row.did_act = item.did_act
        db.session.add(row)
    db.session.flush()


# ---- Deleting an activity and putting it back -------------------------------------------------------------------

_KEPT = ("outcome_code", "signposted", "said_would_act", "did_act", "created_at", "updated_at")


def kept_outcomes(activity: Activity) -> list[dict[str, Any]]:
    """The activity's outcomes as JSON, for the deleted activity's row; the rows themselves are deleted."""
    rows = sorted(recorded(activity).values(), key=lambda row: row.id)
    kept = [{key: _json(getattr(row, key)) for key in _KEPT} for row in rows]
    db.session.execute(delete(ActivityOutcome).where(ActivityOutcome.activity_id == activity.id))
    return kept


def restore_outcomes(activity: Activity, kept: list[dict[str, Any]]) -> None:
    for values in kept:
        row = ActivityOutcome(activity_id=activity.id, champion_id=activity.champion_id, **copies_of(activity))
        for key in _KEPT:
            value = values.get(key)
            setattr(row, key, datetime.fromisoformat(value) if key.endswith("_at") and value else value)
        db.session.add(row)
    db.session.flush()


def _json(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


# ---- Reading them back --------------------------------------------------------------------------------------------


@dataclass
class OutcomeLine:
    name: str
    signposted: int
    said_would_act: int
    did_act: int | None


def outcomes_by_activity(activity_ids: Sequence[int]) -> dict[int, list[OutcomeLine]]:
    """The outcomes of these activities, in the kinds' order: one query."""
    found: dict[int, list[OutcomeLine]] = {}
    if not activity_ids:
        return found
    query = (
        select(ActivityOutcome, OutcomeKind.name)
        .join(OutcomeKind, OutcomeKind.code == ActivityOutcome.outcome_code)
        .where(ActivityOutcome.activity_id.in_(activity_ids))
        .order_by(OutcomeKind.position, OutcomeKind.name)
    )
    for row, name in db.session.execute(query):
        line = OutcomeLine(name, row.signposted, row.said_would_act, row.did_act)
        found.setdefault(row.activity_id, []).append(line)
    return found


def outcome_totals(champion_id: int) -> list[OutcomeLine]:
    """The champion's own totals for each kind of outcome (did act: those they know of), in one query."""
    query = (
        select(
            OutcomeKind.name,
            func.sum(ActivityOutcome.signposted),
            func.sum(ActivityOutcome.said_would_act),
            func.sum(ActivityOutcome.did_act),
        )
        .join(OutcomeKind, OutcomeKind.code == ActivityOutcome.outcome_code)
        .where(ActivityOutcome.champion_id == champion_id)
        .group_by(OutcomeKind.code, OutcomeKind.name, OutcomeKind.position)
        .order_by(OutcomeKind.position, OutcomeKind.name)
    )
    rows = db.session.execute(query)
    return [OutcomeLine(name, int(s), int(w), None if d is None else int(d)) for name, s, w, d in rows]
