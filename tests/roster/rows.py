"""Rows for merge tests, made from the schema: one row in every table that refers to a record, whatever tables
exist. A table added later gets its row without anyone writing a factory, so a merge that does not handle it
fails the tests.
"""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from sqlalchemy import JSON, Boolean, Column, Date, DateTime, Integer, Numeric, String, Table, Text, func, select
from sqlalchemy.exc import IntegrityError

from champions.core import merging
from champions.core.clock import now_utc
from champions.extensions import db

_serial = itertools.count(1)

# Columns whose allowed values a CHECK constraint lists and that have no default: a value that passes.
ALLOWED = {
    "activities.type": "conversation",
    "grant_applications.status": "draft",
    "workshops.type": "co_design",
    "organisations.type": "grassroots",
    "champion_roles.betweenness": 1.5,
    "evaluation_responses.point": "before",
}

# Tables whose CHECK asks for exactly one of several nullable references: a row refers through the first unless it
# is given one of them (a follow-up task is about a champion, an organisation or a grant application).
ONE_OF = {"followup_tasks": ("champion_id", "organisation_id", "application_id")}


class RowMaker:
    """Inserts rows from the metadata. ``fixed`` maps a referenced table name to the id every other reference
    to it uses (a bystander champion and user), so the rows made refer to nobody in the merge by accident."""

    def __init__(self, fixed: dict[str, int]):
        self.fixed = fixed

    def insert(self, table: Table, **given: Any) -> dict[str, Any]:
        values = dict(given)
        if (choices := ONE_OF.get(table.name)) and not set(choices) & set(values):
            values[choices[0]] = self._referenced(table.c[choices[0]])
        for column in table.columns:
            if column.name in values or not self._must_fill(column):
                continue
            values[column.name] = self._value(column)
        result = db.session.execute(table.insert().values(**values))
        if "id" in table.c and "id" not in values:
            values["id"] = result.inserted_primary_key[0]
        return values

    def _must_fill(self, column: Column[Any]) -> bool:
        if column.foreign_keys:
            return not column.nullable or column.primary_key
        if column.primary_key and column.autoincrement in (True, "auto") and isinstance(column.type, Integer):
            return False
        return not column.nullable and column.default is None and column.server_default is None

    def _value(self, column: Column[Any]) -> Any:
        if column.foreign_keys:
            return self._referenced(column)
        key = f"{column.table.name}.{column.name}"
        if key in ALLOWED:
            return ALLOWED[key]
        kind = column.type
        if isinstance(kind, Boolean):
            return False
        if isinstance(kind, Integer | Numeric):
            return next(_serial)
        if isinstance(kind, DateTime):
            return now_utc()
        if isinstance(kind, Date):
            return date(2026, 1, 5)
        if isinstance(kind, JSON):
            return {}
        if isinstance(kind, String | Text):
            length = getattr(kind, "length", None) or 40
            return f"x{next(_serial)}@example.org"[:length] if "email" in column.name else f"v{next(_serial)}"[:length]
        raise TypeError(f"no test value for {key} ({kind!r}): add one to ALLOWED in tests/roster/rows.py")

    def _referenced(self, column: Column[Any]) -> Any:
        fk = next(iter(column.foreign_keys))
        target = fk.column
        if target.table.name in self.fixed and not column.unique:
            return self.fixed[target.table.name]
        if not column.unique and not column.primary_key:
            existing = db.session.scalar(select(target).limit(1))
            if existing is not None and target.table.name not in ("champions", "users"):
                return existing
        return self.insert(target.table)[target.name]  # type: ignore[arg-type]


def one_row_per_reference(target: Table, record_id: int, maker: RowMaker) -> dict[str, dict[str, Any]]:
    """A row in every table that refers to ``target``, pointing at ``record_id``; keyed by "table.column"."""
    made = {}
    for ref in merging.references(target):
        try:
            with db.session.begin_nested():
                made[ref.key] = maker.insert(ref.table, **{ref.column.name: record_id})
        except IntegrityError:
            continue  # the record already has its one row here (its own login, say)
    return made


def pointing_at(target: Table, record_id: int) -> dict[str, int]:
    """How many rows of each reference still point at ``record_id``."""
    found = {}
    for ref in merging.references(target):
        n = db.session.scalar(select(func.count()).select_from(ref.table).where(ref.column == record_id))
        if n:
            found[ref.key] = n
    return found
