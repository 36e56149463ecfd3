"""Key-set pagination: each page costs the same, however deep."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select

from champions.extensions import db

PAGE_SIZE = 50


@dataclass
class Page:
    items: list[Any]
    next_before: int | None


def keyset_page(query: Select, key: Any, before: int | None, size: int = PAGE_SIZE) -> Page:
    """Newest first by ``key``; ``before`` is the last key of the previous page."""
    if before is not None:
        query = query.where(key < before)
    rows = list(db.session.scalars(query.order_by(key.desc()).limit(size + 1)))
    more = len(rows) > size
    items = rows[:size]
    return Page(items=items, next_before=items[-1].id if more else None)
