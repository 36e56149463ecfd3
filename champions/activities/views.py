from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from champions.activities import bp, services
from champions.activities.forms import ActivityForm
from champions.activities.models import ACTIVITY_TYPE_LABELS, Activity
from champions.core.forms import db_id
from champions.core.models import TOPICS
from champions.core.pagination import keyset_page
from champions.extensions import db


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
    return render_template(
        "activities/list.html",
        page=page,
        totals=services.totals(champion),
        type_labels={t.value: label for t, label in ACTIVITY_TYPE_LABELS.items()},
        topic_labels=dict(TOPICS),
        delete_form=FlaskForm(),
    )


@bp.route("/me/activities/new", methods=["GET", "POST"])
def activity_new():
    champion = current_user.champion
    form = ActivityForm()
    if request.method == "GET":
        form.borough_code.data = champion.borough_code
        form.people_reached.data = 1
    if form.validate_on_submit():
        services.log_activity(champion, form.data)
        db.session.commit()
        flash("Your activity has been logged. Thank you.", "success")
        return redirect(url_for("activities.activity_list"))
    return render_template("activities/form.html", form=form, editing=False), 200 if not form.errors else 400


@bp.route("/me/activities/<int:activity_id>/edit", methods=["GET", "POST"])
def activity_edit(activity_id: int):
    activity = _mine_or_404(activity_id)
    form = ActivityForm(obj=activity)
    if form.validate_on_submit():
        services.update_activity(current_user.champion, activity, form.data)
        db.session.commit()
        flash("Your activity has been updated.", "success")
        return redirect(url_for("activities.activity_list"))
    return render_template("activities/form.html", form=form, editing=True, activity=activity), (
        200 if not form.errors else 400
    )


@bp.post("/me/activities/<int:activity_id>/delete")
def activity_delete(activity_id: int):
    activity = _mine_or_404(activity_id)
    if FlaskForm().validate_on_submit():
        services.delete_activity(current_user.champion, activity)
        db.session.commit()
        flash("The activity has been deleted.", "success")
    return redirect(url_for("activities.activity_list"))
