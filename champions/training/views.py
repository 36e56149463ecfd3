from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from champions.core.features import values_from
from champions.extensions import db
from champions.training import bp, services, signals
from champions.training.forms import CompleteForm, PledgeForm
from champions.training.models import TrainingResource
from champions.training.onboarding import progress


@bp.get("/me/training")
def catalogue():
    champion = current_user.champion
    resources = services.live_resources()
    done = services.completions(champion)
    sections = values_from(signals.catalogue_sections, champion)
    return render_template(
        "training/catalogue.html", resources=resources, done=done, progress=progress(champion), sections=sections
    )


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


REPLACED = "The pledge changed while you were reading it. Read the current words below, then tick the box again"


@bp.route("/me/pledge", methods=["GET", "POST"])
def pledge():
    champion = current_user.champion
    current = services.current_pledge()
    if current is None:
        abort(404)
    accepted = services.accepted(champion, current)
    form = PledgeForm(data={"pledge_id": str(current.id)})
    status = 200
    if not accepted and form.is_submitted():
        if form.pledge_id.data != str(current.id):
            # They read another version (or sent no version): nothing is accepted; the page shows the current words.
            form.agree.errors, form.agree.data, form.pledge_id.data, status = [REPLACED], False, str(current.id), 409
        elif form.validate():
            services.accept_pledge(champion, current)
            db.session.commit()
            flash("Thank you for making the champion pledge.", "success")
            return redirect(url_for("roster.champion_home"))
        else:
            status = 400
    update = services.pledge_update(champion)
    return render_template("training/pledge.html", pledge=current, accepted=accepted, update=update, form=form), status
