"""The demo's training check answers give the figures the programme would expect to see."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from champions.demo.seed import seed
from champions.evaluation import figures
from champions.evaluation.models import Point, Response
from champions.profiles.models import Champion


# The demo's seeded data and what it shows are the same on either database, and each figure's own query is tested
# on both: seeding it again for the PostgreSQL pass (seconds each) would check nothing new.
@pytest.mark.once
def test_the_demo_shows_realistic_training_check_figures(db, client):
    seed(count=400)
    db.session.commit()
    rows = {r["point"]: r for r in figures.scores("all")}
    assert rows[Point.BEFORE]["n"] > rows[Point.AFTER]["n"] > rows[Point.LATER]["n"] >= 30
    assert 45 < rows[Point.BEFORE]["knowledge"].mean < 65
    assert 78 < rows[Point.AFTER]["knowledge"].mean < 92
    assert 65 < rows[Point.LATER]["knowledge"].mean < 85
    assert 2.5 < rows[Point.BEFORE]["confidence"].mean < 3.1
    assert 3.8 < rows[Point.AFTER]["confidence"].mean < 4.4
    assert 3.5 < rows[Point.LATER]["confidence"].mean < 4.1
    (kept,) = figures.kept("all")
    assert 0.3 < kept["share"].mean < 0.8
    # Nobody answered twice, nor before the training after finishing it, nor eight weeks on too early.
    answered = list(db.session.execute(select(Response.champion_id, Response.point, Response.answered_at)))
    assert len(answered) == len({(c, p) for c, p, _ in answered})
    demo = db.session.scalar(select(Champion).where(Champion.first_name == "Sam", Champion.last_name == "Okafor"))
    assert {p for c, p, _ in answered if c == demo.id} >= {"before"}
