"""Staff pages for the kinds of outcome champions record (reference data): list, add, change, retire."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from champions.activities import bp, outcome_kinds
from champions.activities.forms import OutcomeKindForm
from champions.activities.models import OutcomeKind
from champions.activities.outcome_kinds import CODE_LENGTH
from champions.core.forms import CONTROL, ConfirmForm
from champions.core.models import TOPIC_CHOICES
from champions.extensions import db

ACTIVITY_TOPIC = "The activity's own topic"


def _kind_or_404(code: str) -> OutcomeKind:
    # A code no kind could have (PostgreSQL refuses a NUL in a query) is simply not found.
    if len(code) > CODE_LENGTH or CONTROL.search(code):
        abort(404)
    return db.get_or_404(OutcomeKind, code)


def _form(kind: OutcomeKind | None = None) -> OutcomeKindForm:
    form = OutcomeKindForm(obj=kind)
    form.topic_code.choices = [("", ACTIVITY_TOPIC), *TOPIC_CHOICES]
    if kind is not None and form.topic_code.data is None:
        form.topic_code.data = ""
    return form


def _name_free(form: OutcomeKindForm, kind: OutcomeKind | None = None) -> bool:
    if outcome_kinds.name_taken(form.name.data, but=kind):
        form.name.errors = [f"There is already an outcome called “{form.name.data}”: choose another name"]
        return False
    return True


@bp.get("/staff/outcomes")
def staff_outcome_kinds():
    return render_template(
        "activities/staff/outcome_kinds.html",
        kinds=outcome_kinds.all_kinds(),
        form=ConfirmForm(formdata=None),
        activity_topic=ACTIVITY_TOPIC,
    )


@bp.route("/staff/outcomes/new", methods=["GET", "POST"])
def staff_outcome_kind_new():
    form = _form()
    if form.validate_on_submit() and _name_free(form):
        kind = outcome_kinds.add_kind(form.name.data, form.topic_code.data or None, form.position.data)
        db.session.commit()
        flash(f"“{kind.name}” added: champions can choose it from now on.", "success")
        return redirect(url_for("activities.staff_outcome_kinds"))
    return render_template("activities/staff/outcome_kind.html", form=form, kind=None), 400 if form.errors else 200


@bp.route("/staff/outcomes/<code>", methods=["GET", "POST"])
def staff_outcome_kind_edit(code: str):
    kind = _kind_or_404(code)
    form = _form(kind)
    if form.validate_on_submit() and _name_free(form, kind):
        position = form.position.data if form.position.data is not None else kind.position
        outcome_kinds.change_kind(kind, form.name.data, form.topic_code.data or None, position)
        db.session.commit()
        flash(f"“{kind.name}” saved.", "success")
        return redirect(url_for("activities.staff_outcome_kinds"))
    return render_template("activities/staff/outcome_kind.html", form=form, kind=kind), 400 if form.errors else 200


@bp.post("/staff/outcomes/<code>/retire")
def staff_outcome_kind_retire(code: str):
    kind = _kind_or_404(code)
    # The button says which way it goes ("1" retire, "0" bring back), so pressing it twice, or on a page left open,
    # never undoes what was just done; a post without it (from an older page) turns the kind over as before.
    choice = request.form.get("retire")
    if not ConfirmForm().validate_on_submit() or choice not in (None, "1", "0"):
        abort(400)
    retire = kind.retired_at is None if choice is None else choice == "1"
    if retire == (kind.retired_at is not None):
        state = "retired" if retire else "offered to champions"
        flash(f"“{kind.name}” is already {state}: nothing changed.", "info")
        return redirect(url_for("activities.staff_outcome_kinds"))
    outcome_kinds.retire_or_restore(kind)
    db.session.commit()
    done = "retired: champions are no longer offered it" if kind.retired_at else "is offered to champions again"
    flash(f"“{kind.name}” {done}.", "success")
    return redirect(url_for("activities.staff_outcome_kinds"))
