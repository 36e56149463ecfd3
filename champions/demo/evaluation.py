"""Demo answers to the training check, so that the champion's results and the staff figures show something real on
the first start.

About 60% of champions answer before the core training, two thirds of those who finish it answer straight after,
and about half of those eight weeks past it answer the later check. Knowledge is about 55% right before, 85% after
and 75% eight weeks on; confidence 2.8, 4.1 and 3.8 out of 5. The answers draw on their own random numbers, so
adding them leaves the rest of the demo as it was.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from champions.core.db import as_utc
from champions.evaluation.models import Kind, Point, Response
from champions.evaluation.services import LATER_DAYS, current_version, score
from champions.extensions import db
from champions.profiles.models import Champion, Stage

DEMO_CHAMPION = "champion@champions.example"
SHARE_ANSWERING = {Point.BEFORE: 0.6, Point.AFTER: 0.65, Point.LATER: 0.5}
# Mean share right and mean confidence at each point, and how far one champion strays from them.
KNOWLEDGE = {Point.BEFORE: 0.55, Point.AFTER: 0.85, Point.LATER: 0.75}
CONFIDENCE = {Point.BEFORE: 2.8, Point.AFTER: 4.1, Point.LATER: 3.8}


def _reached(champion: Champion, stage: Stage) -> datetime | None:
    return next((as_utc(h.changed_at) for h in champion.history if h.to_stage == stage.value), None)


def _when(champion: Champion, point: Point, now: datetime, rng: random.Random) -> datetime | None:
    """When this champion answered at ``point`` (None: they skipped it, or it is not open yet)."""
    demo = champion.user.email == DEMO_CHAMPION
    if not demo and rng.random() > SHARE_ANSWERING[point]:
        return None
    trained = _reached(champion, Stage.TRAINED)
    if point is Point.BEFORE:
        verified = _reached(champion, Stage.VERIFIED)
        if verified is None:
            return None
        at = verified + timedelta(hours=rng.randint(1, 24))
        return at if trained is None or at < trained else trained - timedelta(minutes=30)
    if trained is None:
        return None
    if point is Point.AFTER:
        return trained + timedelta(hours=rng.randint(1, 72))
    at = trained + timedelta(days=LATER_DAYS + rng.randint(0, 14), hours=rng.randint(1, 12))
    return at if at <= now and not demo else None


def _answers(version, share_right: float, confidence: float, rng: random.Random) -> dict[int, int]:
    given = {}
    for q in version.of_kind(Kind.KNOWLEDGE):
        wrong = [i for i in range(len(q.options)) if i != q.correct]
        given[q.id] = q.correct if rng.random() < share_right else rng.choice(wrong)
    for q in version.of_kind(Kind.CONFIDENCE):
        given[q.id] = min(5, max(1, round(rng.gauss(confidence, 0.7))))
    return given


def seed_evaluation(champions: list[Champion], now: datetime, rng_seed: int = 5607) -> int:
    """Answers for the demo champions at each point they reached; returns how many."""
    rng = random.Random(rng_seed)
    version = current_version()
    if version is None:
        return 0
    rows = []
    for champion in champions:
        knack, sureness = rng.gauss(0, 0.12), rng.gauss(0, 0.4)  # this champion's own lean, kept across points
        for point in Point:
            at = _when(champion, point, now, rng)
            if at is None:
                continue
            share = min(0.98, max(0.02, KNOWLEDGE[point] + knack))
            given = _answers(version, share, CONFIDENCE[point] + sureness, rng)
            scores = score(version, given)
            rows.append(
                Response(
                    champion_id=champion.id,
                    version_id=version.id,
                    point=point.value,
                    answered_at=at,
                    knowledge_right=scores.right,
                    knowledge_asked=scores.asked,
                    knowledge_score=scores.knowledge,
                    confidence_mean=scores.confidence_mean,
                    answers={str(k): v for k, v in given.items()},
                )
            )
    db.session.add_all(rows)
    db.session.flush()
    return len(rows)
