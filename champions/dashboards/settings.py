"""The programme's target and its dates (one row): read by the figures, changed by an admin.

Services flush; the request commits.
"""

from __future__ import annotations

from typing import Any

from champions.core import audit
from champions.dashboards.models import ProgrammeSettings
from champions.extensions import db

FIELDS = ("target", "start_date", "target_date", "milestone_label", "milestone_target", "milestone_date")


def current_settings() -> ProgrammeSettings:
    return db.session.get_one(ProgrammeSettings, 1)  # the migration writes the one row


def change_settings(current: ProgrammeSettings, **values: Any) -> None:
    """An admin's new target or dates; the dashboard measures against them from its next computation."""
    for name, value in values.items():
        setattr(current, name, value)
    audit.record("settings.changed", current, champions_target=current.target, target_date=str(current.target_date))
    db.session.flush()
