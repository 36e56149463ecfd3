"""Staff management of the training catalogue (create, edit, order, retire) and of pledge versions."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from champions.core.forms import ConfirmForm
from champions.core.models import TOPIC_CHOICES
from champions.extensions import db
from champions.training import bp
from champions.training.catalogue import (
    add_resource,
    edit_resource,
    pledge_version_taken,
    publish_pledge,
    retire_or_restore,
)
from champions.training.models import Pledge, TrainingResource
from champions.training.services import current_pledge
from champions.training.staff_forms import PledgeForm, ResourceForm


def _topic_choices() -> list[tuple[str, str]]:
    return [("", "Any topic"), *TOPIC_CHOICES]


def _ordered() -> list[TrainingResource]:
    query = select(TrainingResource).options(selectinload(TrainingResource.topic))
    return list(db.session.scalars(query.order_by(TrainingResource.position, TrainingResource.id)))


@bp.get("/staff/training")
def staff_catalogue():
    pledges = db.session.scalars(select(Pledge).order_by(Pledge.published_at.desc(), Pledge.id.desc()))
    return render_template(
        "training/staff/catalogue.html", resources=_ordered(), pledges=list(pledges), form=ConfirmForm(formdata=None)
    )


def _fields(form: ResourceForm) -> dict[str, object]:
    return {
        "title": form.title.data,
        "summary": form.summary.data,
        "body": form.body.data or None,
        "format": form.format.data,
        "url": form.url.data or None,
        "topic_code": form.topic_code.data or None,
        "minutes": form.minutes.data,
        "is_core": form.is_core.data,
    }


@bp.route("/staff/training/new", methods=["GET", "POST"])
def staff_resource_new():
    form = ResourceForm()
    form.topic_code.choices = _topic_choices()
    if form.validate_on_submit():
        resource = add_resource(**_fields(form))
        db.session.commit()
        flash(f"“{resource.title}” added to the catalogue.", "success")
        return redirect(url_for("training.staff_catalogue"))
    return render_template("training/staff/resource.html", form=form, resource=None), 400 if form.errors else 200


@bp.route("/staff/training/<int:resource_id>", methods=["GET", "POST"])
def staff_resource_edit(resource_id: int):
    resource = db.get_or_404(TrainingResource, resource_id)
    form = ResourceForm(obj=resource)
    form.topic_code.choices = _topic_choices()
    if form.validate_on_submit():
        edit_resource(resource, **_fields(form))
        db.session.commit()
        flash(f"“{resource.title}” saved.", "success")
        return redirect(url_for("training.staff_catalogue"))
    return render_template("training/staff/resource.html", form=form, resource=resource), 400 if form.errors else 200


@bp.post("/staff/training/<int:resource_id>/move")
def staff_resource_move(resource_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    resources = _ordered()
    index = next((i for i, r in enumerate(resources) if r.id == resource_id), None)
    if index is None:
        abort(404)
    other = index - 1 if request.form.get("direction") == "up" else index + 1
    if 0 <= other < len(resources):
        resources[index], resources[other] = resources[other], resources[index]
    for position, resource in enumerate(resources, start=1):
        resource.position = position  # renumber: positions stay 1..n whatever came before
    db.session.commit()
    return redirect(url_for("training.staff_catalogue") + f"#resource-{resource_id}")


@bp.post("/staff/training/<int:resource_id>/retire")
def staff_resource_retire(resource_id: int):
    resource = db.get_or_404(TrainingResource, resource_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    retire_or_restore(resource)
    db.session.commit()
    outcome = "retired: champions no longer see it" if resource.retired_at else "is back in the catalogue"
    flash(f"“{resource.title}” {outcome}.", "success")
    return redirect(url_for("training.staff_catalogue"))


@bp.route("/staff/training/pledge", methods=["GET", "POST"])
def staff_pledge_new():
    form = PledgeForm()
    if form.validate_on_submit():
        if pledge_version_taken(form.version.data):
            form.version.errors.append("That version name is taken: choose another")
        else:
            pledge = publish_pledge(form.version.data, form.text.data, form.summary.data, form.must_accept.data)
            db.session.commit()
            must = (
                " Champions who accepted an earlier version are asked to make the pledge again; nobody's stage changes."
                if pledge.must_accept
                else ""
            )
            flash(f"Pledge version {pledge.version} published. Champions now see this text.{must}", "success")
            return redirect(url_for("training.staff_catalogue"))
    if request.method == "GET":
        latest = current_pledge()
        form.text.data = latest.text if latest else ""
    return render_template("training/staff/pledge.html", form=form), 400 if form.errors else 200
