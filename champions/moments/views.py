from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from champions.core.clock import today_uk
from champions.core.models import TOPIC_CHOICES
from champions.extensions import db
from champions.moments import bp
from champions.moments.forms import MomentForm, parse_date
from champions.moments.models import Moment
from champions.moments.services import add_moment, calendar_rows, edit_moment, name_taken


def topic_choices(form: MomentForm) -> None:
    form.topics.choices = list(TOPIC_CHOICES)


@bp.get("/staff/moments")
def moment_list():
    today = today_uk()
    return render_template("moments/list.html", rows=calendar_rows(today), today=today)


def moment_fields(form: MomentForm) -> dict[str, Any]:
    """What ``add_moment`` and ``edit_moment`` take from a valid form."""
    start = parse_date(form.start_date.data)
    return dict(
        topic_codes=form.topics.data,
        name=form.name.data,
        description=form.description.data or None,
        recurrence=form.recurrence.data,
        level=form.level.data,
        start_date=start,
        end_date=parse_date(form.end_date.data) if form.end_date.data else start,
        suggested_actions=form.suggested_actions.data or None,
    )


def _name_taken(form: MomentForm, moment_id: int | None) -> bool:
    if name_taken(form.name.data, moment_id):
        form.name.errors.append("There is already a moment with that name")
        return True
    return False


@bp.route("/staff/moments/new", methods=["GET", "POST"])
def moment_new():
    form = MomentForm()
    topic_choices(form)
    if form.validate_on_submit() and not _name_taken(form, None):
        moment = add_moment(**moment_fields(form))
        db.session.commit()
        flash(f"{moment.name} was added to the calendar.", "success")
        return redirect(url_for("moments.moment_list"))
    return render_template("moments/form.html", form=form, moment=None), 400 if form.errors else 200


@bp.route("/staff/moments/<int:moment_id>/edit", methods=["GET", "POST"])
def moment_edit(moment_id: int):
    moment = db.get_or_404(Moment, moment_id)
    form = MomentForm()
    topic_choices(form)
    if request.method == "GET":
        form.process(
            data={
                "name": moment.name,
                "description": moment.description,
                "recurrence": moment.recurrence,
                "level": moment.level,
                "start_date": moment.start_date.isoformat(),
                "end_date": moment.end_date.isoformat(),
                "topics": [t.code for t in moment.topics],
                "suggested_actions": moment.suggested_actions,
            }
        )
    if form.validate_on_submit() and not _name_taken(form, moment.id):
        edit_moment(moment, **moment_fields(form))
        db.session.commit()
        flash(f"{moment.name} was saved.", "success")
        return redirect(url_for("moments.moment_list"))
    return render_template("moments/form.html", form=form, moment=moment), 400 if form.errors else 200
