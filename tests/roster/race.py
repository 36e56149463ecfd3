"""Two merges at the same moment, each in its own app context and database connection."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from champions import create_app
from champions.core import merging
from champions.core.merging import MergeRefused
from champions.extensions import db as _db
from tests.conftest import is_postgres

MERGED = "merged"


@contextmanager
def racing_app(app) -> Iterator:
    """PostgreSQL as configured; SQLite as the embedded stack runs it, with immediate transactions (writers
    queue for the database's write lock), in an app of its own on the same database."""
    if is_postgres(app):
        yield app
        return
    serialised = create_app("testing", SQLITE_IMMEDIATE_TRANSACTIONS=True)
    try:
        yield serialised
    finally:
        with serialised.app_context():
            _db.engine.dispose()
        app.extensions["celery"].set_default()


def at_once(app, monkeypatch: pytest.MonkeyPatch, *merges: Callable[[], object]) -> list[str]:
    """Run ``merges`` in threads released together; each commits or is refused. Returns each outcome: "merged",
    the refusal's message, or the unexpected error.

    Each merge also waits (up to a second) for the others once it has checked the records, so that without
    locks both would have checked before either moved anything: the race is lost every time, not by chance.
    """
    start, checked = threading.Barrier(len(merges)), threading.Barrier(len(merges))
    real_plan = merging.plan

    def plan_then_meet(*args):
        steps = real_plan(*args)
        try:
            checked.wait(timeout=1)
        except threading.BrokenBarrierError:
            pass  # another merge is waiting for a lock this one holds: carry on
        return steps

    monkeypatch.setattr(merging, "plan", plan_then_meet)
    outcomes: list[str] = [""] * len(merges)

    def run(i: int) -> None:
        with app.app_context():
            start.wait(timeout=10)
            try:
                merges[i]()
                _db.session.commit()
                outcomes[i] = MERGED
            except MergeRefused as refused:
                outcomes[i] = str(refused)
            except Exception as error:  # a deadlock or any other failure is what the test looks for
                outcomes[i] = f"error: {error!r}"
            finally:
                _db.session.rollback()
                _db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(merges))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return outcomes
