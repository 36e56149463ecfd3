"""Merging two records of one table (two champions, two users, two organisations) without losing a row.

Every row that refers to the record merged away is found from the schema's foreign keys, and the feature that
owns each referring column declares what a merge does with it: a plain move (``moves``), a reconciliation where
a move could break a unique rule (``on_conflict``: both signed up to the same workshop), or nothing (``stays``:
the audit log's record of who acted, a closed login's sessions). Nothing moves by default: a new table that
refers to a person or an organisation may hold a credential or a token, which must not pass to another record
unnoticed. A referring column without a declaration is listed by ``unhandled``, the merge refuses, and a test
fails.

Core knows no feature: each feature declares the policies for its own tables in its ``Feature`` (``merges``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import (
    Column,
    FromClause,
    Index,
    Table,
    UniqueConstraint,
    and_,
    case,
    delete,
    exists,
    false,
    func,
    or_,
    select,
    true,
    update,
)

from champions.core import tombstones
from champions.core.db import rowcount
from champions.core.errors import Refused
from champions.extensions import db


@dataclass(frozen=True)
class Reference:
    """One foreign-key column pointing at the merged table."""

    column: Column[Any]

    @property
    def table(self) -> Table:
        return self.column.table

    @property
    def key(self) -> str:
        return f"{self.table.name}.{self.column.name}"

    @property
    def label(self) -> str:
        """For people: "Workshop signups", or "Grant applications (decided by)" where the column says more."""
        words = self.table.name.replace("_", " ").capitalize()
        role = self.column.name.removesuffix("_id")
        plain = {"id", "champion", "user", "organisation"}
        return words if role in plain else f"{words} ({role.replace('_', ' ')})"


# A reconciler moves the rows of one reference from ``remove_id`` to ``keep_id`` and returns how many rows moved
# and how many (of either record) it dropped as duplicates.
Reconciler = Callable[[Reference, int, int], tuple[int, int]]


@dataclass(frozen=True)
class Policy:
    kind: str  # "move", "reconcile" or "stays"
    reconcile: Reconciler | None = None
    why: str = ""


MOVE = Policy("move")
Declarations = dict[tuple[str, str], Policy]


class MergeRefused(Refused):
    """The merge cannot be done; the message says why, and nothing was changed."""


def moves(target: str, *keys: str) -> Declarations:
    """Rows of each ``key`` ("table.column") move to the kept ``target`` row as they are."""
    return {(target, key): MOVE for key in keys}


def on_conflict(target: str, key: str, reconciler: Reconciler) -> Declarations:
    """Rows of ``key`` ("table.column") that refer to a merged ``target`` row are reconciled by ``reconciler``."""
    return {(target, key): Policy("reconcile", reconciler)}


def stays(target: str, key: str, why: str) -> Declarations:
    """Rows of ``key`` keep pointing at the merged-away ``target`` row, and why."""
    return {(target, key): Policy("stays", why=why)}


def references(target: Table) -> list[Reference]:
    """Every column in the schema with a foreign key to ``target``'s primary key, in a stable order."""
    found = [
        Reference(fk.parent)
        for table in db.metadata.sorted_tables
        for fk in table.foreign_keys
        if fk.column.table is target and fk.column.primary_key
    ]
    return sorted(found, key=lambda r: r.key)


def unique_keys(column: Column[Any]) -> list[list[Column[Any]]]:
    """The unique rules (primary key, unique constraints and indexes) that include ``column``."""
    table = column.table
    keys = [list(table.primary_key.columns)] if column.name in table.primary_key.columns else []
    rules: list[UniqueConstraint | Index] = [c for c in table.constraints if isinstance(c, UniqueConstraint)]
    rules += [index for index in table.indexes if index.unique]
    for rule in rules:
        if column.name in rule.columns:
            keys.append(list(rule.columns))
    if column.unique:
        keys.append([column])
    distinct = {tuple(c.name for c in key): key for key in keys}
    return list(distinct.values())


def policy(target: Table, ref: Reference) -> Policy | None:
    """How ``ref`` is merged, as its feature declared it; None if undeclared."""
    declared = current_app.extensions["features"].merges.get((target.name, ref.key))
    if declared is not None and declared.kind == "move" and unique_keys(ref.column):
        return None  # a plain move would break a unique rule: the feature must say how to reconcile
    return declared


def unhandled(target: Table) -> list[str]:
    return [ref.key for ref in references(target) if policy(target, ref) is None]


@dataclass
class Step:
    ref: Reference
    policy: Policy
    count: int  # rows referring to the merged-away record


def plan(target: Table, keep_id: int, remove_id: int) -> list[Step]:
    """What a merge would move, counted in one query; refused if a reference has no known policy."""
    missing = unhandled(target)
    if missing:
        raise MergeRefused(f"The merge does not know how to combine {', '.join(missing)}. Nothing was changed.")
    declared = [(ref, policy(target, ref)) for ref in references(target)]
    moving = [(ref, p) for ref, p in declared if p is not None and p.kind != "stays"]
    counts = _counts([ref for ref, _ in moving], remove_id)
    return [Step(ref, p, n) for (ref, p), n in zip(moving, counts, strict=True)]


def preview_counts(steps: Iterable[Step], labels: Mapping[str, str]) -> dict[str, int]:
    """What a merge would move, for the preview: kind of record (``labels``, else the reference's own label) ->
    how many; kinds with nothing to move are left out."""
    moves: dict[str, int] = {}
    for step in steps:
        if step.count:
            label = labels.get(step.ref.key, step.ref.label)
            moves[label] = moves.get(label, 0) + step.count
    return moves


def refuse_if_stale(previewed: str | None, current: str, records: str) -> None:
    """Refuse a merge whose preview (its fingerprint) no longer matches ``records`` as they now are."""
    if previewed != current:
        raise MergeRefused(
            f"These {records} have changed since the preview was shown. Nothing was merged: "
            "check the preview again, then merge."
        )


def _counts(refs: Sequence[Reference], value: int) -> list[int]:
    if not refs:
        return []
    columns = [select(func.count()).select_from(ref.table).where(ref.column == value).scalar_subquery() for ref in refs]
    return [int(n or 0) for n in db.session.execute(select(*columns)).one()]


def lock(model: Any, ids: Sequence[int]) -> list[Any]:
    """Lock the rows of ``model`` with ``ids`` and reload them as the database now holds them.

    A merge locks both records (and both logins) before it checks them, so two merges of the same record wait
    for each other and the second sees the first's result: merging B into A while B is merged into C, or A into
    B while B is merged into A, cannot both go through. In id order, so two merges of one pair never deadlock.
    FOR NO KEY UPDATE: a merge changes no key, so rows being added that refer to the records (a sign-up's
    foreign-key check) do not wait for it. On SQLite this is a plain SELECT: an immediate transaction already
    holds the database's write lock.
    """
    query = (
        select(model)
        .where(model.id.in_(sorted(set(ids))))
        .order_by(model.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    return list(db.session.scalars(query))


def fingerprint(target: Table, ids: Sequence[int], *versions: Any) -> str:
    """A short digest of how many rows refer to each of ``ids`` and of ``versions`` (e.g. updated_at):
    shown with a preview and checked at the merge, so a merge never acts on a preview that has gone stale."""
    refs = references(target)
    counts = [n for record_id in ids for n in _counts(refs, record_id)]
    raw = "|".join(str(x) for x in (*ids, *counts, *versions))
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def move(target: Table, keep_id: int, remove_id: int) -> dict[str, dict[str, int]]:
    """Move or reconcile every reference to ``remove_id`` onto ``keep_id``; flushes, never commits.

    Returns, per reference that had rows, how many moved and how many were dropped as duplicates.
    Callers run it inside a savepoint so that a failure half way leaves both records as they were.
    """
    db.session.flush()
    done: dict[str, dict[str, int]] = {}
    for step in plan(target, keep_id, remove_id):
        if not step.count:
            continue
        if step.ref.table is target:
            moved, dropped = _move_self_reference(step.ref, keep_id, remove_id), 0
        elif step.policy.kind == "reconcile" and step.policy.reconcile is not None:
            moved, dropped = step.policy.reconcile(step.ref, keep_id, remove_id)
        else:
            moved, dropped = _plain_move(step.ref, keep_id, remove_id), 0
        done[step.ref.key] = {"moved": moved, "dropped": dropped}
    return done


def _plain_move(ref: Reference, keep_id: int, remove_id: int) -> int:
    result = db.session.execute(update(ref.table).where(ref.column == remove_id).values({ref.column.name: keep_id}))
    return rowcount(result) or 0


def _move_self_reference(ref: Reference, keep_id: int, remove_id: int) -> int:
    """Rows of the same table pointing at the merged-away record point at the kept one, and the kept record
    never at itself: if it pointed at the merged-away one, it takes that record's own link instead."""
    table, column = ref.table, ref.column
    pk = next(iter(table.primary_key.columns))
    other = table.alias("other")
    own = select(other.c[column.name]).where(other.c[pk.name] == remove_id).scalar_subquery()
    db.session.execute(
        update(table)
        .where(pk == keep_id, column == remove_id)
        .values({column.name: case((own == keep_id, None), else_=own)})
    )
    result = db.session.execute(update(table).where(column == remove_id, pk != keep_id).values({column.name: keep_id}))
    return rowcount(result) or 0


# ------------------------------------------------------------------------------------------ reconcilers

Order = Callable[[FromClause], Sequence[Any]]  # of the table or an alias of it


def keep_earlier(order: str | Order) -> Reconciler:
    """Where both records hold a row with the same unique key, the earlier one stays and the other is dropped.

    ``order`` names the column that says which is earlier, or gives a function of the table returning SQL
    expressions compared in turn (a feature may rank, say, an attended booking before a cancelled one).
    On a tie the kept record's row stays. Rows without a counterpart move.
    """
    ranking: Order = (lambda table: [table.c[order]]) if isinstance(order, str) else order

    def reconcile(ref: Reference, keep_id: int, remove_id: int) -> tuple[int, int]:
        dropped = 0
        for others in _other_columns(ref):
            other = ref.table.alias("other")
            same = and_(true(), *(other.c[c.name] == c for c in others))
            earlier = _before(ranking(other), ranking(ref.table))
            beaten = exists().where(other.c[ref.column.name] == remove_id, same, earlier)
            dropped += _delete(ref.table, ref.column == keep_id, beaten)
            held = exists().where(other.c[ref.column.name] == keep_id, same)
            dropped += _delete(ref.table, ref.column == remove_id, held)
        return _plain_move(ref, keep_id, remove_id), dropped

    return reconcile


def keep_one() -> Reconciler:
    """For link tables with nothing but the key (a champion's topics): the kept record's link stays."""
    return keep_earlier(lambda table: [])


def _other_columns(ref: Reference) -> list[list[Column[Any]]]:
    return [[c for c in key if c is not ref.column] for key in unique_keys(ref.column)]


def _before(mine: Sequence[Any], theirs: Sequence[Any]) -> Any:
    """Lexicographic "mine < theirs" over lists of SQL expressions (false when they are equal)."""
    clauses = []
    for i, (a, b) in enumerate(zip(mine, theirs, strict=True)):
        clauses.append(and_(*(x == y for x, y in zip(mine[:i], theirs[:i], strict=True)), a < b))
    return or_(*clauses) if clauses else false()


def _delete(table: Table, *where: Any) -> int:
    """Drop a duplicate the merge has made, leaving its tombstone (its id no longer names a record)."""
    tombstones.bury_where(table, and_(*where), "merged")
    result = db.session.execute(delete(table).where(*where).execution_options(synchronize_session=False))
    return rowcount(result) or 0
