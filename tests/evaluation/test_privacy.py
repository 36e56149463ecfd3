"""Answers to the check are personal data: in the person's export in words, anonymised on erasure (the scores keep
counting in the figures), and merged keeping the earlier answer at each point."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from champions.core.db import now_utc
from champions.evaluation import figures, services
from champions.evaluation.models import Point, Response
from champions.privacy.export import export_data
from champions.privacy.services import erase
from champions.roster.duplicates import merge, plan_merge


def _answer(champion, point: Point, right: int, confidence: int = 3, at: datetime | None = None) -> Response:
    version = services.current_version()
    knowledge = version.of_kind("knowledge")
    given = {q.id: (q.correct if n < right else (q.correct + 1) % len(q.options)) for n, q in enumerate(knowledge)}
    given |= {q.id: confidence for q in version.of_kind("confidence")}
    response = Response(
        champion_id=champion.id,
        version_id=version.id,
        point=point.value,
        knowledge_right=right,
        knowledge_asked=len(knowledge),
        knowledge_score=right / len(knowledge),
        confidence_mean=float(confidence),
        answers={str(k): v for k, v in given.items()},
        answered_at=at or now_utc(),
    )
    return response


def test_the_export_shows_the_answers_in_words(db, make):
    champion = make.champion()
    db.session.add(_answer(champion, Point.BEFORE, right=1, confidence=2))
    db.session.commit()
    section = next(
        s for s in export_data(champion.user)["sections"].values() if s["title"] == "Your training check answers"
    )
    (row,) = section["rows"]
    assert row["When"] == "Before the training" and row["Questions right"] == 1 and row["Version of the check"] == 1
    assert "Which of these is the biggest preventable cause of cancer in the UK?: Smoking" in row["Your answers"]
    assert "I feel confident talking to someone about cancer screening: 2 out of 5" in row["Your answers"]


def test_erasure_clears_the_answers_and_keeps_the_scores_counting(db, make):
    champion = make.champion()
    db.session.add(_answer(champion, Point.BEFORE, right=3))
    db.session.commit()
    erase(champion.user)
    db.session.commit()
    kept = db.session.scalar(select(Response))
    assert kept.answers is None and (kept.knowledge_right, kept.knowledge_score) == (3, 0.75)
    assert figures.scores()[0]["n"] == 1


def test_merging_two_records_keeps_the_earlier_answer_at_each_point(db, make):
    keep, gone = make.champion(), make.champion()
    start = now_utc() - timedelta(days=100)
    db.session.add_all(
        [
            _answer(keep, Point.BEFORE, right=1, at=start + timedelta(days=2)),
            _answer(gone, Point.BEFORE, right=2, at=start),  # earlier: stays
            _answer(keep, Point.AFTER, right=4, at=start + timedelta(days=10)),  # earlier: stays
            _answer(gone, Point.AFTER, right=3, at=start + timedelta(days=11)),
            _answer(gone, Point.LATER, right=3, at=start + timedelta(days=70)),  # only one: moves
        ]
    )
    db.session.commit()
    merge(keep, gone, None, fingerprint=plan_merge(keep, gone).fingerprint)
    db.session.commit()
    rows = {r.point: (r.champion_id, r.knowledge_right) for r in db.session.scalars(select(Response))}
    assert rows == {"before": (keep.id, 2), "after": (keep.id, 4), "later": (keep.id, 3)}
