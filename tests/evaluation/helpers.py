"""Shared steps for the training check tests: answers as a page posts them, and finishing the core training."""

from __future__ import annotations

from sqlalchemy import select

from champions.evaluation.models import Kind
from champions.evaluation.services import current_version
from champions.training.models import TrainingResource
from tests.factories import PASSWORD


def answers(right: int = 4, confidence: int = 3, **overrides: str) -> dict[str, str]:
    """The current version's form filled in: the first ``right`` knowledge questions right, the rest wrong, and
    every confidence statement at ``confidence``."""
    version = current_version()
    form: dict[str, str] = {}
    for n, q in enumerate(version.of_kind(Kind.KNOWLEDGE)):
        form[f"q{q.id}"] = str(q.correct if n < right else (q.correct + 1) % len(q.options))
    for q in version.of_kind(Kind.CONFIDENCE):
        form[f"q{q.id}"] = str(confidence)
    return {**form, **overrides}


def core_resources(db) -> list[TrainingResource]:
    query = select(TrainingResource).where(TrainingResource.is_core, TrainingResource.retired_at.is_(None))
    return list(db.session.scalars(query.order_by(TrainingResource.position)))


def finish_core(client, db) -> None:
    for resource in core_resources(db):
        done = client.post(f"/me/training/{resource.id}", data={"reflection": ""})
        assert done.status_code == 302 and done.headers["Location"].endswith("/me/training")


def sign_in(client, user) -> None:
    """Sign in again as ``user`` (after the clock moved on past the session's life)."""
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
