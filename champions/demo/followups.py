"""Demo follow-ups: the demo member of staff owns a few champions and has tasks about them, one of them overdue,
so that "My tasks", the overdue list and the morning digest have something to show."""

from __future__ import annotations

import random
from datetime import timedelta

from champions.accounts.models import User
from champions.core.clock import today_uk
from champions.core.db import now_utc
from champions.extensions import db
from champions.followups.models import Task
from champions.profiles.models import Champion, Stage

TASKS = (
    # (title, note, days from today: negative is overdue)
    ("Phone about the library stall", "They offered to run a stall in half-term.", -4),
    ("Send the screening leaflets", None, 0),
    ("Ask whether they would lead a workshop", "Came to three workshops this year.", 6),
    ("Check their training is on track", None, 14),
)


def seed_followups(rng: random.Random, champions: list[Champion], staff: User) -> None:
    live = [c for c in champions if c.stage in (Stage.TRAINED.value, Stage.ACTIVE.value)]
    owned = rng.sample(live, 12)
    for champion in owned:
        champion.owner_id = staff.id
    today, created = today_uk(), now_utc() - timedelta(days=10)
    db.session.add_all(
        Task(
            champion_id=champion.id,
            title=title,
            note=note,
            due_on=today + timedelta(days=days),
            assignee_id=staff.id,
            created_by_id=staff.id,
            created_at=created,
        )
        for champion, (title, note, days) in zip(owned, TASKS, strict=False)
    )
    db.session.flush()
