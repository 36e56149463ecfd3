"""The funder dashboard: figures for one fund computed into a snapshot, and the tables funders see.

The tables by borough, theme and award size go through core.disclosure on the way out (small numbers can identify
a group): nothing until 10 applications or grants, counts from 1 to 4 "fewer than 5", the money of fewer than 5
grants hidden, and more cells "not shown" where a total would give a hidden one away. The snapshot keeps the true
figures.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Row, Select, case, func, select

from champions.core import disclosure
from champions.core.clock import today_uk
from champions.core.db import now_utc
from champions.core.models import Borough, DashboardSnapshot
from champions.extensions import db
from champions.grants.models import Application, GrantReport, Payment, Round, Status, application_boroughs
from champions.grants.services.lifecycle import AWARDED, pounds

# Award sizes in pence: (label, lower bound inclusive, upper bound exclusive)
AWARD_BANDS = [
    ("Under £500", 0, 50_000),
    ("£500 to £999", 50_000, 100_000),
    ("£1,000 to £1,499", 100_000, 150_000),
    ("£1,500 to £1,999", 150_000, 200_000),
    ("£2,000 or more", 200_000, None),
]
RECEIVED_EXCLUDES = [Status.DRAFT.value]


def snapshot_kind(fund_id: int) -> str:
    return f"funder_fund:{fund_id}"


def _total(statement: Select[Any]) -> int:
    # A sum with no GROUP BY returns exactly one row, and coalesce makes the sum of no rows 0.
    return db.session.execute(statement).scalar_one()


def _money(fund_id: int) -> dict[str, int]:
    budget = _total(select(func.coalesce(func.sum(Round.budget_pence), 0)).where(Round.fund_id == fund_id))
    awarded = _total(
        select(func.coalesce(func.sum(Application.award_pence), 0)).join(Round).where(Round.fund_id == fund_id, AWARDED)
    )
    paid = _total(
        select(func.coalesce(func.sum(Payment.amount_pence), 0))
        .join(Application)
        .join(Round)
        .where(Round.fund_id == fund_id, Payment.paid_on.is_not(None))
    )
    return {"budget": budget, "awarded": awarded, "paid": paid, "remaining": budget - awarded}


def _counts(fund_id: int) -> dict[str, int]:
    row = db.session.execute(
        select(
            func.count().filter(Application.status.not_in(RECEIVED_EXCLUDES)),
            func.count().filter(AWARDED),
            func.count().filter(Application.status == Status.DECLINED.value),
        )
        .join(Round)
        .where(Round.fund_id == fund_id)
    ).one()
    return {"received": row[0], "approved": row[1], "declined": row[2]}


def _award_bands(fund_id: int) -> list[dict[str, Any]]:
    query = select(Application.award_pence).join(Round).where(Round.fund_id == fund_id, AWARDED)
    # AWARDED already leaves out applications with no award amount; the check says so to the type checker.
    awards = [a for a in db.session.scalars(query) if a is not None]
    return [
        {"band": label, "grants": sum(1 for a in awards if a >= low and (high is None or a < high))}
        for label, low, high in AWARD_BANDS
    ]


def _by(fund_id: int, key, join_boroughs: bool) -> Sequence[Row[*tuple[Any, ...]]]:
    query = select(
        key,
        func.count().filter(Application.status.not_in(RECEIVED_EXCLUDES)),
        func.count().filter(AWARDED),
        func.coalesce(func.sum(case((AWARDED, Application.award_pence))), 0),
    ).join(Round, Round.id == Application.round_id)
    if join_boroughs:
        query = query.join(application_boroughs, application_boroughs.c.application_id == Application.id).join(
            Borough, Borough.code == application_boroughs.c.borough_code
        )
    return db.session.execute(query.where(Round.fund_id == fund_id).group_by(key).order_by(key)).all()


def _rounds(fund_id: int) -> list[dict[str, Any]]:
    awarded = func.coalesce(func.sum(case((AWARDED, Application.award_pence))), 0)
    rows = db.session.execute(
        select(
            Round.id,
            Round.name,
            Round.budget_pence,
            awarded,
            func.count(Application.id).filter(Application.status.not_in(RECEIVED_EXCLUDES)),
        )
        .outerjoin(Application, Application.round_id == Round.id)
        .where(Round.fund_id == fund_id)
        .group_by(Round.id, Round.name, Round.budget_pence)
        .order_by(Round.opens_at)
    ).all()
    paid = dict(
        db.session.execute(
            select(Application.round_id, func.sum(Payment.amount_pence))
            .join(Payment, Payment.application_id == Application.id)
            .join(Round)
            .where(Round.fund_id == fund_id, Payment.paid_on.is_not(None))
            .group_by(Application.round_id)
        ).all()
    )
    return [{"name": n, "budget": b, "awarded": a, "paid": paid.get(i, 0), "received": r} for i, n, b, a, r in rows]


def _outcomes(fund_id: int) -> dict[str, Any]:
    reports, people, recruited = db.session.execute(
        select(
            func.count(GrantReport.id),
            func.coalesce(func.sum(GrantReport.people_reached), 0),
            func.coalesce(func.sum(GrantReport.champions_recruited), 0),
        )
        .join(Application, Application.id == GrantReport.application_id)
        .join(Round)
        .where(Round.fund_id == fund_id)
    ).one()
    # Cost per outcome uses what was paid to the groups that reported, so the two sides match.
    paid_to_reporters = _total(
        select(func.coalesce(func.sum(Payment.amount_pence), 0))
        .join(Application, Application.id == Payment.application_id)
        .join(GrantReport, GrantReport.application_id == Application.id)
        .join(Round)
        .where(Round.fund_id == fund_id, Payment.paid_on.is_not(None))
    )
    return {
        "reports": reports,
        "people_reached": people,
        "champions_recruited": recruited,
        "paid_to_reporters": paid_to_reporters,
        "cost_per_champion": round(paid_to_reporters / recruited) if recruited else None,
        "cost_per_person": round(paid_to_reporters / people) if people else None,
    }


def _overdue(fund_id: int, today: date) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(Application.id, Application.report_due_on)
        .join(Round)
        .where(
            Round.fund_id == fund_id,
            Application.report_due_on < today,
            Application.status.in_([Status.APPROVED.value, Status.PAID_PART.value, Status.PAID_FULL.value]),
        )
        .order_by(Application.report_due_on)
    ).all()
    # Comparing with today leaves out applications with no due date; the check says so to the type checker.
    return [{"application_id": i, "due_on": d.isoformat()} for i, d in rows if d is not None]


def fund_figures(fund_id: int, today: date | None = None) -> dict[str, Any]:
    today = today or today_uk()
    money = _money(fund_id)
    return {
        "money": money,
        "counts": _counts(fund_id),
        "rounds": _rounds(fund_id),
        "award_bands": _award_bands(fund_id),
        "by_borough": [
            {"name": n, "received": r, "approved": a, "awarded": p}
            for n, r, a, p in _by(fund_id, Borough.name, join_boroughs=True)
        ],
        "by_theme": [
            {"name": n or "No theme", "received": r, "approved": a, "awarded": p}
            for n, r, a, p in _by(fund_id, Application.theme, join_boroughs=False)
        ],
        "outcomes": _outcomes(fund_id),
        "overdue": _overdue(fund_id, today),
    }


def compute_fund_snapshot(fund_id: int) -> DashboardSnapshot:
    started = time.perf_counter()
    data = fund_figures(fund_id)
    snapshot = DashboardSnapshot(
        kind=snapshot_kind(fund_id),
        data=data,
        computed_at=now_utc(),
        duration_ms=round(1000 * (time.perf_counter() - started)),
    )
    db.session.add(snapshot)
    db.session.flush()
    return snapshot


# ---- the tables funders see (HTML and CSV alike) -----------------------------------------------


def _column(table: disclosure.Table) -> list[str]:
    return [table.label((i, 0)) for i in range(len(table.cells))]


def _withheld(headers: list[str], what: str) -> dict[str, Any]:
    return {"headers": headers, "rows": [], "note": f"Not shown until at least {disclosure.THRESHOLD} {what}."}


def _area_table(rows: list[dict[str, Any]], first: str, received: int, *, total: bool) -> dict[str, Any]:
    """Applications, grants and money by borough or theme, published through core.disclosure column by column.

    An application may name several boroughs, so the borough columns add up to more than the fund's totals; they
    are protected as if a total were shown all the same. Money is hidden wherever the grant count is.
    """
    headers = [first, "Applications received", "Grants approved", "Amount awarded"]
    if received < disclosure.THRESHOLD or not rows:
        return _withheld(headers, "applications have been received")
    counts = disclosure.protect([[r["received"]] for r in rows], respondents=received)
    grants = disclosure.protect([[r["approved"]] for r in rows], threshold=0)
    money = disclosure.protect_money([[r["awarded"]] for r in rows], grants)
    # Money hidden with its grant count is labelled as the count is; money hidden in its own right is "not shown".
    amounts = [
        pounds(v) if v is not None else grants.label((i, 0)) if (i, 0) in grants.hidden() else disclosure.NOT_SHOWN
        for i, (v,) in enumerate(money.cells)
    ]
    table_rows = [
        [r["name"], *cells] for r, *cells in zip(rows, _column(counts), _column(grants), amounts, strict=True)
    ]
    if total:
        sums = [sum(r[k] for r in rows) for k in ("received", "approved")]
        table_rows.append(["Total", f"{sums[0]:,}", f"{sums[1]:,}", pounds(sum(r["awarded"] for r in rows))])
    return {"headers": headers, "rows": table_rows}


def _award_sizes(bands: list[dict[str, Any]]) -> dict[str, Any]:
    headers = ["Award size", "Grants"]
    approved = sum(b["grants"] for b in bands)
    if approved < disclosure.THRESHOLD:
        return _withheld(headers, "grants have been approved")
    table = disclosure.protect([[b["grants"]] for b in bands])
    rows = [[b["band"], label] for b, label in zip(bands, _column(table), strict=True)]
    return {"headers": headers, "rows": rows, "total": ["Total", f"{approved:,}"]}


def funder_tables(data: dict[str, Any], names: dict[int, str]) -> dict[str, dict[str, Any]]:
    """Every table on the funder dashboard, as display strings, keyed by its CSV name."""
    m, c, o = data["money"], data["counts"], data["outcomes"]
    return {
        "money": {
            "title": "Money",
            "headers": ["Measure", "Amount"],
            "rows": [
                ["Budget", pounds(m["budget"])],
                ["Awarded", pounds(m["awarded"])],
                ["Paid", pounds(m["paid"])],
                ["Remaining to award", pounds(m["remaining"])],
            ],
        },
        "rounds": {
            "title": "By round",
            "headers": ["Round", "Applications received", "Budget", "Awarded", "Paid", "Remaining to award"],
            "rows": [
                [
                    r["name"],
                    f"{r['received']:,}",
                    pounds(r["budget"]),
                    pounds(r["awarded"]),
                    pounds(r["paid"]),
                    pounds(r["budget"] - r["awarded"]),
                ]
                for r in data.get("rounds", [])
            ],
        },
        "applications": {
            "title": "Applications",
            "headers": ["Measure", "Applications"],
            "rows": [
                ["Received", f"{c['received']:,}"],
                ["Approved", f"{c['approved']:,}"],
                ["Declined", f"{c['declined']:,}"],
            ],
        },
        "award_sizes": {"title": "Spread of award sizes", **_award_sizes(data["award_bands"])},
        "boroughs": {"title": "By borough", **_area_table(data["by_borough"], "Borough", c["received"], total=False)},
        "themes": {"title": "By theme", **_area_table(data["by_theme"], "Theme", c["received"], total=True)},
        "outcomes": {
            "title": "Outcomes reported by grantees",
            "headers": ["Measure", "Figure"],
            "rows": [
                ["End-of-grant reports received", f"{o['reports']:,}"],
                ["People reached", f"{o['people_reached']:,}"],
                ["Champions recruited", f"{o['champions_recruited']:,}"],
                ["Cost per champion recruited", pounds(o["cost_per_champion"]) or "not yet known"],
                ["Cost per person reached", pounds(o["cost_per_person"]) or "not yet known"],
            ],
        },
        "overdue": {
            "title": "End-of-grant reports overdue",
            "headers": ["Group", "Report was due"],
            "rows": [
                [names.get(r["application_id"], "A group"), date.fromisoformat(r["due_on"]).strftime("%-d %B %Y")]
                for r in data["overdue"]
            ],
        },
    }
