from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import select

from champions.activities import bp, outcomes, services
from champions.activities.forms import ActivityForm, OutcomesPart
from champions.activities.models import TYPE_LABELS, UNDO_MINUTES, Activity
from champions.core.forms import ConfirmForm, db_id
from champions.core.models import TOPICS
from champions.core.pagination import keyset_page
from champions.extensions import db
from champions.profiles.services import ensure_taking_part


def _mine_or_404(activity_id: int) -> Activity:
    activity = services.own_activity(current_user.champion, activity_id)
    if activity is None:
        abort(404)
    return activity


@bp.get("/me/activities")
def activity_list():
    champion = current_user.champion
    query = select(Activity).where(Activity.champion_id == champion.id)
    page = keyset_page(query, Activity.id, request.args.get("before", type=db_id))
    # Straight after a deletion (once: a reload no longer offers it), the banner with "Undo".
    deleted_id = session.pop("deleted_activity", None)
    deleted = services.own_deleted(champion, deleted_id) if isinstance(deleted_id, int) else None
    return render_template(
        "activities/list.html",
        page=page,
        withdrawn=champion.withdrawn,
        totals=services.totals(champion),
        outcome_totals=outcomes.outcome_totals(champion.id),
        outcomes_of=outcomes.outcomes_by_activity([a.id for a in page.items]),
        type_labels=TYPE_LABELS,
        topic_labels=dict(TOPICS),
        deleted=deleted,
        undo_minutes=UNDO_MINUTES,
    )


def _valid_with_outcomes(form: ActivityForm, part: OutcomesPart) -> bool:
    """Read the posted outcomes and check them against the activity's type and people reached (when those could
    be read); True when the form and its outcomes are all valid."""
    valid = form.validate_on_submit()
    if request.method != "POST":
        return False
    part.read(request.form)
    activity_type = form.type.data if not form.type.errors else None
    reached = form.people_reached.data if not form.people_reached.errors else None
    part.problems = outcomes.check_outcomes(activity_type, reached, part.chosen, part.names) | part.problems
    return valid and not part.problems


def _saved(part: OutcomesPart, save: Callable[..., Any], *args: Any) -> bool:
    """Run the service; when it refuses the outcomes (a kind retired, or the activity changed by another request,
    since the form was checked), nothing is kept and its messages go by the fields, as the form's own would."""
    try:
        save(*args)
    except outcomes.OutcomeProblems as refused:
        db.session.rollback()
        part.problems = refused.problems
        return False
    return True


def _form_page(form: ActivityForm, part: OutcomesPart, activity: Activity | None = None):
    refused = bool(form.errors or part.problems)
    page = render_template(
        "activities/form.html",
        form=form,
        part=part,
        editing=activity is not None,
        activity=activity,
    )
    return page, 400 if refused else 200


@bp.route("/me/activities/new", methods=["GET", "POST"])
def activity_new():
    champion = current_user.champion
    ensure_taking_part(champion, "log an activity")  # before the form, so nobody fills it in for nothing
    form = ActivityForm()
    form.earliest = services.earliest_day(champion)
    part = OutcomesPart(outcomes.offered_kinds(), with_did=False)
    if request.method == "GET":
        form.borough_code.data = champion.borough_code
        form.people_reached.data = 1
    if _valid_with_outcomes(form, part) and _saved(part, services.log_activity, champion, form.data, part.chosen):
        db.session.commit()
        flash("Your activity has been logged. Thank you.", "success")
        return redirect(url_for("activities.activity_list"))
    return _form_page(form, part)


@bp.route("/me/activities/<int:activity_id>/edit", methods=["GET", "POST"])
def activity_edit(activity_id: int):
    activity = _mine_or_404(activity_id)
    ensure_taking_part(current_user.champion, "change an activity")
    form = ActivityForm(obj=activity)
    form.earliest = services.earliest_day(current_user.champion)
    part = OutcomesPart(outcomes.offered_kinds(activity), with_did=True)
    if request.method == "GET":
        part.show(outcomes.recorded(activity))
    if _valid_with_outcomes(form, part) and _saved(
        part, services.update_activity, current_user.champion, activity, form.data, part.chosen
    ):
        db.session.commit()
        flash("Your activity has been updated.", "success")
        return redirect(url_for("activities.activity_list"))
    return _form_page(form, part, activity)


@bp.route("/me/activities/<int:activity_id>/delete", methods=["GET", "POST"])
def activity_delete(activity_id: int):
    """Asks first; once deleted, the list offers "Undo" for a while."""
    activity = _mine_or_404(activity_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        kept = services.delete_activity(current_user.champion, activity)
        db.session.commit()
        session["deleted_activity"] = kept.id
        return redirect(url_for("activities.activity_list"))
    labels = {"type": TYPE_LABELS[activity.type], "topic": dict(TOPICS)[activity.topic_code]}
    return render_template("activities/delete.html", activity=activity, form=form, labels=labels)


@bp.post("/me/activities/deleted/<int:deleted_id>/restore")
def activity_restore(deleted_id: int):
    if ConfirmForm().validate_on_submit():
        kept = services.own_deleted(current_user.champion, deleted_id)
        if kept is None:
            flash(f"It is too late to undo that: a deleted activity can be put back for {UNDO_MINUTES} minutes", "info")
        else:
            services.restore_activity(current_user.champion, kept)
            db.session.commit()
            flash("The activity has been put back.", "success")
    return redirect(url_for("activities.activity_list"))
