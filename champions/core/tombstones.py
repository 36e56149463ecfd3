"""Tombstones: what was erased, merged away or deleted, by table and id (core.models.Tombstone).

Every way a record leaves writes one here: a merge for the record merged away and for each duplicate row it drops
(core/merging.py), erasure and retention for the person's records (privacy), a champion deleting an activity. The
API's deletions feed reads them, so a partner's copy can follow; a record put back (an undone deletion) takes its
tombstone away and is changed now, so the same feed shows it again."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Integer, Table, delete, insert, select

from champions.core.db import now_utc
from champions.extensions import db

KINDS = ("erased", "merged", "deleted")


def bury(table: str, ids: Iterable[int], kind: str, merged_into_id: int | None = None) -> int:
    """Record that the rows ``ids`` of ``table`` are gone, as ``kind``; returns how many."""
    if kind not in KINDS:
        raise ValueError(f"Unknown kind of deletion: {kind}")
    at = now_utc()
    rows = [
        {"table_name": table, "record_id": int(i), "kind": kind, "merged_into_id": merged_into_id, "at": at}
        for i in dict.fromkeys(ids)
    ]
    if rows:
        db.session.execute(insert(_tombstones()), rows)
    return len(rows)


def unbury(table: str, record_id: int) -> None:
    """The record is back under its old id: its tombstone goes."""
    tombstones = _tombstones()
    db.session.execute(delete(tombstones).where(tombstones.c.table_name == table, tombstones.c.record_id == record_id))


def _tombstones() -> Table:
    # By name: core.models (which declares it) imports core.merging, which writes tombstones.
    return db.metadata.tables["tombstones"]


def single_key(table: Table) -> Any | None:
    """The table's primary key column if it is one integer column (rows with an id a copy elsewhere can name)."""
    keys = list(table.primary_key.columns)
    return keys[0] if len(keys) == 1 and isinstance(keys[0].type, Integer) else None


def bury_where(table: Table, where: ColumnElement[bool], kind: str) -> int:
    """Before rows of ``table`` matching ``where`` are deleted: a tombstone each (tables without a single integer
    key, such as link tables, have no rows of their own to name, and get none)."""
    key = single_key(table)
    if key is None:
        return 0
    return bury(table.name, db.session.scalars(select(key).where(where)).all(), kind)
