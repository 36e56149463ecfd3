"""What a feature holds about a person, declared by the feature (``Feature.holdings``): the subject access export
and erasure (privacy) read these declarations, so a new table cannot be forgotten by either.

A holding also says how its rows read to the person they are about, for the export: a title and a sentence for
the file, plain headings for the columns shown (internal ones left out), labels for codes, and references shown as
what they point to (``Lookup``). A holding that declares none of this still exports readably: every column but
surrogate ids, foreign keys, hashes and keys, under its name in words.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, FromClause, false, or_

# How the values of one column read: a code's label in a mapping (a code not in it is shown as it is), or a function
# from the stored value to what is shown.
Labels = Mapping[Any, str] | Callable[[Any], Any]
# One of a person's current choices, as (what it is about, their answer): "Emails from us", "Yes, since 5 May 2026".
Choice = tuple[str, str]

INTERNAL_NAMES = frozenset({"id", "session_version"})
INTERNAL_ENDINGS = ("_id", "_hash", "_key", "_token")


def internal(name: str) -> bool:
    """A column no person would understand: a surrogate id, a reference, a hash, a key or a session counter."""
    return name in INTERNAL_NAMES or name.endswith(INTERNAL_ENDINGS)


def humanise(name: str) -> str:
    """``created_at`` or ``person.exported`` in words: "Created at", "Person exported"."""
    words = name.replace("_", " ").replace(".", " ").replace(":", ": ").replace("-", " ").split()
    text = " ".join(words)
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class Lookup:
    """A column referring to another table's row, shown in the export as what it refers to (one outer join).

    ``show`` names each value taken from that row: a column of it, or an expression over it (given the joined
    table), such as a first name or "a champion who has since left".
    """

    column: str
    table: str
    show: Mapping[str, str | Callable[[FromClause], ColumnElement[Any]]]
    key: str = "id"


@dataclass(frozen=True)
class Holding:
    """A table holding someone's personal data: how to find their rows, what erasure does, and how they read."""

    table: str
    owner: str  # "user" (by user id), "champion" (by champion id) or "email" (by address)
    column: str
    erase: str  # "delete", "anonymise" or "keep"
    anonymise: dict[str, Any] = field(default_factory=dict)
    why_kept: str = ""
    # The export: the file's title and one sentence saying what it holds, for the cover note.
    title: str = ""
    describe: str = ""
    # Column (or a Lookup's name) -> heading, in the order shown; empty: every column that is not internal.
    columns: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, Labels] = field(default_factory=dict)
    lookups: tuple[Lookup, ...] = ()
    order_by: tuple[str, ...] = ()  # empty: the table's primary key
    # The person's current choices this feature keeps (consents, opt-outs, topics), listed first in the export.
    preferences: Callable[[Any, Any], list[Choice]] | None = None
    # A column of addresses: rows sent to the person's current address are theirs too (as well as by ``column``).
    also_by_address: str = ""

    def owner_value(self, user: Any, champion: Any) -> Any:
        """What this person's rows hold in ``column``: their user id, address or champion id (None: no champion)."""
        if self.owner == "user":
            return user.id
        if self.owner == "email":
            return user.email
        return champion.id if champion is not None else None

    def rows_of(self, table: FromClause, user: Any, champion: Any) -> ColumnElement[bool]:
        """Which of ``table``'s rows are this person's (nothing, when it is held by champion and they have none)."""
        owner = self.owner_value(user, champion)
        mine = table.c[self.column] == owner if owner is not None else false()
        return or_(mine, table.c[self.also_by_address] == user.email) if self.also_by_address else mine

    @property
    def heading(self) -> str:
        return self.title or humanise(self.table)

    @property
    def sentence(self) -> str:
        return self.describe or f"What the service keeps about you as {humanise(self.table).lower()}."

    def headings(self, names: list[str], references: set[str]) -> dict[str, str]:
        """The columns shown, each with its heading: the declared ones, or every column that means something to a
        person (``references`` are the columns with a foreign key, left out unless declared)."""
        if self.columns:
            return dict(self.columns)
        replaced = {lookup.column for lookup in self.lookups}
        hidden = replaced | references | {self.column}
        return {name: humanise(name) for name in names if name not in hidden and not internal(name)}
