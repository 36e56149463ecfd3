"""Staff: one owner for many organisations, or many of a round's applications (what to do, confirm, done)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from champions.extensions import db
from champions.followups import bp, bulk
from champions.followups.forms import BulkOwnerForm


def _back(kind: str, selection: bulk.Selection | None) -> str:
    """The list the selection came from, with its filter."""
    filters: dict[str, Any] = dict((selection and selection.filters) or {})
    if kind == "organisation":
        return url_for("organisations.organisation_list", **filters)
    if selection is not None and selection.round is not None:
        return url_for("grants.round_detail", round_id=selection.round.id, **filters)
    return url_for("grants.staff_funds")


def _page(kind: str, status: int = 200, selection: bulk.Selection | None = None, **context):
    page = render_template(
        "followups/bulk_owner.html",
        kind=kind,
        nouns=bulk.NOUNS[kind],
        selection=selection,
        back=_back(kind, selection),
        **context,
    )
    return page, status


@bp.route("/staff/owners/<any(organisation, application):kind>", methods=["GET", "POST"])
def bulk_owner(kind: str):
    """GET: choose the owner for the selection; POST: see how many would change, and, once confirmed, change them."""
    values = request.form if request.method == "POST" else request.args
    try:
        selection = bulk.select_from(kind, values)
    except bulk.BulkOwnerRefused as problem:
        return _page(kind, 400, problem=str(problem))
    form = BulkOwnerForm(formdata=None) if request.method == "GET" else BulkOwnerForm()
    if request.method == "GET" or not form.validate_on_submit():
        return _page(kind, 200 if request.method == "GET" else 400, selection, form=form)
    try:
        plan = bulk.plan(selection, form.owner.data)
        if form.checked.data and form.checked.data == plan.fingerprint and plan.changing:
            changed = bulk.apply(plan, current_user)
            db.session.commit()
            flash(f"Owner changed for {bulk.count(kind, changed)}.", "success")
            return redirect(_back(kind, selection))
    except bulk.BulkOwnerRefused as problem:
        db.session.rollback()
        return _page(kind, 400, selection, form=form, problem=str(problem))
    stale = bool(form.checked.data) and bool(plan.changing)
    db.session.rollback()
    return _page(kind, 409 if stale else 200, selection, form=form, plan=plan, stale=stale)
