"""What a feature holds about a person, declared by the feature (``Feature.holdings``): the subject access export
and erasure (privacy) read these declarations, so a new table cannot be forgotten by either."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Holding:
    """A table holding someone's personal data: how to find their rows and what erasure does."""

    table: str
    owner: str  # "user" (by user id), "champion" (by champion id) or "email" (by address)
    column: str
    erase: str  # "delete", "anonymise" or "keep"
    anonymise: dict[str, Any] = field(default_factory=dict)
    why_kept: str = ""
