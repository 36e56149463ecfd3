from __future__ import annotations

from functools import lru_cache

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from champions.core.celery import enqueue
from champions.core.db import now_utc
from champions.core.downloads import csv_download, dict_csv_text
from champions.core.forms import db_id
from champions.core.snapshots import latest_snapshot, latest_snapshot_info, snapshot_data
from champions.core.work import progress_answer
from champions.dashboards import bp
from champions.dashboards.figures.growth import weekly_rows
from champions.dashboards.forms import SettingsForm
from champions.dashboards.models import DashboardJob
from champions.dashboards.sections import BY_SLUG, SECTIONS
from champions.dashboards.services import PROGRAMME
from champions.dashboards.settings import FIELDS, change_settings, current_settings
from champions.dashboards.tasks import compute_programme_snapshot
from champions.extensions import db


def _figures_html(info, template: str = "dashboards/_figures.html") -> Markup:
    return _rendered(info.id, info.computed_at.isoformat(), template)


# Snapshots never change once written, so each one's figures are rendered once per process.
# Keyed by id and time: an id alone could come back after rows were deleted.
@lru_cache(maxsize=4 * (len(SECTIONS) + 1))
def _rendered(snapshot_id: int, computed_at: str, template: str) -> Markup:
    return Markup(render_template(template, d=snapshot_data(snapshot_id)))


@bp.get("/staff")
def staff_home():
    job_id = request.args.get("job", type=db_id)
    job = db.session.get(DashboardJob, job_id) if job_id else None
    info = latest_snapshot_info(PROGRAMME)
    return render_template(
        "dashboards/staff_home.html",
        snapshot=info,
        now=now_utc(),
        job=job,
        job_text=job_text,
        figures_html=_figures_html(info) if info else None,
    )


@bp.get("/staff/dashboard/<section>")
def section(section: str):
    shown = BY_SLUG.get(section)
    if shown is None:
        abort(404)
    info = latest_snapshot_info(PROGRAMME)
    return render_template(
        "dashboards/section.html",
        section=shown,
        snapshot=info,
        now=now_utc(),
        figures_html=_figures_html(info, shown.template) if info else None,
    )


@bp.post("/staff/recompute")
def recompute():
    job = DashboardJob(requested_by_id=current_user.id)
    db.session.add(job)
    db.session.flush()
    enqueue(compute_programme_snapshot, job.id)
    db.session.commit()
    flash("The figures are being recomputed.", "success")
    return redirect(url_for("dashboards.staff_home", job=job.id))


@bp.get("/staff/dashboard/jobs/<int:job_id>")
def job_status(job_id: int):
    job = db.get_or_404(DashboardJob, job_id)
    finished = job.finished_at is not None
    return progress_answer(
        job.done_steps,
        job.total_steps,
        finished,
        job.error or job_text(job),
        result_url=url_for("dashboards.staff_home") if finished and not job.error else None,
        result_text="Show the new figures",
        error=job.error,
    )


def job_text(job: DashboardJob) -> str:
    """How far a recompute has got, in words (the page and js/progress.js show it)."""
    if job.finished_at is not None:
        return "Finished: the new figures are ready"
    if not job.done_steps:
        return "Waiting for the background worker to start"
    return f"{job.done_steps} of {job.total_steps} parts done"


def _rows(data: dict, table: str) -> list[dict]:
    if table == "trajectory":
        return weekly_rows(data["trajectory"])
    if table == "projection":
        return data["trajectory"].get("projection", [])
    if table == "funnel":
        return data["funnel"]["steps"]
    if table == "recruiters":
        return data["network"]["top_recruiters"]
    if table in OUTCOME_TABLES:
        # A snapshot from before outcomes were computed has none: its tables are empty.
        outcomes = data.get("outcomes", {})
        return (
            outcomes.get("path", {}).get("steps", [])
            if table == "outcome_path"
            else outcomes.get(OUTCOME_TABLES[table], [])
        )
    return {
        "cohorts": data["cohorts"],
        "boroughs": data["boroughs"],
        "topics": data["topics"],
        "nudges": data["nudges"],
    }[table]


OUTCOME_TABLES = {
    "outcome_kinds": "by_kind",
    "outcome_topics": "by_topic",
    "outcome_types": "by_type",
    "outcome_boroughs": "by_borough",
    "outcome_months": "by_month",
    "outcome_path": "path",
}
CSV_TABLES = (
    "trajectory",
    "projection",
    "funnel",
    "cohorts",
    "boroughs",
    "topics",
    "recruiters",
    "nudges",
    *OUTCOME_TABLES,
)


@bp.get("/staff/dashboard/<table>.csv")
def table_csv(table: str):
    snapshot = latest_snapshot(PROGRAMME)
    if table not in CSV_TABLES or snapshot is None:
        abort(404)
    stamp = snapshot.computed_at.strftime("%Y-%m-%d-%H%M")
    return csv_download(dict_csv_text(_rows(snapshot.data, table)), f"champions-{table}-{stamp}.csv")


@bp.route("/admin/settings", methods=["GET", "POST"])
def programme_settings():
    current = current_settings()
    form = SettingsForm(obj=current)
    if form.validate_on_submit():
        change_settings(current, **{name: form[name].data for name in FIELDS})
        db.session.commit()
        flash("The programme settings have been saved. The dashboard shows them from its next computation.", "success")
        return redirect(url_for("dashboards.programme_settings"))
    return render_template("dashboards/settings.html", form=form), 200 if not form.errors else 400
