"""A reviewer's pages: their assignments, declaring a conflict of interest and scoring an application."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from champions.core import audit
from champions.core.forms import db_id
from champions.core.pagination import keyset_page
from champions.extensions import db
from champions.grants import bp, forms
from champions.grants.models import Application, ReviewAssignment
from champions.grants.services.lifecycle import GrantError
from champions.grants.services.reviews import declare_conflict, submit_scores, visible_reviews


@bp.get("/grants/reviews")
def reviews():
    mine = (
        select(ReviewAssignment)
        .where(ReviewAssignment.reviewer_id == current_user.id)
        .options(
            selectinload(ReviewAssignment.application).selectinload(Application.organisation),
            selectinload(ReviewAssignment.application).selectinload(Application.round),
        )
    )
    to_do = db.session.scalars(mine.where(ReviewAssignment.submitted_at.is_(None)).order_by(ReviewAssignment.id))
    done = keyset_page(
        mine.where(ReviewAssignment.submitted_at.is_not(None)),
        ReviewAssignment.id,
        request.args.get("before", type=db_id),
    )
    return render_template("grants/reviews.html", to_do=list(to_do), done=done)


def _own(assignment_id: int) -> ReviewAssignment:
    assignment = db.session.get(ReviewAssignment, assignment_id)
    if assignment is None or assignment.reviewer_id != current_user.id:
        abort(404)
    return assignment


def _answer(assignment: ReviewAssignment, conflict_form: forms.ConflictForm, scores) -> str | None:
    """Save the declaration or the scores that were sent; a message for the flash, or None if the form was wrong."""
    if request.form.get("action") == "conflict":
        if not conflict_form.validate_on_submit():
            return None
        declare_conflict(assignment, conflict_form.conflict.data == "yes", conflict_form.note.data)
        return "Thank you for your declaration."
    if not scores.validate_on_submit():
        return None
    criteria = assignment.application.round.criteria
    submit_scores(
        assignment, {c.id: (int(scores[f"score_{c.id}"].data), scores[f"comment_{c.id}"].data) for c in criteria}
    )
    return "Your scores have been submitted. You can now see the other reviewers' scores."


@bp.route("/grants/reviews/<int:assignment_id>", methods=["GET", "POST"])
def review(assignment_id: int):
    assignment = _own(assignment_id)
    criteria = assignment.application.round.criteria
    conflict_form = forms.ConflictForm(prefix="c")
    scores = forms.score_form(criteria)
    status, general = 200, []
    if request.method == "POST":
        try:
            if message := _answer(assignment, conflict_form, scores):
                db.session.commit()
                flash(message, "success")
                return redirect(url_for("grants.review", assignment_id=assignment.id))
        except GrantError as error:
            db.session.rollback()
            general.append({"text": error.message, "href": "#maincontent"})
        status = 400
    else:
        audit.viewed(
            "grant.application_viewed", assignment.application, subject_user_ids=(assignment.application.applicant_id,)
        )
    return render_template(
        "grants/review.html",
        assignment=assignment,
        conflict_form=conflict_form,
        scores=scores,
        criteria=criteria,
        others=visible_reviews(assignment),
        general=general,
    ), status
