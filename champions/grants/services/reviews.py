"""Reviews: assigning a round's panel to an application, conflicts of interest, scores and the panel's ranking."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from champions.core import audit
from champions.core.db import now_utc
from champions.extensions import db
from champions.grants.models import Application, Criterion, ReviewAssignment, Round, Score, Status
from champions.grants.services.lifecycle import GrantError, move, pounds

# A criterion is scored with a whole number from 1 to 5. A range holds only those integers, so anything else a
# caller passes (6, "5", 4.5) is refused with the same message.
SCORES = range(1, 6)


def assign_reviewers(application: Application, reviewer_ids: list[int]) -> list[ReviewAssignment]:
    if application.status not in (Status.ELIGIBLE, Status.UNDER_REVIEW):
        raise GrantError("Reviewers can only be assigned to eligible applications")
    allowed = {u.id for u in application.round.reviewers}
    chosen = [i for i in reviewer_ids if i in allowed]
    if not chosen:
        raise GrantError("Select at least one reviewer from this round's panel", "reviewers")
    have = {a.reviewer_id for a in application.assignments}
    added = [ReviewAssignment(reviewer_id=i) for i in chosen if i not in have]
    application.assignments.extend(added)
    db.session.flush()
    for assignment in added:
        audit.record("grant.reviewer_assigned", application, reviewer_id=assignment.reviewer_id)
    if application.status == Status.ELIGIBLE:
        move(application, Status.UNDER_REVIEW)
    return added


def declare_conflict(assignment: ReviewAssignment, conflict: bool, note: str | None) -> None:
    if assignment.submitted_at is not None:
        raise GrantError("You have already submitted this review")
    if conflict and not (note or "").strip():
        raise GrantError("Describe the conflict of interest", "note")
    assignment.conflict = conflict
    assignment.conflict_note = (note or "").strip() or None
    audit.record(
        "grant.conflict_declared", assignment.application, reviewer_id=assignment.reviewer_id, conflict=conflict
    )
    db.session.flush()


def submit_scores(assignment: ReviewAssignment, scores: dict[int, tuple[int, str]]) -> None:
    """Scores 1 to 5 with a comment for every criterion of the round, all at once."""
    if assignment.conflict is None:
        raise GrantError("Declare whether you have a conflict of interest first")
    if assignment.conflict:
        raise GrantError("You declared a conflict of interest, so you cannot score this application")
    if assignment.submitted_at is not None:
        raise GrantError("You have already submitted this review")
    if assignment.application.status != Status.UNDER_REVIEW:
        raise GrantError("This application is no longer under review")
    for criterion in assignment.application.round.criteria:
        value = scores.get(criterion.id)
        if value is None or value[0] not in SCORES:
            raise GrantError(f"Score '{criterion.name}' from 1 to 5", f"score_{criterion.id}")
        assignment.scores.append(Score(criterion_id=criterion.id, score=value[0], comment=(value[1] or "").strip()))
    assignment.submitted_at = now_utc()
    audit.record("grant.review_submitted", assignment.application, reviewer_id=assignment.reviewer_id)
    db.session.flush()


def visible_reviews(assignment: ReviewAssignment) -> list[ReviewAssignment]:
    """Other reviewers' scores, only once this reviewer has submitted their own."""
    if assignment.submitted_at is None:
        return []
    return [a for a in assignment.application.assignments if a.id != assignment.id and a.submitted_at is not None]


def weighted_scores(round_id: int) -> dict[int, tuple[float, int]]:
    """Application id -> (weighted average score, number of reviews), in one aggregate query.

    Every reviewer scores every criterion, so the mean of the reviewers' weighted averages
    equals the sum of score x weight over the sum of weights.
    """
    rows = db.session.execute(
        select(
            ReviewAssignment.application_id,
            func.sum(Score.score * Criterion.weight),
            func.sum(Criterion.weight),
            func.count(func.distinct(ReviewAssignment.id)),
        )
        .join(Score, Score.assignment_id == ReviewAssignment.id)
        .join(Criterion, Criterion.id == Score.criterion_id)
        .join(Application, Application.id == ReviewAssignment.application_id)
        .where(Application.round_id == round_id, ReviewAssignment.submitted_at.is_not(None))
        .group_by(ReviewAssignment.application_id)
    ).all()
    return {app_id: (round(total / weights, 2), reviews) for app_id, total, weights, reviews in rows}


def ranked(round_id: int) -> list[tuple[Application, float | None, int]]:
    """The panel's list: applications past the eligibility check, best weighted score first."""
    scores = weighted_scores(round_id)
    apps = db.session.scalars(
        select(Application)
        .where(
            Application.round_id == round_id,
            Application.status.not_in([Status.DRAFT.value, Status.SUBMITTED.value, Status.INELIGIBLE.value]),
        )
        .options(selectinload(Application.organisation))
    )
    rows = [(a, *scores.get(a.id, (None, 0))) for a in apps]
    return sorted(rows, key=lambda r: _rank_key(r[0].id, r[1]))


def criterion_means(round_id: int) -> dict[tuple[int, int], float]:
    """(application id, criterion id) -> the mean of the submitted scores, in one aggregate query."""
    rows = db.session.execute(
        select(ReviewAssignment.application_id, Score.criterion_id, func.avg(Score.score))
        .join(Score, Score.assignment_id == ReviewAssignment.id)
        .join(Application, Application.id == ReviewAssignment.application_id)
        .where(Application.round_id == round_id, ReviewAssignment.submitted_at.is_not(None))
        .group_by(ReviewAssignment.application_id, Score.criterion_id)
    ).all()
    return {(app_id, criterion_id): round(float(mean), 2) for app_id, criterion_id, mean in rows}


def conflict_counts(round_id: int) -> dict[int, int]:
    """Application id -> how many of its reviewers declared a conflict of interest."""
    rows = db.session.execute(
        select(ReviewAssignment.application_id, func.count())
        .join(Application, Application.id == ReviewAssignment.application_id)
        .where(Application.round_id == round_id, ReviewAssignment.conflict.is_(True))
        .group_by(ReviewAssignment.application_id)
    ).all()
    return dict(rows)


def panel_pack(round_: Round) -> tuple[list[str], list[list]]:
    """The panel's papers as a spreadsheet: every submitted application, best weighted score first.

    No contact details: the group's name only, and not even that when the round anonymises its reviews.
    """
    criteria = list(round_.criteria)
    header = [
        "Id",
        "Title",
        "Group",
        "Amount requested",
        "Theme",
        "Boroughs",
        *(f"Mean score: {c.name} (weight {c.weight})" for c in criteria),
        "Weighted score",
        "Reviews",
        "Reviews asked for",
        "Conflicts declared",
        "Eligibility problems",
        "Status",
    ]
    scores, means, conflicts = weighted_scores(round_.id), criterion_means(round_.id), conflict_counts(round_.id)
    apps = db.session.scalars(
        select(Application)
        .where(Application.round_id == round_.id, Application.status != Status.DRAFT.value)
        .options(selectinload(Application.organisation), selectinload(Application.boroughs))
    )
    ranked_apps = sorted(apps, key=lambda a: _rank_key(a.id, scores.get(a.id, (None, 0))[0]))
    rows = [
        [
            a.id,
            a.title,
            a.anonymous_name if round_.anonymise_reviews else a.group_display,
            pounds(a.amount_requested_pence),
            a.theme or "",
            "; ".join(b.name for b in a.boroughs),
            *(_blank(means.get((a.id, c.id))) for c in criteria),
            _blank(scores.get(a.id, (None, 0))[0]),
            scores.get(a.id, (None, 0))[1],
            round_.reviewers_per_application,
            conflicts.get(a.id, 0),
            "; ".join(a.eligibility_problems or []),
            a.status_label,
        ]
        for a in ranked_apps
    ]
    audit.record("grant.round_exported", round_, export="panel pack", applications=len(rows))
    return header, rows


def _rank_key(application_id: int, score: float | None) -> tuple[bool, float, int]:
    """Best weighted score first, unscored last, then oldest first: the panel page's order."""
    return (score is None, -(score or 0), application_id)


def _blank(value: float | None) -> float | str:
    return "" if value is None else value
