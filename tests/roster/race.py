"""Merges under stress: two at the same moment, each in its own app context and database connection; one
that fails half-way."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial

import pytest

from champions import create_app
from champions.core import merging
from champions.core.merging import MergeRefused
from champions.extensions import db as _db
from tests.conftest import is_postgres

MERGED = "merged"
# Two merges of records a, b and c at once: both take b, or each takes the other.
RACES = ["B into A while B into C", "A into B while B into A"]


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


def race_two_merges(app, monkeypatch, race: str, records, plan, merge_ids) -> tuple[list[str], list[tuple]]:
    """The two merges ``race`` names (one of RACES) among ``records`` (a, b, c), each posting the fingerprint of
    ``plan(keep, remove)`` taken before either starts, run at once by ``merge_ids(keep_id, remove_id, fingerprint)``.
    Returns the outcomes (see ``at_once``) and the (keep, remove) pairs, in the same order."""
    a, b, c = records
    pairs = [(a, b), (c, b)] if race.endswith("C") else [(b, a), (a, b)]
    previews = [(keep.id, gone.id, plan(keep, gone).fingerprint) for keep, gone in pairs]
    with racing_app(app) as racing:
        outcomes = at_once(racing, monkeypatch, *(partial(merge_ids, *preview) for preview in previews))
    return outcomes, pairs


def fail_the_second_move(monkeypatch: pytest.MonkeyPatch) -> None:
    """A merge's second plain move raises, as a database that goes away half-way would."""
    real, moved = merging._plain_move, []

    def fail_on_the_second(ref, keep_id, remove_id):
        moved.append(ref.key)
        if len(moved) == 2:
            raise RuntimeError("the database went away")
        return real(ref, keep_id, remove_id)

    monkeypatch.setattr(merging, "_plain_move", fail_on_the_second)
