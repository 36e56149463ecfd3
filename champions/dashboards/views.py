from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from champions.core.celery import enqueue
from champions.core.db import now_utc
from champions.dashboards import bp
from champions.dashboards.services import latest_snapshot
from champions.dashboards.tasks import compute_programme_snapshot
from champions.extensions import db
from champions.roster.models import Stage


@bp.get("/staff")
def staff_home():
    snapshot = latest_snapshot()
    return render_template("dashboards/staff_home.html", snapshot=snapshot, stages=list(Stage), now=now_utc())


@bp.post("/staff/recompute")
def recompute():
    enqueue(compute_programme_snapshot)
    db.session.commit()
    flash("The figures are being recomputed. Refresh this page in a moment to see them.", "success")
    return redirect(url_for("dashboards.staff_home"))
