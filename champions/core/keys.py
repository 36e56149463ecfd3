"""Readable unique keys made from names ("Welcome email" -> "welcome-email", then "welcome-email-2", ...)."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute

from champions.extensions import db

# Room kept at the end of the column for "-" and a counter, so the base is never cut to fit a suffix:
# every key made from one base then starts with that base, and one prefix query finds them all.
SUFFIX_ROOM = 10


def slugify(text: str, max_length: int, fallback: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:max_length].strip("-") or fallback


def unique_key(column: InstrumentedAttribute[str], text: str, fallback: str) -> str:
    """The slug of ``text``, or the slug with the first free ``-2``, ``-3``... suffix.

    One query reads the keys already taken with that prefix, so the search ends after at most
    one more step than there are such keys. The column's unique constraint stays the final guard
    against a concurrent request choosing the same key.
    """
    base = slugify(text, column.type.length - SUFFIX_ROOM, fallback)
    # A slug holds only [a-z0-9-], so it has no LIKE wildcards to escape.
    taken = set(db.session.scalars(select(column).where(column.like(f"{base}%"))))
    if base not in taken:
        return base
    counter = 2
    while f"{base}-{counter}" in taken:
        counter += 1
    return f"{base}-{counter}"
