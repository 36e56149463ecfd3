"""Staff: one action on many champions chosen on the roster, in three steps (what to do, confirm the count, done)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from champions.core.forms import ConfirmForm
from champions.extensions import db
from champions.profiles.models import Champion
from champions.roster import bp, bulk, staff_services
from champions.roster.bulk_forms import FORMS, BulkForm, BulkOwnerForm, BulkStageForm, BulkTagForm, BulkWorkshopForm
from champions.roster.models import Tag


def _plan(action: str, selection: bulk.Selection, form: BulkForm) -> bulk.Plan:
    if isinstance(form, BulkStageForm):
        return bulk.plan_stage(selection, form.new_stage.data, form.reason.data)
    if isinstance(form, BulkTagForm):
        return bulk.plan_tag(selection, form.tag_name.data)
    if isinstance(form, BulkOwnerForm):
        return bulk.plan_owner(selection, form.owner.data)
    assert isinstance(form, BulkWorkshopForm)
    return bulk.plan_workshop(selection, form.workshop.data, form.when_full.data, lock=bool(form.checked.data))


def _form(action: str) -> BulkForm | None:
    if action not in FORMS:
        return None
    form = FORMS[action](formdata=None) if request.method == "GET" else FORMS[action]()
    if isinstance(form, BulkWorkshopForm):
        form.workshop.choices = bulk.workshop_choices()
    return form


def _values():
    """The step's own fields: the query string of the first (GET) step, the form of the others."""
    return request.form if request.method == "POST" else request.args


def _page(status: int = 200, **context):
    values = _values()
    context.setdefault("action", values.get("action", ""))
    return render_template(
        "roster/staff/bulk.html",
        actions=bulk.ACTIONS,
        back=url_for("roster.staff_roster", **staff_services.parse_filters(values).as_args()),
        tags=[name for _, name in staff_services.tag_choices()] if context["action"] == "tag" else [],
        **context,
    ), status


@bp.route("/staff/champions/bulk", methods=["GET", "POST"])
def staff_bulk():
    """GET: the action's details for the selection; POST: check them and show the count to confirm, or, with the
    confirmed plan's fingerprint, apply it and go back to the list with a count of what changed."""
    refused = 400 if request.method == "POST" else 200
    try:
        selection = bulk.select_from(_values())
    except bulk.BulkRefused as problem:
        return _page(400, problem=str(problem))
    action = _values().get("action", "")
    form = _form(action)
    if form is None:
        return _page(refused, selection=selection, choose=True)
    if request.method == "GET" or not form.validate_on_submit():
        return _page(200 if request.method == "GET" else 400, selection=selection, form=form)
    try:
        plan = bulk.run(_plan(action, selection, form), form.checked.data, current_user.id)
    except bulk.BulkRefused as problem:
        db.session.rollback()
        return _page(400, selection=selection, form=form, problem=str(problem))
    if plan.applied:
        db.session.commit()
        flash(plan.done, "success")
        return redirect(
            url_for("roster.staff_roster", **staff_services.parse_filters(request.form).as_args()) + "#matches"
        )
    stale = bool(form.checked.data) and bool(plan.changing)
    db.session.rollback()  # a plan read records and may have locked a workshop: nothing to keep
    return _page(409 if stale else 200, selection=selection, form=form, plan=plan, stale=stale)


@bp.post("/staff/champions/<int:champion_id>/tags/<int:tag_id>/remove")
def staff_remove_tag(champion_id: int, tag_id: int):
    champion = db.get_or_404(Champion, champion_id)
    tag = db.get_or_404(Tag, tag_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    removed = bulk.remove_tag(champion, tag, current_user.id)
    db.session.commit()
    flash(f"Tag “{tag.name}” removed." if removed else f"{champion.full_name} did not have that tag.", "success")
    return redirect(url_for("roster.staff_champion", champion_id=champion.id) + "#tags")
