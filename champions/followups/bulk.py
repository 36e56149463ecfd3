"""Choosing one owner for many organisations, or many of a grant round's applications, at once.

The records are the ones ticked on the list, or every one its filter matches, re-run at each step. The count is
confirmed before anything changes; then ``services.set_owner`` changes them all or none, and one audit event
names the batch (its count and ids). A record that cannot be given an owner refuses the whole batch, named.
Services flush; the request commits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select

from champions.accounts.models import User
from champions.core import audit
from champions.core.forms import optional_id, search_text
from champions.extensions import db
from champions.followups import services
from champions.grants.models import Application, Round
from champions.grants.services.rounds import round_applications
from champions.organisations.models import Organisation
from champions.organisations.services import FILTER_KEYS, filtered_organisations

MAX_BATCH = 5_000
NAMED = 10
NO_OWNER = "none"
# What each list's filter reads from the request (the organisations list's own; the round page's status).
FILTERS = {"organisation": FILTER_KEYS, "application": ("status",)}
NOUNS = {"organisation": ("organisation", "organisations"), "application": ("application", "applications")}


class BulkOwnerRefused(services.FollowUpRefused):
    """The batch cannot be done as asked; the message says why, and nothing was changed."""


def count(kind: str, n: int) -> str:
    one, many = NOUNS[kind]
    return f"{n:,} {one if n == 1 else many}"


@dataclass
class Selection:
    kind: str
    ids: list[int]
    filters: dict[str, str] | None  # set when every record the filter matches was chosen
    round: Round | None = None  # the round whose applications these are

    def fields(self) -> list[tuple[str, Any]]:
        """The selection as form fields (and a link's query): the filter again, never its ids."""
        where = [("round", self.round.id)] if self.round is not None else []
        if self.filters is not None:
            return [*where, ("scope", "all"), *self.filters.items()]
        return [*where, *(("id", i) for i in self.ids)]


def _query(kind: str, filters: Mapping[str, str], round_: Round | None) -> Select[Any]:
    if kind == "organisation":
        return filtered_organisations(filters)
    assert round_ is not None
    return round_applications(round_.id, filters.get("status") or None)


def _model(kind: str) -> Any:
    return Organisation if kind == "organisation" else Application


def select_from(kind: str, values: Any) -> Selection:
    """The records chosen on a list: ticked ``id`` values, or ``scope=all`` with the list's filter."""
    round_ = None
    if kind == "application":
        round_ = db.session.get(Round, optional_id(values.get("round")) or 0)
        if round_ is None:
            raise BulkOwnerRefused("Choose the applications from a grant round's page.")
    model = _model(kind)
    if values.get("scope") == "all":
        filters = {k: v for k in FILTERS[kind] if (v := search_text(values.get(k)))}
        query = _query(kind, filters, round_).with_only_columns(model.id).order_by(model.id).limit(MAX_BATCH + 1)
        ids = list(db.session.scalars(query))
        if not ids:
            raise BulkOwnerRefused(f"No {NOUNS[kind][1]} match this filter, so there is nothing to change.")
        if len(ids) > MAX_BATCH:
            raise _too_many(kind)
        return Selection(kind, ids, filters, round_)
    raw = values.getlist("id") if hasattr(values, "getlist") else []
    if not raw:
        raise BulkOwnerRefused(f"Select at least one {NOUNS[kind][0]} (tick them in the list), or all that match.")
    if len(raw) > MAX_BATCH:
        raise _too_many(kind)
    read = [optional_id(v) for v in raw]
    ids = sorted({i for i in read if i is not None})
    query = select(model.id).where(model.id.in_(ids))
    if round_ is not None:
        query = query.where(Application.round_id == round_.id)
    if None in read or len(set(db.session.scalars(query))) != len(ids):
        raise BulkOwnerRefused(
            f"Some of the selected {NOUNS[kind][1]} are not records we hold"
            + (" in this round" if round_ is not None else "")
            + ". Go back to the list and select them again."
        )
    return Selection(kind, ids, None, round_)


def _too_many(kind: str) -> BulkOwnerRefused:
    return BulkOwnerRefused(
        f"At most {MAX_BATCH:,} {NOUNS[kind][1]} can be given an owner at once. Narrow the filter and do it in parts."
    )


def owner_choices() -> list[tuple[str, str]]:
    """Who may own records (staff and administrators who can sign in), and taking the owner off."""
    return [(str(user.id), user.email) for user in services.owner_choices()] + [(NO_OWNER, "No owner")]


def chosen_owner(owner_value: str) -> User | None:
    """The owner an ``owner_choices`` value names: a member of staff who can sign in, or None for no owner."""
    if owner_value == NO_OWNER:
        return None
    owner = db.session.get(User, optional_id(owner_value) or 0)
    if not services.is_owner_choice(owner):
        raise BulkOwnerRefused("Choose a member of staff from the list, or no owner.")
    return owner


@dataclass
class Plan:
    selection: Selection
    owner: User | None
    changing: list[int]
    preview: str

    @property
    def fingerprint(self) -> str:
        owner_id = self.owner.id if self.owner is not None else None
        text = f"{self.selection.kind}|{owner_id}|{len(self.selection.ids)}|{','.join(map(str, self.changing))}"
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def plan(selection: Selection, owner_value: str) -> Plan:
    owner = chosen_owner(owner_value)
    model, ids = _model(selection.kind), selection.ids
    if selection.kind == "organisation":
        merged = list(
            db.session.execute(
                select(Organisation.id, Organisation.name)
                .where(Organisation.id.in_(ids), Organisation.merged_into_id.is_not(None))
                .order_by(Organisation.id)
            )
        )
        if merged:
            names = "; ".join(f"{name} (#{i})" for i, name in merged[:NAMED])
            more = f"; and {len(merged) - NAMED:,} more" if len(merged) > NAMED else ""
            raise BulkOwnerRefused(
                f"Nothing was changed: {count('organisation', len(merged))} of those selected were merged into "
                f"another record: {names}{more}. Take them out of the selection and try again."
            )
    new_id = owner.id if owner is not None else None
    query = select(model.id).where(model.id.in_(ids), model.owner_id.is_distinct_from(new_id)).order_by(model.id)
    changing = list(db.session.scalars(query))
    rest = len(ids) - len(changing)
    who = f"owned by {owner.email}" if owner is not None else "left without an owner"
    note = f" {count(selection.kind, rest)} already {'has' if rest == 1 else 'have'} that owner." if rest else ""
    return Plan(selection, owner, changing, f"{count(selection.kind, len(changing))} will be {who}.{note}")


def apply(plan: Plan, actor: User) -> int:
    """Give the planned records their owner (all or none) and record the batch; returns how many changed."""
    try:
        changed = services.set_owner(plan.selection.kind, plan.changing, plan.owner, actor)
    except services.FollowUpRefused as refused:
        raise BulkOwnerRefused(str(refused)) from refused
    selection = plan.selection
    audit.record(
        "owner.bulk_assigned",
        selection.round,
        actor_id=actor.id,
        kind=selection.kind,
        owner_id=plan.owner.id if plan.owner is not None else None,
        count=changed,
        ids=plan.changing,
        chosen="filter" if selection.filters is not None else "ticked",
        filters=sorted(selection.filters or {}),
    )
    return changed
