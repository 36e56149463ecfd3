"""Funders' pages: their funds and each fund's dashboard and spreadsheets. Staff see every fund, a funder their own."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from champions.core.celery import enqueue
from champions.core.db import now_utc
from champions.core.downloads import csv_response
from champions.core.forms import MAX_INT
from champions.core.models import DashboardSnapshot
from champions.core.snapshots import latest_snapshot
from champions.core.work import progress_answer
from champions.extensions import db
from champions.grants import bp
from champions.grants.dashboard import snapshot_kind
from champions.grants.models import Fund
from champions.grants.services.funders import export_fund_table, fund_tables, funds_visible_to
from champions.grants.tasks import compute_funder_snapshot


def _visible_funds():
    return funds_visible_to(current_user)


def _visible_fund(fund_id: int) -> Fund:
    # The same answer for a fund that does not exist and one that is not theirs.
    return db.first_or_404(_visible_funds().where(Fund.id == fund_id))


@bp.get("/grants/funder")
def funder_home():
    return render_template("grants/funder_home.html", funds=list(db.session.scalars(_visible_funds())))


def _snapshot_id(value) -> int:
    """The id of the snapshot a recompute was asked after (0: there was none)."""
    number = int(value)
    if not 0 <= number <= MAX_INT:
        raise ValueError("Not a snapshot")
    return number


def _recomputing(snapshot: DashboardSnapshot | None) -> int | None:
    """The snapshot a recompute was asked after, while no newer one has been computed; None otherwise."""
    after = request.args.get("after", type=_snapshot_id)
    if after is None or (snapshot is not None and snapshot.id > after):
        return None
    return after


@bp.get("/grants/funder/funds/<int:fund_id>")
def funder_dashboard(fund_id: int):
    fund = _visible_fund(fund_id)
    snapshot, tables = fund_tables(fund)
    return render_template(
        "grants/funder_dashboard.html",
        fund=fund,
        snapshot=snapshot,
        tables=tables,
        now=now_utc(),
        recomputing_after=_recomputing(snapshot),
    )


@bp.get("/grants/funder/funds/<int:fund_id>/recompute/status")
def funder_recompute_status(fund_id: int):
    """Whether figures newer than ``after`` have been computed (js/progress.js polls this)."""
    fund = _visible_fund(fund_id)
    waiting = _recomputing(latest_snapshot(snapshot_kind(fund.id)))
    finished = waiting is None
    return progress_answer(
        int(finished),
        1,
        finished,
        "Finished: the new figures are ready" if finished else "Waiting for the figures to be computed",
        result_url=url_for("grants.funder_dashboard", fund_id=fund.id),
        result_text="Show the new figures",
    )


@bp.get("/grants/funder/funds/<int:fund_id>/<table>.csv")
def funder_csv(fund_id: int, table: str):
    fund = _visible_fund(fund_id)
    exported = export_fund_table(fund, table)
    if exported is None:
        abort(404)
    db.session.commit()
    return csv_response(f"fund-{fund.id}-{table}.csv", exported["headers"], exported["rows"])


@bp.post("/grants/funder/funds/<int:fund_id>/recompute")
def funder_recompute(fund_id: int):
    fund = db.get_or_404(Fund, fund_id)
    latest = latest_snapshot(snapshot_kind(fund.id))
    enqueue(compute_funder_snapshot, fund.id)
    db.session.commit()
    flash("The figures are being recomputed.", "success")
    return redirect(url_for("grants.funder_dashboard", fund_id=fund.id, after=latest.id if latest else 0))
