"""What the shared route and table walks need of the training check (tests/feature_samples.py)."""

from __future__ import annotations

from champions.evaluation.models import Response


def a_response(db, champion, point: str = "before") -> Response:
    response = Response(
        champion_id=champion.id,
        version_id=1,
        point=point,
        knowledge_right=3,
        knowledge_asked=4,
        knowledge_score=0.75,
        confidence_mean=3.0,
        answers={"1": 0, "2": 1, "3": 1, "4": 2, "5": 3, "6": 3, "7": 3},
    )
    db.session.add(response)
    db.session.flush()
    return response


def route_args(db, make) -> dict[str, dict]:
    someone = make.champion()
    response = a_response(db, someone)
    db.session.commit()
    return {
        "evaluation.check": {"point": "before"},
        "evaluation.my_answers": {"response_id": response.id},
        "evaluation.staff_figures_csv": {"grouping": "borough", "kind": "scores"},
    }


def personal_rows(db, user, champion) -> None:
    """Their answers to the check before the core training."""
    a_response(db, champion)
