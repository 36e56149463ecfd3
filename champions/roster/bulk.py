"""Acting on many champions at once from the roster: change their stage, add a tag, or add them to a workshop.

Each action is planned first (who would change, and who cannot be changed and why), a person confirms the count,
and only then applied, in the request's one transaction, with set-based statements. A record the action cannot
be applied to refuses the whole batch, naming it: nothing changes. One audit event names the action, the count
and the ids. "All that match the filter" re-runs the filter on the server at each step, so the count confirmed
is of the records as they are now; if what would change differs from what was confirmed, the person is asked
again. Services flush; the request commits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, insert, literal, select, update

from champions.accounts.models import User
from champions.core import audit
from champions.core.db import as_utc, now_utc, rowcount
from champions.core.errors import Refused
from champions.core.forms import CONTROL, optional_id
from champions.core.templating import uk_time
from champions.extensions import db
from champions.followups import services as followups
from champions.followups.bulk import chosen_owner
from champions.profiles.models import LIVE, Champion, Stage, StageChange
from champions.profiles.services import ensure_live
from champions.roster.models import Tag, champion_tags
from champions.roster.staff_services import RosterFilters, count_matches, filtered, parse_filters
from champions.workshops.models import SignupStatus, Workshop, WorkshopSignup
from champions.workshops.services import booked_count, lock_workshop, places_left_in

MAX_BATCH = 5_000  # far above a page, and one audit event and one IN list still hold the ids comfortably
NAMED = 10  # records named in a refusal; the rest are counted
TAG_MAX = 60

ACTIONS = {
    "stage": "Change their stage",
    "tag": "Add a tag",
    "owner": "Assign an owner",
    "workshop": "Add them to a workshop",
}


class BulkRefused(Refused):
    """The batch cannot be done as asked; the message says why, and nothing was changed."""


def _plural(n: int, one: str = "champion", many: str = "champions") -> str:
    return f"{n:,} {one if n == 1 else many}"


# ------------------------------------------------------------------------------------------------ the selection


@dataclass
class Selection:
    """The champions chosen: the ids ticked, or every one the filter matches now (``filters`` set)."""

    ids: list[int]
    filters: RosterFilters | None = None

    def hidden_fields(self) -> list[tuple[str, Any]]:
        """The selection as form fields, so each step re-reads it (a filter is re-run, never its ids carried)."""
        if self.filters is not None:
            return [("scope", "all"), *self.filters.as_args().items()]
        return [("id", i) for i in self.ids]

    def query_args(self) -> dict[str, Any]:
        """The selection as a link's query string (``id`` repeated)."""
        if self.filters is not None:
            return {"scope": "all", **self.filters.as_args()}
        return {"id": self.ids}


def _too_many(count: int) -> BulkRefused:
    return BulkRefused(
        f"{_plural(count)} are selected, and at most {MAX_BATCH:,} can be changed at once. Narrow the filter "
        "(by borough, stage or registration date, say) and make the change in parts."
    )


def select_from(values: Mapping[str, Any]) -> Selection:
    """The champions chosen on the roster (``values`` is the request's arguments or form): ``scope=all`` re-runs
    the filter given with it; otherwise the ticked ``id`` values, each of which must be a live record."""
    if values.get("scope") == "all":
        filters = parse_filters(values)
        if filters.errors:
            raise BulkRefused("The filter is not valid: " + " ".join(filters.errors.values()))
        query = filtered(filters).with_only_columns(Champion.id).order_by(Champion.id).limit(MAX_BATCH + 1)
        ids = list(db.session.scalars(query))
        if len(ids) > MAX_BATCH:
            raise _too_many(count_matches(filters))
        if not ids:
            raise BulkRefused("No champions match this filter, so there is nothing to change.")
        return Selection(ids, filters)
    raw = values.getlist("id") if hasattr(values, "getlist") else []
    if len(raw) > MAX_BATCH:
        raise _too_many(len(raw))
    if not raw:
        raise BulkRefused("Select at least one champion (tick them in the list), or choose all that match the filter.")
    read = [optional_id(value) for value in raw]
    ids = sorted({i for i in read if i is not None})
    found = set(db.session.scalars(select(Champion.id).where(Champion.id.in_(ids)))) if ids else set()
    if None in read or len(found) != len(ids):
        raise BulkRefused(
            "Some of the selected champions are not records we hold. Go back to the list and select them again."
        )
    return Selection(ids)


# ------------------------------------------------------------------------------------------------ refusals


@dataclass(frozen=True)
class Rule:
    """Records ``where`` is true for cannot be changed by the action, and ``why`` says what they are."""

    where: ColumnElement[bool]
    why: str


MERGED = Rule(~LIVE, "merged into another record")
ERASED = Rule(User.erased_at.is_not(None), "erased")
WITHDRAWN = Rule(Champion.stage == Stage.WITHDRAWN.value, "withdrawn from the programme")


def refuse_any(ids: Sequence[int], rules: Sequence[Rule], doing: str) -> None:
    """Refuse the batch when any record breaks a rule, naming the first few (with why) and counting the rest."""
    problems: dict[int, tuple[str, str]] = {}
    for rule in rules:
        query = (
            select(Champion.id, Champion.first_name, Champion.last_name)
            .join(User, User.id == Champion.user_id)
            .where(Champion.id.in_(ids), rule.where)
            .order_by(Champion.id)
        )
        for champion_id, first, last in db.session.execute(query):
            problems.setdefault(champion_id, (f"{first} {last}".strip(), rule.why))
    if not problems:
        return
    named = [f"{name} (#{cid}, {why})" for cid, (name, why) in sorted(problems.items())[:NAMED]]
    more = len(problems) - len(named)
    raise BulkRefused(
        f"Nothing was changed: {_plural(len(problems))} of the {len(ids):,} selected cannot {doing}: "
        + "; ".join(named)
        + (f"; and {more:,} more" if more else "")
        + ". Take them out of the selection (untick them, or narrow the filter) and try again."
    )


# ------------------------------------------------------------------------------------------------ plans


@dataclass
class Plan:
    """What an action would do to a selection: the ids it would change, and what the confirmation says."""

    action: str
    selected: int
    changing: list[int]
    preview: str  # "The stage will change for 37 champions …"
    done: str  # the message once applied: "Stage changed for 37 champions."
    apply: Callable[[int], None] = field(repr=False)
    parts: tuple[Any, ...] = ()  # what the action was asked, in the fingerprint
    applied: bool = False

    @property
    def fingerprint(self) -> str:
        """Of the action, what it was asked and the records it would change: the confirmation carries it, and the
        action is applied only if it is still the same."""
        text = f"{self.action}|{self.parts!r}|{self.selected}|{','.join(map(str, self.changing))}"
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def run(plan: Plan, checked: str | None, by_user_id: int) -> Plan:
    """Apply ``plan`` if ``checked`` is the fingerprint of the plan the person confirmed; otherwise leave it to be
    confirmed (or confirmed again, when the records changed meanwhile)."""
    if checked and checked == plan.fingerprint and plan.changing:
        plan.apply(by_user_id)
        db.session.flush()
        plan.applied = True
    return plan


def _unchanged(selected: int, changing: int, already: str) -> str:
    rest = selected - changing
    return f" {_plural(rest)} {already}." if rest else ""


# -- stage


def plan_stage(selection: Selection, stage: str, reason: str) -> Plan:
    if stage not in {s.value for s in Stage}:
        raise BulkRefused("Choose one of the stages in the list.")
    to, reason = Stage(stage), reason.strip()
    if not reason:
        raise BulkRefused("Enter the reason for the change.")
    ids = selection.ids
    refuse_any(ids, (MERGED, ERASED), "have their stage changed")
    changing = list(
        db.session.scalars(
            select(Champion.id).where(Champion.id.in_(ids), Champion.stage != to.value).order_by(Champion.id)
        )
    )
    already = "is already" if len(ids) - len(changing) == 1 else "are already"
    note = _unchanged(len(ids), len(changing), f"{already} {to.label}")

    def apply(by_user_id: int) -> None:
        now = now_utc()
        when = literal(now, StageChange.__table__.c.changed_at.type)
        moving = select(
            Champion.id, Champion.stage, literal(to.value), literal(reason), literal(by_user_id), when
        ).where(Champion.id.in_(changing), Champion.stage != to.value)
        columns = ["champion_id", "from_stage", "to_stage", "reason", "changed_by_id", "changed_at"]
        db.session.execute(insert(StageChange.__table__).from_select(columns, moving))
        db.session.execute(
            update(Champion.__table__)
            .where(Champion.id.in_(changing), Champion.stage != to.value)
            .values(stage=to.value, updated_at=now)
        )
        audit.record(
            "champions.bulk_stage_changed",
            None,
            actor_id=by_user_id,
            to=to.value,
            reason=reason,
            count=len(changing),
            ids=changing,
            **_how_chosen(selection),
        )

    return Plan(
        "stage",
        len(ids),
        changing,
        preview=f"The stage will change to {to.label} for {_plural(len(changing))}.{note}",
        done=f"Stage changed for {_plural(len(changing))}.{note}",
        apply=apply,
        parts=(to.value, reason),
    )


def _how_chosen(selection: Selection) -> dict[str, Any]:
    """For the audit event: the filter's names (never what was typed into it) when all that matched were chosen."""
    if selection.filters is None:
        return {"chosen": "ticked"}
    return {"chosen": "filter", "filters": sorted(selection.filters.as_args())}


# -- tags


def tag_name(text: str | None) -> str:
    """A tag's name as typed, tidied: one space between words; refused when empty, too long or with controls."""
    raw = text or ""
    if CONTROL.search(raw):
        raise BulkRefused("Remove the control characters (such as NUL) from the tag")
    name = " ".join(raw.split())
    if not name:
        raise BulkRefused("Enter a tag")
    if len(name) > TAG_MAX:
        raise BulkRefused(f"Keep the tag to {TAG_MAX} characters or fewer")
    return name


def find_tag(name: str) -> Tag | None:
    return db.session.scalar(select(Tag).where(Tag.name_key == name.casefold()))


def tag_or_new(name: str, by_user_id: int | None) -> Tag:
    """The tag with this name whatever its case, made if there is none."""
    tag = find_tag(name)
    if tag is None:
        tag = Tag(name=name, name_key=name.casefold(), created_by_id=by_user_id)
        db.session.add(tag)
        db.session.flush()
        audit.record("tag.created", tag, actor_id=by_user_id, name=name)
    return tag


def plan_tag(selection: Selection, text: str | None) -> Plan:
    name = tag_name(text)
    ids = selection.ids
    refuse_any(ids, (MERGED, ERASED), "be tagged")
    existing = find_tag(name)
    shown = existing.name if existing else name
    tagged: set[int] = set()
    if existing is not None:
        tagged = set(
            db.session.scalars(
                select(champion_tags.c.champion_id).where(
                    champion_tags.c.tag_id == existing.id, champion_tags.c.champion_id.in_(ids)
                )
            )
        )
    changing = [i for i in ids if i not in tagged]
    already = "already has it" if len(tagged) == 1 else "already have it"
    note = _unchanged(len(ids), len(changing), already)
    new = "" if existing else " (a new tag)"

    def apply(by_user_id: int) -> None:
        tag = tag_or_new(shown, by_user_id)
        now = now_utc()
        rows = [{"champion_id": i, "tag_id": tag.id, "added_by_id": by_user_id, "added_at": now} for i in changing]
        db.session.execute(insert(champion_tags), rows)
        audit.record(
            "champions.bulk_tagged",
            tag,
            actor_id=by_user_id,
            tag=tag.name,
            count=len(changing),
            ids=changing,
            **_how_chosen(selection),
        )

    return Plan(
        "tag",
        len(ids),
        changing,
        preview=f"The tag “{shown}”{new} will be added to {_plural(len(changing))}.{note}",
        done=f"Tag “{shown}” added to {_plural(len(changing))}.{note}",
        apply=apply,
        parts=(shown.casefold(),),
    )


def remove_tag(champion: Champion, tag: Tag, by_user_id: int) -> bool:
    """Take one tag off one champion; False when they did not have it."""
    ensure_live(champion)
    result = db.session.execute(
        champion_tags.delete().where(champion_tags.c.champion_id == champion.id, champion_tags.c.tag_id == tag.id)
    )
    removed = rowcount(result) > 0
    if removed:
        audit.record("champion.tag_removed", champion, actor_id=by_user_id, tag=tag.name)
    return removed


# -- owners


def plan_owner(selection: Selection, owner_value: str) -> Plan:
    try:
        owner = chosen_owner(owner_value)
    except followups.FollowUpRefused as refused:
        raise BulkRefused(str(refused)) from refused
    new_id = owner.id if owner is not None else None
    ids = selection.ids
    refuse_any(ids, (MERGED, ERASED), "be given an owner")
    changing = list(
        db.session.scalars(
            select(Champion.id)
            .where(Champion.id.in_(ids), Champion.owner_id.is_distinct_from(new_id))
            .order_by(Champion.id)
        )
    )
    who = owner.email if owner is not None else "no one"
    has = "has" if len(ids) - len(changing) == 1 else "have"
    note = _unchanged(len(ids), len(changing), f"already {has} that owner")

    def apply(by_user_id: int) -> None:
        actor = db.session.get_one(User, by_user_id)
        try:
            followups.set_owner("champion", changing, owner, actor)
        except followups.FollowUpRefused as refused:
            raise BulkRefused(str(refused)) from refused
        audit.record(
            "champions.bulk_owner_assigned",
            None,
            actor_id=by_user_id,
            owner_id=new_id,
            count=len(changing),
            ids=changing,
            **_how_chosen(selection),
        )

    owned = f"owned by {who}" if owner is not None else "left without an owner"
    return Plan(
        "owner",
        len(ids),
        changing,
        preview=f"{_plural(len(changing))} will be {owned}.{note}",
        done=f"Owner changed for {_plural(len(changing))}: now {owned}.{note}",
        apply=apply,
        parts=(new_id,),
    )


# -- workshops

WHEN_FULL = {
    "waiting": "Put the rest on the waiting list",
    "over": "Give everyone a place, going over capacity",
}


def upcoming_workshops(now: datetime | None = None) -> list[Workshop]:
    """Workshops champions can be added to in bulk: not cancelled and not yet started, soonest first."""
    now = now or now_utc()
    query = select(Workshop).where(Workshop.cancelled_at.is_(None), Workshop.starts_at > now)
    return list(db.session.scalars(query.order_by(Workshop.starts_at, Workshop.id).limit(200)))


def _open_workshop(workshop_id: int | None, *, lock: bool = False) -> Workshop:
    workshop = (lock_workshop(workshop_id) if lock else db.session.get(Workshop, workshop_id)) if workshop_id else None
    if workshop is None:
        raise BulkRefused("Choose a workshop from the list.")
    if workshop.cancelled_at is not None:
        raise BulkRefused(f"“{workshop.title}” was cancelled, so no one can be added to it.")
    if as_utc(workshop.starts_at) <= now_utc():
        raise BulkRefused(
            f"“{workshop.title}” has already started. Champions are added to a past workshop one at a time, "
            "from its attendance list."
        )
    return workshop


def plan_workshop(selection: Selection, workshop_id: int | None, when_full: str, *, lock: bool = False) -> Plan:
    if when_full not in WHEN_FULL:
        raise BulkRefused("Choose what happens when there are not enough places.")
    workshop = _open_workshop(workshop_id, lock=lock)
    ids = selection.ids
    refuse_any(ids, (MERGED, WITHDRAWN), "be given a workshop place")
    signups = {
        s.champion_id: s
        for s in db.session.scalars(
            select(WorkshopSignup).where(WorkshopSignup.workshop_id == workshop.id, WorkshopSignup.champion_id.in_(ids))
        )
    }
    holding = {i for i, s in signups.items() if s.status != SignupStatus.CANCELLED.value}
    changing = [i for i in ids if i not in holding]
    places = max(workshop.capacity - booked_count(workshop.id), 0)
    booked = changing if when_full == "over" else changing[:places]
    waiting = [] if when_full == "over" else changing[places:]
    over = max(len(changing) - places, 0) if when_full == "over" else 0
    already = "already has a place or is waiting" if len(holding) == 1 else "already have a place or are waiting"
    note = _unchanged(len(ids), len(changing), already)
    left = f"{_plural(places, 'place', 'places')} left"
    waits = f" and {_plural(len(waiting))} on the waiting list ({left})" if waiting else ""
    beyond_capacity = f", {over:,} of them over its capacity of {workshop.capacity:,}" if over else ""

    def apply(by_user_id: int) -> None:
        now = now_utc()
        beyond = set(booked[places:])
        status = {i: SignupStatus.BOOKED.value for i in booked} | {i: SignupStatus.WAITING.value for i in waiting}
        fresh = [i for i in changing if i not in signups]
        if fresh:
            db.session.execute(
                insert(WorkshopSignup.__table__),
                [
                    {
                        "workshop_id": workshop.id,
                        "champion_id": i,
                        "status": status[i],
                        "queued_at": now,
                        "created_at": now,
                        "capacity_override": i in beyond,
                    }
                    for i in fresh
                ],
            )
        for i in changing:  # those who had cancelled before: their row comes back (at most a page's worth)
            if (signup := signups.get(i)) is not None:
                signup.status, signup.queued_at, signup.cancelled_at = status[i], now, None
                signup.checked_in_at, signup.capacity_override = None, i in beyond
        audit.record(
            "workshop.champions_added_in_bulk",
            workshop,
            actor_id=by_user_id,
            count=len(changing),
            ids=changing,
            booked=len(booked),
            waiting=len(waiting),
            **_how_chosen(selection),
        )

    return Plan(
        "workshop",
        len(ids),
        changing,
        preview=f"{_plural(len(changing))} will be added to “{workshop.title}”: {len(booked):,} with a place"
        f"{beyond_capacity}{waits}.{note}",
        done=f"Added {_plural(len(changing))} to “{workshop.title}”: {len(booked):,} with a place{beyond_capacity}"
        f"{waits}.{note}",
        apply=apply,
        parts=(workshop.id, when_full, places),
    )


def workshop_choices() -> list[tuple[int, str]]:
    """The upcoming workshops as choices, each with its date and the places left (one query for the places)."""
    workshops = upcoming_workshops()
    left = places_left_in(workshops)
    return [
        (w.id, f"{w.title}, {uk_time(w.starts_at, '%-d %b %Y')} ({left.get(w.id, 0):,} of {w.capacity:,} places left)")
        for w in workshops
    ]
