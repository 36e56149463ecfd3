"""Staff: what workshops produced. A workshop's co-design outputs and report, and the engagement figures."""

from __future__ import annotations

from datetime import date, timedelta

from flask import abort, flash, redirect, render_template, request, url_for

from champions.core.db import now_utc
from champions.core.downloads import csv_response
from champions.core.forms import parse_day, search_text
from champions.core.places import borough_choices
from champions.core.templating import UK
from champions.extensions import db
from champions.workshops import bp
from champions.workshops.figures import FIGURE_LABELS, FIGURE_ORDER, engagement_figures
from champions.workshops.forms import OutputsForm
from champions.workshops.models import OUTPUT_FIELDS, WORKSHOP_TYPE_LABELS, Workshop
from champions.workshops.services import attendance_summary, save_outputs


@bp.route("/staff/workshops/<int:workshop_id>/outputs", methods=["GET", "POST"])
def workshop_outputs(workshop_id: int):
    workshop = db.get_or_404(Workshop, workshop_id)
    form = OutputsForm(obj=workshop if request.method == "GET" else None)
    if form.validate_on_submit():
        save_outputs(workshop, **{name: getattr(form, name).data for name, _ in OUTPUT_FIELDS})
        db.session.commit()
        flash("The system map and action plan were saved.", "success")
        return redirect(url_for("workshops.workshop_detail", workshop_id=workshop.id) + "#outputs")
    return render_template("workshops/outputs.html", form=form, workshop=workshop, outputs=OUTPUT_FIELDS)


@bp.get("/staff/workshops/<int:workshop_id>/report")
def workshop_report(workshop_id: int):
    workshop = db.get_or_404(Workshop, workshop_id)
    return render_template(
        "workshops/report.html", workshop=workshop, summary=attendance_summary(workshop), outputs=OUTPUT_FIELDS
    )


# ---- Engagement figures ------------------------------------------------------------------------


def _period() -> tuple[date, date, str | None, str | None]:
    today = now_utc().astimezone(UK).date()
    try:
        end = parse_day(request.args.get("to")) or today
        start = parse_day(request.args.get("from")) or end - timedelta(days=364)
    except ValueError:
        abort(400)
    if start > end:
        start, end = end, start
    kind = request.args.get("type") or None
    if kind and kind not in WORKSHOP_TYPE_LABELS:
        abort(400)
    return start, end, search_text(request.args.get("borough"), 40) or None, kind


@bp.get("/staff/engagement")
def engagement():
    start, end, borough, kind = _period()
    figures = engagement_figures(start, end, borough, workshop_type=kind)
    return render_template(
        "workshops/engagement.html",
        figures=figures,
        order=FIGURE_ORDER,
        labels=FIGURE_LABELS,
        boroughs=borough_choices(),
        borough=borough,
        kind=kind,
        types=WORKSHOP_TYPE_LABELS,
    )


@bp.get("/staff/engagement.csv")
def engagement_export():
    start, end, borough, kind = _period()
    figures = engagement_figures(start, end, borough, workshop_type=kind)
    header = ["borough", "from", "to", *FIGURE_ORDER]
    rows = [
        [row.borough_name, start.isoformat(), end.isoformat(), *(row.figures[k] for k in FIGURE_ORDER)]
        for row in [*figures.rows, figures.total]
    ]
    return csv_response(f"engagement-{start}-to-{end}.csv", header, rows)
