"""The funder dashboard: figures for one fund computed into a snapshot, and the tables funders see.

The tables by borough, theme and award size go through core.disclosure on the way out (small numbers can identify
a group): nothing until 10 applications or grants, counts from 1 to 4 "fewer than 5", the money of fewer than 5
grants hidden, and more cells "not shown" where a total would give a hidden one away. The snapshot keeps the true
figures.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, case, func, or_, select

from champions.activities.models import OutcomeKind
from champions.core import disclosure
from champions.core.clock import today_uk
from champions.core.db import now_utc
from champions.core.models import Borough, DashboardSnapshot
from champions.extensions import db
from champions.grants.models import (
    Application,
    GrantReport,
    GrantReportOutcome,
    Payment,
    ReportStatus,
    Round,
    Status,
    application_boroughs,
)
from champions.grants.services.lifecycle import AWARDED, PAID_TRANCHE, pounds

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
    paid, paid_grants = db.session.execute(
        select(func.coalesce(func.sum(Payment.amount_pence), 0), func.count(func.distinct(Payment.application_id)))
        .join(Application)
        .join(Round)
        .where(Round.fund_id == fund_id, PAID_TRANCHE)
    ).one()
    return {
        "budget": budget,
        "awarded": awarded,
        "paid": paid,
        "remaining": budget - awarded,
        "paid_grants": paid_grants,
    }


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
            func.count(Application.id).filter(AWARDED),
        )
        .outerjoin(Application, Application.round_id == Round.id)
        .where(Round.fund_id == fund_id)
        .group_by(Round.id, Round.name, Round.budget_pence)
        .order_by(Round.opens_at)
    ).all()
    paid = {
        round_id: (amount, grants)
        for round_id, amount, grants in db.session.execute(
            select(Application.round_id, func.sum(Payment.amount_pence), func.count(func.distinct(Application.id)))
            .join(Payment, Payment.application_id == Application.id)
            .join(Round)
            .where(Round.fund_id == fund_id, PAID_TRANCHE)
            .group_by(Application.round_id)
        ).all()
    }
    return [
        {
            "name": n,
            "budget": b,
            "awarded": a,
            "paid": paid.get(i, (0, 0))[0],
            "received": r,
            "grants": g,
            "paid_grants": paid.get(i, (0, 0))[1],
        }
        for i, n, b, a, r, g in rows
    ]


def _report_stands() -> ColumnElement[bool]:
    """A report counts towards outcomes unless staff sent it back: its figures are what the group must correct."""
    return or_(Application.report_status.is_(None), Application.report_status != ReportStatus.RETURNED.value)


def _outcomes(fund_id: int) -> dict[str, Any]:
    reports, people, recruited = db.session.execute(
        select(
            func.count(GrantReport.id),
            func.coalesce(func.sum(GrantReport.people_reached), 0),
            func.coalesce(func.sum(GrantReport.champions_recruited), 0),
        )
        .join(Application, Application.id == GrantReport.application_id)
        .join(Round)
        .where(Round.fund_id == fund_id, _report_stands())
    ).one()
    # Cost per outcome uses what was paid to the groups that reported, so the two sides match.
    paid_to_reporters = _total(
        select(func.coalesce(func.sum(Payment.amount_pence), 0))
        .join(Application, Application.id == Payment.application_id)
        .join(GrantReport, GrantReport.application_id == Application.id)
        .join(Round)
        .where(Round.fund_id == fund_id, PAID_TRANCHE, _report_stands())
    )
    by_kind = _reported_outcomes(fund_id)
    signposted = sum(row["signposted"] for row in by_kind)
    return {
        "reports": reports,
        "people_reached": people,
        "champions_recruited": recruited,
        "paid_to_reporters": paid_to_reporters,
        "cost_per_champion": round(paid_to_reporters / recruited) if recruited else None,
        "cost_per_person": round(paid_to_reporters / people) if people else None,
        "signposted": signposted,
        "cost_per_signposted": round(paid_to_reporters / signposted) if signposted else None,
        "by_kind": by_kind,
    }


def _reported_outcomes(fund_id: int) -> list[dict[str, Any]]:
    """The people the reporting groups signposted to each kind of outcome, in the codes champions use; "did act" adds
    up only what groups knew."""
    rows = db.session.execute(
        select(
            OutcomeKind.code,
            OutcomeKind.name,
            func.sum(GrantReportOutcome.signposted),
            func.sum(GrantReportOutcome.said_would_act),
            func.sum(func.coalesce(GrantReportOutcome.did_act, 0)),
        )
        .select_from(GrantReportOutcome)
        .join(OutcomeKind, OutcomeKind.code == GrantReportOutcome.outcome_code)
        .join(GrantReport, GrantReport.id == GrantReportOutcome.report_id)
        .join(Application, Application.id == GrantReport.application_id)
        .join(Round)
        .where(Round.fund_id == fund_id, _report_stands())
        .group_by(OutcomeKind.code, OutcomeKind.name, OutcomeKind.position)
        .order_by(OutcomeKind.position, OutcomeKind.name)
    ).all()
    return [
        {"code": code, "name": name, "signposted": int(s), "said_would_act": int(w), "did_act": int(d)}
        for code, name, s, w, d in rows
    ]


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
    return [
        {"application_id": i, "due_on": d.isoformat(), "days_late": (today - d).days} for i, d in rows if d is not None
    ]


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

# How late an overdue end-of-grant report is, in days: (label, lower bound inclusive, upper bound inclusive)
LATENESS = [("Up to 30 days", 1, 30), ("31 to 90 days", 31, 90), ("More than 90 days", 91, None)]
# The figures that stand for the whole fund, each shown once on the page and added up by the tables beneath it.
COUNT_TOTALS = ("received", "approved", "declined", "overdue")
MONEY_TOTALS = ("awarded", "paid", "remaining")


@dataclass
class _Totals:
    """The fund-wide figures, and those the page hides as small: counts from 1 to 4, and the money of fewer than 5
    grants."""

    values: dict[str, int]
    small: set[str]

    def shown(self, key: str) -> bool:
        return key not in self.small

    def label(self, key: str) -> str:
        if key in self.small:
            return disclosure.FEWER_THAN_SMALL
        value = self.values[key]
        return pounds(value) if key in MONEY_TOTALS else f"{value:,}"


def _small(n: int) -> bool:
    return 0 < n < disclosure.SMALL


def _totals(data: dict[str, Any]) -> _Totals:
    m, c = data["money"], data["counts"]
    # A snapshot from before the count of paid grants was kept hides what was paid.
    paid_grants = m.get("paid_grants", disclosure.SMALL - 1 if m["paid"] else 0)
    overdue = len(data["overdue"])
    values = {**{k: c[k] for k in ("received", "approved", "declined")}, "overdue": overdue}
    values |= {"awarded": m["awarded"], "paid": m["paid"], "remaining": m["remaining"]}
    small = {k for k in COUNT_TOTALS if _small(values[k])}
    if _small(c["approved"]):
        small |= {"awarded", "remaining"}  # the budget is shown, so what remains would give the award away
    if _small(paid_grants):
        small.add("paid")
    return _Totals(values, small)


def _column(values: list[int], key: str, totals: _Totals, *, money_of: list[int] | None = None) -> list[str]:
    """One column of a table whose cells add up to the fund-wide figure ``key``, as the page shows it.

    Counts from 1 to 4 are hidden; for money, ``money_of`` is how many grants each cell adds up, and the money of 1
    to 4 grants is hidden. More cells are hidden wherever the fund-wide figure would give a hidden one away, and a
    column that cannot be shown beside it at all (its cells 1 and 5: the 5 hidden too, both would follow from the 6)
    is not shown whole; the fund-wide figure stays.
    """
    keep_total = totals.shown(key)
    if money_of is None:
        table = disclosure.protect([[v] for v in values], column_totals=keep_total, threshold=0)
    else:
        table = disclosure.protect(
            [[v] for v in values], column_totals=keep_total, threshold=0, floor=1,
            hide=[(i, 0) for i, n in enumerate(money_of) if _small(n)],
            small_bounds=disclosure.ANY_AMOUNT, protecting_bounds=disclosure.ANY_AMOUNT,
        )  # fmt: skip
    if keep_total and table.total is None:
        return [disclosure.NOT_SHOWN] * len(values)
    labels = [table.label((i, 0)) for i in range(len(values))]
    if money_of is None:
        return labels
    return [label if v is None else pounds(v) for label, (v,) in zip(labels, table.cells, strict=True)]


def _withheld(headers: list[str], what: str, least: int = disclosure.THRESHOLD) -> dict[str, Any]:
    return {"headers": headers, "rows": [], "note": f"Not shown until at least {least} {what}."}


def _area_table(rows: list[dict[str, Any]], first: str, totals: _Totals, *, total: bool) -> dict[str, Any]:
    """Applications, grants and money by borough or theme, each column published through core.disclosure.

    Each application has one theme, so the theme columns add up to the fund's figures and are protected against
    them. An application may name several boroughs, so the borough columns add up to more; they are protected as if
    a total were shown all the same. Money is hidden wherever the grant count is.
    """
    headers = [first, "Applications received", "Grants approved", "Amount awarded"]
    if totals.values["received"] < disclosure.THRESHOLD or not rows:
        return _withheld(headers, "applications have been received")
    if total:
        counts = _column([r["received"] for r in rows], "received", totals)
        grants = _column([r["approved"] for r in rows], "approved", totals)
        hidden_grants = [disclosure.SMALL - 1 if label in HIDDEN else disclosure.SMALL for label in grants]
        money = _column([r["awarded"] for r in rows], "awarded", totals, money_of=hidden_grants)
    else:
        count_table = disclosure.protect([[r["received"]] for r in rows], respondents=totals.values["received"])
        grant_table = disclosure.protect([[r["approved"]] for r in rows], threshold=0)
        money_table = disclosure.protect_money([[r["awarded"]] for r in rows], grant_table)
        counts, grants = _labels(count_table), _labels(grant_table)
        money = [
            pounds(v) if v is not None else grants[i] if (i, 0) in grant_table.hidden() else disclosure.NOT_SHOWN
            for i, (v,) in enumerate(money_table.cells)
        ]
    # Money hidden with its grant count is labelled as the count is; money hidden in its own right is "not shown".
    money = [grants[i] if label in HIDDEN and grants[i] in HIDDEN else label for i, label in enumerate(money)]
    table_rows = [[r["name"], *cells] for r, *cells in zip(rows, counts, grants, money, strict=True)]
    if total:
        table_rows.append(["Total", *(totals.label(k) for k in ("received", "approved", "awarded"))])
    return {"headers": headers, "rows": table_rows}


HIDDEN = (disclosure.FEWER_THAN_SMALL, disclosure.NOT_SHOWN)


def _labels(table: disclosure.Table) -> list[str]:
    return [table.label((i, 0)) for i in range(len(table.cells))]


def _award_sizes(bands: list[dict[str, Any]], totals: _Totals) -> dict[str, Any]:
    headers = ["Award size", "Grants"]
    if totals.values["approved"] < disclosure.THRESHOLD:
        return _withheld(headers, "grants have been approved")
    cells = _column([b["grants"] for b in bands], "approved", totals)
    rows = [[b["band"], label] for b, label in zip(bands, cells, strict=True)]
    return {"headers": headers, "rows": rows, "total": ["Total", totals.label("approved")]}


def _rounds_table(rounds: list[dict[str, Any]], totals: _Totals) -> dict[str, Any]:
    """Each round's applications and money, protected against the fund's figures; what remains of a round's budget
    is hidden with what it awarded (the budget is shown, so one would give the other away)."""
    received = _column([r["received"] for r in rounds], "received", totals)
    # A snapshot from before grant counts were kept hides the money of every round that has any.
    grants = [r.get("grants", disclosure.SMALL - 1 if r["awarded"] else 0) for r in rounds]
    paid_grants = [r.get("paid_grants", disclosure.SMALL - 1 if r["paid"] else 0) for r in rounds]
    awarded = _column([r["awarded"] for r in rounds], "awarded", totals, money_of=grants)
    paid = _column([r["paid"] for r in rounds], "paid", totals, money_of=paid_grants)
    remaining = [
        label if label in HIDDEN else pounds(r["budget"] - r["awarded"])
        for r, label in zip(rounds, awarded, strict=True)
    ]
    rows = [
        [r["name"], *cells]
        for r, *cells in zip(
            rounds, received, [pounds(r["budget"]) for r in rounds], awarded, paid, remaining, strict=True
        )
    ]
    return {
        "headers": ["Round", "Applications received", "Budget", "Awarded", "Paid", "Remaining to award"],
        "rows": rows,
    }


OUTCOME_MEASURES = ("signposted", "said_would_act", "did_act")


def _outcome_kinds_table(o: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The people signposted to each kind of outcome, who said they would act and who did, published through
    core.disclosure as one table whose column totals are shown; and the total signposted as the page may show it
    (None where it must not be shown: it would give a hidden cell away, or is itself small)."""
    headers = ["Signposted to", "People signposted", "Said they would act", "Did act (where known)"]
    rows = o.get("by_kind", [])
    if _small(o["reports"]):
        return _withheld(headers, "end-of-grant reports have been received", disclosure.SMALL), None
    if not rows:
        return {"headers": headers, "rows": [], "note": "No group has reported who it signposted yet."}, "0"
    table = disclosure.protect([[r[k] for k in OUTCOME_MEASURES] for r in rows], column_totals=True, threshold=0)
    cells = [[r["name"], *(table.label((i, j)) for j in range(len(OUTCOME_MEASURES)))] for i, r in enumerate(rows)]
    totals = table.column_totals or ()
    shown = [disclosure.NOT_SHOWN if v is None else f"{v:,}" for v in totals]
    return {"headers": headers, "rows": cells, "total": ["Total", *shown]}, shown[0] if totals[0] is not None else None


# What the reports' counts add up to across services: someone pointed to two services is in both.
SIGNPOSTINGS = "Signpostings to a service (someone pointed to two counts twice)"


def _outcomes_table(o: dict[str, Any], signposted: str | None) -> dict[str, Any]:
    headers = ["Measure", "Figure"]
    if _small(o["reports"]):  # what fewer than 5 groups reported, and the cost of it, could be told apart
        return _withheld(headers, "end-of-grant reports have been received", disclosure.SMALL)
    # The cost per signposting is what was paid over the signpostings: shown only beside that number.
    per_signposted = (pounds(o["cost_per_signposted"]) or "not yet known") if signposted else disclosure.NOT_SHOWN
    recruited, per_champion = _count_and_cost(o["champions_recruited"], o["cost_per_champion"])
    reached, per_person = _count_and_cost(o["people_reached"], o["cost_per_person"])
    return {
        "headers": headers,
        "rows": [
            ["End-of-grant reports received", f"{o['reports']:,}"],
            ["People reached", reached],
            ["Champions recruited", recruited],
            [SIGNPOSTINGS, signposted or _hidden_label(o.get("signposted", 0))],
            ["Cost per champion recruited", per_champion],
            ["Cost per person reached", per_person],
            ["Cost per signposting", per_signposted],
        ],
    }


def _count_and_cost(n: int, cost: int | None) -> tuple[str, str]:
    """A count of people and the cost of each: from 1 to 4 the count is "fewer than 5" and the cost is not shown,
    since what was paid divided by the cost would give the count back."""
    if _small(n):
        return disclosure.FEWER_THAN_SMALL, disclosure.NOT_SHOWN
    return f"{n:,}", pounds(cost) or "not yet known"


def _hidden_label(n: int) -> str:
    return disclosure.FEWER_THAN_SMALL if _small(n) else disclosure.NOT_SHOWN


def _overdue_table(overdue: list[dict[str, Any]], totals: _Totals, today: date) -> dict[str, Any]:
    """How many end-of-grant reports are overdue, by how late: counts, so that no group is named or singled out."""
    late = [r.get("days_late", (today - date.fromisoformat(r["due_on"])).days) for r in overdue]
    counts = [sum(1 for d in late if d >= low and (high is None or d <= high)) for _, low, high in LATENESS]
    cells = _column(counts, "overdue", totals)
    return {
        "headers": ["How late", "Reports"],
        "rows": [[label, cell] for (label, _, _), cell in zip(LATENESS, cells, strict=True)],
        "total": ["Total", totals.label("overdue")],
    }


def funder_tables(data: dict[str, Any], today: date | None = None) -> dict[str, dict[str, Any]]:
    """Every table on the funder dashboard, as display strings, keyed by its CSV name (the headline figures are the
    money table's)."""
    return _tables(data, _totals(data), today or today_uk())


def _tables(data: dict[str, Any], totals: _Totals, today: date) -> dict[str, dict[str, Any]]:
    m = data["money"]
    kinds, signposted = _outcome_kinds_table(data["outcomes"])
    return {
        "money": {
            "title": "Money",
            "headers": ["Measure", "Amount"],
            "rows": [
                ["Budget", pounds(m["budget"])],
                ["Awarded", totals.label("awarded")],
                ["Paid", totals.label("paid")],
                ["Remaining to award", totals.label("remaining")],
            ],
        },
        "rounds": {"title": "By round", **_rounds_table(data.get("rounds", []), totals)},
        "applications": {
            "title": "Applications",
            "headers": ["Measure", "Applications"],
            "rows": [[k.capitalize(), totals.label(k)] for k in ("received", "approved", "declined")],
        },
        "award_sizes": {"title": "Spread of award sizes", **_award_sizes(data["award_bands"], totals)},
        "boroughs": {"title": "By borough", **_area_table(data["by_borough"], "Borough", totals, total=False)},
        "themes": {"title": "By theme", **_area_table(data["by_theme"], "Theme", totals, total=True)},
        "outcomes": {"title": "Outcomes reported by grantees", **_outcomes_table(data["outcomes"], signposted)},
        "outcome_kinds": {"title": "Who grantees signposted, and where to", **kinds},
        "overdue": {"title": "End-of-grant reports overdue", **_overdue_table(data["overdue"], totals, today)},
    }
