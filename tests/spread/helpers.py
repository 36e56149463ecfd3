"""Measuring the network in a test, as the job does."""

from __future__ import annotations

from champions.spread import services
from champions.spread.models import SpreadRun


def measure_network(db) -> SpreadRun:
    """A run of the network analysis on what the test has made, committed."""
    run = SpreadRun()
    db.session.add(run)
    db.session.flush()
    services.compute(run)
    db.session.commit()
    return run
