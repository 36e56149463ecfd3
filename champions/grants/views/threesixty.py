"""A round's or a fund's awards as 360Giving data (JSON package or flat CSV), for staff and the fund's funders.

Staff may download any fund's or round's; a funder only those of the funds they are linked to (404 otherwise, the
same answer as for one that does not exist). Every download is audited.
"""

from __future__ import annotations

import json

from flask import Response, flash, redirect, url_for
from flask_login import current_user

from champions.core.downloads import csv_response
from champions.core.permissions import Role
from champions.extensions import db
from champions.grants import bp
from champions.grants.models import Fund, Round
from champions.grants.services import threesixty
from champions.grants.services.funders import funds_visible_to

NOTHING_YET = "There are no awarded grants to publish yet: a 360Giving file lists at least one grant."


def _visible_fund(fund_id: int) -> Fund:
    """The fund, if the user may see it (a funder their own funds only); 404 otherwise."""
    return db.first_or_404(funds_visible_to(current_user).where(Fund.id == fund_id))


def _visible_round(round_id: int) -> Round:
    round_ = db.get_or_404(Round, round_id)
    _visible_fund(round_.fund_id)
    return round_


def _nothing_yet(fund_id: int, round_id: int | None = None):
    flash(NOTHING_YET, "warning")
    if round_id is not None and current_user.role != Role.FUNDER:
        return redirect(url_for("grants.round_detail", round_id=round_id))
    return redirect(url_for("grants.funder_dashboard", fund_id=fund_id))


def _json(package: threesixty.Package, filename: str) -> Response:
    return Response(
        json.dumps(package.data, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


def _download(package: threesixty.Package, target: Fund | Round, form: str, filename: str) -> Response:
    threesixty.exported(package, target, form)
    db.session.commit()
    if form == "json":
        return _json(package, f"{filename}.json")
    header, rows = threesixty.flat(package)
    return csv_response(f"{filename}.csv", header, rows)


@bp.get("/grants/360giving/funds/<int:fund_id>/grants.json")
def threesixty_fund_json(fund_id: int):
    return _fund(fund_id, "json")


@bp.get("/grants/360giving/funds/<int:fund_id>/grants.csv")
def threesixty_fund_csv(fund_id: int):
    return _fund(fund_id, "csv")


@bp.get("/grants/360giving/rounds/<int:round_id>/grants.json")
def threesixty_round_json(round_id: int):
    return _round(round_id, "json")


@bp.get("/grants/360giving/rounds/<int:round_id>/grants.csv")
def threesixty_round_csv(round_id: int):
    return _round(round_id, "csv")


def _fund(fund_id: int, form: str):
    fund = _visible_fund(fund_id)
    package = threesixty.fund_package(fund)
    if not package.grants:
        return _nothing_yet(fund.id)
    return _download(package, fund, form, f"360giving-fund-{fund.id}")


def _round(round_id: int, form: str):
    round_ = _visible_round(round_id)
    package = threesixty.round_package(round_)
    if not package.grants:
        return _nothing_yet(round_.fund_id, round_.id)
    return _download(package, round_, form, f"360giving-round-{round_.id}")
