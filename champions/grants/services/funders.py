"""What a fund's funders see: the tables of its dashboard, read from the newest snapshot, and their export."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from champions.accounts.models import User
from champions.core import audit
from champions.core.models import DashboardSnapshot
from champions.core.permissions import Role
from champions.core.snapshots import latest_snapshot
from champions.grants.dashboard import funder_tables, snapshot_kind
from champions.grants.models import Fund


def funds_visible_to(user: User) -> Select[Fund]:
    """The funds whose figures and grants ``user`` may see: a funder their own funds, staff every fund."""
    query = select(Fund).order_by(Fund.name)
    if user.role == Role.FUNDER:
        query = query.where(Fund.funders.any(User.id == user.id))
    return query


def fund_tables(fund: Fund) -> tuple[DashboardSnapshot | None, dict[str, dict[str, Any]]]:
    """The newest snapshot of the fund's figures and its tables; no tables before the first snapshot."""
    snapshot = latest_snapshot(snapshot_kind(fund.id))
    if snapshot is None:
        return None, {}
    return snapshot, funder_tables(snapshot.data, snapshot.computed_at.date())


def export_fund_table(fund: Fund, table: str) -> dict[str, Any] | None:
    """One table of the fund's dashboard for its spreadsheet, the export audited; None if there is no such table."""
    _, tables = fund_tables(fund)
    if table not in tables:
        return None
    audit.record("grant.funder_export", fund, table=table)
    shown = tables[table]
    # The spreadsheet holds what the page does: the total row, or why the table is not shown.
    extra = [shown["total"]] if shown.get("total") else [[shown["note"]]] if shown.get("note") else []
    return {**shown, "rows": [*shown["rows"], *extra]}
