"""The check on the core training: which point a champion may answer now, scoring and storing an answer, their own
results, and staff writing the questions in versions. Services flush; the request commits.

Nothing in onboarding reads any of this: skipping every check never holds anyone back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from champions.core import audit
from champions.core.db import as_utc, now_utc
from champions.core.templating import uk_time
from champions.evaluation.models import CheckVersion, Kind, Point, Question, Response
from champions.extensions import db
from champions.profiles.models import Champion
from champions.training.models import TrainingCompletion, TrainingResource

LATER_DAYS = 56  # the "later" check opens eight weeks after the core training was finished


class NotNow(Exception):
    """This point cannot be answered now; the message says why (shown by the field, nothing saved)."""


# ---------------------------------------------------------------------------------------------- the core training


def _core() -> Select:
    return select(TrainingResource.id).where(TrainingResource.is_core, TrainingResource.retired_at.is_(None))


def core_finished():
    """(champion_id, finished_at) for every champion who has completed every live core resource: finished_at is
    when they completed the last of them. One grouped query, for any number of champions."""
    core = _core().scalar_subquery()
    total = select(func.count()).select_from(_core().subquery()).scalar_subquery()
    return (
        select(
            TrainingCompletion.champion_id.label("champion_id"), func.max(TrainingCompletion.completed_at).label("at")
        )
        .where(TrainingCompletion.resource_id.in_(core))
        .group_by(TrainingCompletion.champion_id)
        .having(func.count() >= total, total > 0)
        .subquery()
    )


def finished_at(champion: Champion) -> datetime | None:
    found = core_finished()
    return as_utc(db.session.scalar(select(found.c.at).where(found.c.champion_id == champion.id)))


def started_core(champion: Champion) -> bool:
    """Has the champion completed any core resource (retired ones too: they started the training)?"""
    query = (
        select(TrainingCompletion.id)
        .join(TrainingResource, TrainingResource.id == TrainingCompletion.resource_id)
        .where(TrainingCompletion.champion_id == champion.id, TrainingResource.is_core)
    )
    return bool(db.session.scalar(select(query.exists())))


# ----------------------------------------------------------------------------------------------------- the points


def current_version() -> CheckVersion | None:
    query = select(CheckVersion).options(selectinload(CheckVersion.questions))
    return db.session.scalar(query.order_by(CheckVersion.number.desc()).limit(1))


def responses(champion: Champion) -> dict[str, Response]:
    rows = db.session.scalars(select(Response).where(Response.champion_id == champion.id))
    return {row.point: row for row in rows}


def opens_on(done: datetime) -> datetime:
    return done + timedelta(days=LATER_DAYS)


def refusal(champion: Champion, point: Point, now: datetime | None = None) -> str | None:
    """Why ``point`` cannot be answered now, in words (None: it can)."""
    now = now or now_utc()
    answered = responses(champion).get(point.value)
    if answered is not None:
        return f"You answered this check on {uk_time(answered.answered_at, '%-d %B %Y')}. Each check is answered once"
    if point is Point.BEFORE:
        if started_core(champion):
            return "This check is for before you start the core training, and you have started it"
        return None
    done = finished_at(champion)
    if done is None:
        return "You can answer this check once you have finished the core training"
    if point is Point.AFTER and now >= opens_on(done):
        # Answered eight weeks on, "straight after" would measure what was kept, not what was learnt.
        return f"The straight-after check closed on {uk_time(opens_on(done), '%-d %B %Y')}: answer the later one"
    if point is Point.LATER and now < opens_on(done):
        return (
            f"This check opens on {uk_time(opens_on(done), '%-d %B %Y')}, eight weeks after you finished the core "
            "training"
        )
    return None


def due(champion: Champion, now: datetime | None = None) -> Point | None:
    """The point the champion could answer now (the training page offers it), if any."""
    if current_version() is None:
        return None
    return next((point for point in Point if refusal(champion, point, now) is None), None)


@dataclass(frozen=True)
class Scores:
    right: int
    asked: int
    confidence_mean: float | None

    @property
    def knowledge(self) -> float | None:
        return self.right / self.asked if self.asked else None


def score(version: CheckVersion, answers: dict[int, int]) -> Scores:
    """Knowledge right out of asked, and the mean confidence (1 to 5), from answers keyed by question id."""
    knowledge = version.of_kind(Kind.KNOWLEDGE)
    confidence = [answers[q.id] for q in version.of_kind(Kind.CONFIDENCE)]
    right = sum(answers[q.id] == q.correct for q in knowledge)
    return Scores(right, len(knowledge), sum(confidence) / len(confidence) if confidence else None)


def answer(champion: Champion, version: CheckVersion, point: Point, answers: dict[int, int]) -> Response:
    """Store the champion's answers at ``point``, scored. Raises NotNow (nothing stored) when the point is not open,
    answered already included, also when another request stored it a moment ago."""
    if (why := refusal(champion, point)) is not None:
        raise NotNow(why)
    scores = score(version, answers)
    response = Response(
        champion_id=champion.id,
        version_id=version.id,
        point=point.value,
        knowledge_right=scores.right,
        knowledge_asked=scores.asked,
        knowledge_score=scores.knowledge,
        confidence_mean=scores.confidence_mean,
        answers={str(qid): value for qid, value in answers.items()},
        answered_at=now_utc(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(response)
    except IntegrityError:
        raise NotNow(refusal(champion, point) or "You have answered this check already") from None
    return response


# ----------------------------------------------------------------------------------------------- staff: versions


@dataclass(frozen=True)
class Draft:
    """One question as staff wrote it."""

    kind: Kind
    text: str
    options: tuple[str, ...] = ()
    correct: int | None = None


def answered(version: CheckVersion) -> bool:
    return bool(db.session.scalar(select(select(Response.id).where(Response.version_id == version.id).exists())))


def versions() -> list[tuple[CheckVersion, int]]:
    """Every version, newest first, with how many answers it has."""
    counts = select(Response.version_id, func.count().label("n")).group_by(Response.version_id).subquery()
    query = (
        select(CheckVersion, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.version_id == CheckVersion.id)
        .options(selectinload(CheckVersion.questions))
        .order_by(CheckVersion.number.desc())
    )
    return [(version, n) for version, n in db.session.execute(query)]


def save_questions(drafts: list[Draft]) -> CheckVersion:
    """The questions champions answer from now on. The newest version is changed in place while nobody has answered
    it; once anyone has, a new version is published and the old one stays as it was answered."""
    current = current_version()
    if current is not None and not answered(current):
        version = current
        version.questions.clear()
        db.session.flush()
        version.published_at = now_utc()
        action = "evaluation.version_edited"
    else:
        version = CheckVersion(number=(current.number + 1) if current else 1, published_at=now_utc())
        db.session.add(version)
        action = "evaluation.version_published"
    for position, draft in enumerate(drafts, start=1):
        version.questions.append(_question(position, draft))
    db.session.flush()
    audit.record(action, version, number=version.number, questions=len(drafts))
    return version


def _question(position: int, draft: Draft) -> Question:
    return Question(
        position=position,
        kind=draft.kind.value,
        text=draft.text,
        options=list(draft.options),
        correct=draft.correct,
    )


def drafts_of(version: CheckVersion | None) -> list[Draft]:
    if version is None:
        return []
    return [Draft(Kind(q.kind), q.text, tuple(q.options or ()), q.correct) for q in version.questions]


def readable_answers(response: Response) -> list[dict[str, Any]]:
    """Each question of the response's version with the answer given, in words (their own page and export)."""
    given = response.answers or {}
    rows = []
    for q in response.version.questions:
        value = given.get(str(q.id))
        if q.kind == Kind.KNOWLEDGE.value:
            chosen = q.options[value] if isinstance(value, int) and 0 <= value < len(q.options) else None
            rows.append(
                {
                    "question": q.text,
                    "answer": chosen,
                    "right": value == q.correct,
                    "kind": q.kind,
                    "correct": q.options[q.correct] if q.correct is not None else None,
                }
            )
        else:
            rows.append({"question": q.text, "answer": value, "right": None, "kind": q.kind, "correct": None})
    return rows


def answers_in_words(given: dict[str, Any] | None) -> str:
    """A response's answers for the person's own export: "Question: the answer chosen; …"."""
    if not given:
        return ""
    ids = [int(qid) for qid in given if str(qid).isdigit()]
    questions = {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_(ids)))}
    parts = []
    for qid, value in given.items():
        q = questions.get(int(qid)) if str(qid).isdigit() else None
        if q is None:
            continue
        if q.kind == Kind.KNOWLEDGE.value and isinstance(value, int) and 0 <= value < len(q.options):
            parts.append(f"{q.text}: {q.options[value]}")
        else:
            parts.append(f"{q.text}: {value} out of 5")
    return "; ".join(parts)


def training_section(champion: Champion) -> dict[str, Any]:
    """What the training page says about the check: the point open now (if any) and whether they answered any."""
    return {"due": due(champion), "answered": bool(responses(champion))}
