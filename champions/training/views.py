from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from champions.extensions import db
from champions.training import bp, services
from champions.training.forms import CompleteForm, PledgeForm
from champions.training.models import TrainingResource
from champions.training.onboarding import progress


@bp.get("/me/training")
def catalogue():
    champion = current_user.champion
    resources = services.live_resources()
    done = services.completions(champion)
    return render_template("training/catalogue.html", resources=resources, done=done, progress=progress(champion))


@bp.route("/me/training/<int:resource_id>", methods=["GET", "POST"])
def resource(resource_id: int):
    item = db.session.get(TrainingResource, resource_id)
    if item is None or item.retired_at is not None:
        abort(404)
    champion = current_user.champion
    done = services.completions(champion).get(item.id)
    form = CompleteForm(data={"reflection": done.reflection if done else None})
    if form.validate_on_submit():
        services.complete(champion, item, form.reflection.data)
        db.session.commit()
        flash(f"“{item.title}” is marked as complete.", "success")
        return redirect(url_for("training.catalogue"))
    return render_template("training/resource.html", item=item, done=done, form=form), 200 if not form.errors else 400


@bp.route("/me/pledge", methods=["GET", "POST"])
def pledge():
    champion = current_user.champion
    current = services.current_pledge()
    if current is None:
        abort(404)
    accepted = services.accepted(champion, current)
    form = PledgeForm()
    if not accepted and form.validate_on_submit():
        services.accept_pledge(champion, current)
        db.session.commit()
        flash("Thank you for making the champion pledge.", "success")
        return redirect(url_for("roster.champion_home"))
    return render_template("training/pledge.html", pledge=current, accepted=accepted, form=form), (
        200 if not form.errors else 400
    )
