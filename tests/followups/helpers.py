from __future__ import annotations

from datetime import date, datetime

from champions.followups.services import TaskData, add_task

NOW = datetime(2026, 3, 10, 9, 30)  # a Tuesday morning, UK time (GMT)
TODAY = date(2026, 3, 10)


def task(db, record, by, *, kind="champion", title="Call back", due=TODAY, to=None, note=None):
    made = add_task(kind, record, TaskData(title, note, due, (to or by).id), by)
    db.session.commit()
    return made
