"""What the shared route and table walks need of follow-ups (tests/feature_samples.py)."""

from __future__ import annotations

from datetime import date

from champions.followups.models import Digest, Preference, Task


def route_args(db, make) -> dict[str, dict]:
    champion = make.champion()
    staff = make.user(role="staff")
    task = Task(champion_id=champion.id, title="Call back", due_on=date(2026, 12, 10), assignee_id=staff.id)
    db.session.add(task)
    db.session.commit()
    record = {"kind": "champion", "record_id": champion.id}
    one = {**record, "task_id": task.id}
    from tests.workshops.helpers import make_org

    organisation = make_org(db, "Sample Owners Group")
    return {
        # With one organisation ticked, the page shows its owner form, which the fuzzer then posts.
        "followups.bulk_owner": {"kind": "organisation", "id": organisation.id},
        "followups.task_new": record,
        "followups.owner_edit": record,
        "followups.task_edit": one,
        "followups.task_done": one,
        "followups.task_reopen": one,
    }


def personal_rows(db, user, champion) -> None:
    """A task about the champion, their choice about the daily email, and one day's email."""
    db.session.add(Task(champion_id=champion.id, title="Ask about the bus stop chat", due_on=date(2026, 5, 1)))
    db.session.add(Preference(user_id=user.id, daily_digest=False))
    db.session.add(Digest(user_id=user.id, day=date(2026, 5, 1)))
