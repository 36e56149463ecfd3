"""``/api/v1/figures``: the programme's figures from the newest dashboard snapshot (staff), and a fund's figures
from its newest funder snapshot (staff, and the fund's funders), each with the time it was computed.

Nothing is computed here: the figures are those the dashboards show, as the background job last computed them. A
fund's figures are the funder dashboard's tables, with its small-number protection (``grants.dashboard``): a funder
never gets the snapshot's raw counts."""

from __future__ import annotations

import marshmallow as ma
from flask_login import current_user

from champions.api.base import ApiError, Schema, UtcDateTime, resource_blueprint
from champions.core.snapshots import latest_snapshot
from champions.dashboards.services import PROGRAMME
from champions.extensions import db
from champions.grants.models import Fund
from champions.grants.services.funders import fund_tables, funds_visible_to

blp = resource_blueprint("figures", "Programme figures (staff) and a fund's figures (staff and its funders).")


class ProgrammeFiguresSchema(Schema):
    computed_at = UtcDateTime(required=True)
    figures = ma.fields.Dict(
        keys=ma.fields.String(),
        required=True,
        metadata={
            "description": "headline, trajectory, funnel, cohorts, engagement, boroughs, topics, activity, "
            "network, nudges and as_of, as the programme dashboard shows them"
        },
    )


class TableSchema(Schema):
    title = ma.fields.String(required=True)
    headers = ma.fields.List(ma.fields.String(), required=True)
    rows = ma.fields.List(ma.fields.List(ma.fields.Raw()), required=True)
    total = ma.fields.List(ma.fields.Raw(), allow_none=True)
    note = ma.fields.String(allow_none=True, metadata={"description": "why a table is not shown, when it is not"})


class FundFiguresSchema(Schema):
    fund_id = ma.fields.Integer(required=True)
    fund_name = ma.fields.String(required=True)
    computed_at = UtcDateTime(required=True)
    tables = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Nested(TableSchema), required=True)


@blp.route("", methods=["GET"])
@blp.response(200, ProgrammeFiguresSchema)
@blp.alt_response(404, schema="Problem", description="No snapshot has been computed yet")
def programme_figures():
    """The programme's figures, from the newest snapshot, and when it was computed."""
    snapshot = latest_snapshot(PROGRAMME)
    if snapshot is None:
        raise ApiError(404, "The programme's figures have not been computed yet; try again in a few minutes.")
    return {"computed_at": snapshot.computed_at, "figures": snapshot.data}


@blp.route("/funds/<int:fund_id>", methods=["GET"])
@blp.response(200, FundFiguresSchema)
@blp.alt_response(404, schema="Problem", description="No such fund of yours, or no snapshot of it yet")
def fund_figures(fund_id: int):
    """A fund's figures, as its funder dashboard shows them, from its newest snapshot (a funder: their funds')."""
    fund = db.session.scalar(funds_visible_to(current_user).where(Fund.id == fund_id))
    if fund is None:
        raise ApiError(404, "No fund you can see has this id.")
    snapshot, tables = fund_tables(fund)
    if snapshot is None:
        raise ApiError(404, "This fund's figures have not been computed yet; try again in a few minutes.")
    return {"fund_id": fund.id, "fund_name": fund.name, "computed_at": snapshot.computed_at, "tables": tables}
