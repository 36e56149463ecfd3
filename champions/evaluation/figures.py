"""The figures staff see: at each point, how many answered and their mean knowledge (% right) and confidence (1-5)
with 95% intervals, and the share who kept what they learnt, overall, by cohort (month joined) and by borough.

- Means: the t interval, mean ± t(0.975, n − 1) × s / √n, with s the sample standard deviation, cut off where no
  score can go (0 and 100%, 1 and 5).
- Kept what they learnt: among champions who answered both the after and the later check, those whose later
  knowledge score is at least their after score; its interval is Wilson's score interval.
- A group of fewer than ``SMALL`` shows its count only: means and shares of so few people mislead and may tell
  about one person.

Each table is one grouped query (sums and sums of squares per group and point), whatever the number of answers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal, select
from sqlalchemy.orm import aliased

from champions.core import stats
from champions.core.models import Borough
from champions.core.stats import Z_95
from champions.evaluation.models import Point, Response
from champions.extensions import db
from champions.profiles.models import Champion

SMALL = 5
GROUPINGS = {"all": "All champions", "cohort": "By cohort (month joined)", "borough": "By borough"}
# t(0.975, df) for 1 to 30 degrees of freedom; above 30 the Cornish-Fisher expansion is good to 3 decimals.
T_975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


def t_975(df: int) -> float:
    if df <= len(T_975):
        return T_975[df - 1]
    z = Z_95
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


@dataclass(frozen=True)
class Estimate:
    mean: float
    low: float | None
    high: float | None


def mean_interval(n: int, total: float, squares: float, bounds: tuple[float, float]) -> Estimate | None:
    """The mean of ``n`` values given their sum and sum of squares, with its 95% t interval (none for one value),
    kept within the ``bounds`` no value can pass (0 to 100%, 1 to 5)."""
    if n <= 0:
        return None
    mean = total / n
    if n == 1:
        return Estimate(mean, None, None)
    variance = max(squares - n * mean * mean, 0.0) / (n - 1)
    margin = t_975(n - 1) * math.sqrt(variance / n)
    return Estimate(mean, max(bounds[0], mean - margin), min(bounds[1], mean + margin))


def wilson(k: int, n: int, z: float = Z_95) -> Estimate | None:
    """The share k / n with Wilson's 95% score interval."""
    if n <= 0:
        return None
    return Estimate(k / n, *stats.wilson(k, n, z))


def _month(column: Any) -> ColumnElement[str]:
    if db.engine.dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def _group(grouping: str) -> Any:
    """What the rows are grouped by (None: everyone together)."""
    if grouping == "cohort":
        return _month(Champion.created_at)
    if grouping == "borough":
        return Borough.name
    return None


def _label(grouping: str, key: Any) -> str:
    return "All champions" if grouping == "all" else str(key)


def _shown(n: int, estimate: Estimate | None) -> Estimate | None:
    return estimate if n >= SMALL else None


def _protect(rows: list[dict[str, Any]], figures: tuple[str, ...]) -> None:
    """Rows of one table whose total is shown elsewhere (the "All champions" row): while the groups whose figures are
    hidden hold between them fewer than ``SMALL`` people, subtracting the shown groups from the total would give
    their figures away, so the smallest shown group's figures are hidden too (marked ``protecting``)."""
    hidden = [row for row in rows if row["n"] < SMALL]
    shown = sorted((row for row in rows if row["n"] >= SMALL), key=lambda row: (row["n"], row["group"]))
    while hidden and sum(row["n"] for row in hidden) < SMALL and shown:
        row = shown.pop(0)
        row.update({name: None for name in figures}, protecting=True)
        hidden.append(row)


def scores(grouping: str = "all") -> list[dict[str, Any]]:
    """One row per group and point: n, and (for groups of at least ``SMALL``) the mean knowledge as a percentage
    and the mean confidence, each with its 95% t interval."""
    group = _group(grouping)
    key = (group if group is not None else literal("all")).label("key")
    knowledge = Response.knowledge_score * 100
    confidence = Response.confidence_mean
    query = (
        select(
            key,
            Response.point,
            func.count(Response.knowledge_score),
            func.sum(knowledge),
            func.sum(knowledge * knowledge),
            func.count(confidence),
            func.sum(confidence),
            func.sum(confidence * confidence),
        )
        .join(Champion, Champion.id == Response.champion_id)
        .join(Borough, Borough.code == Champion.borough_code)
        .group_by(*([group] if group is not None else []), Response.point)
    )
    found = {(row[0], row[1]): row[2:] for row in db.session.execute(query)}
    order = [p.value for p in Point]
    rows = []
    for group_key, point in sorted(found, key=lambda k: (str(k[0]), order.index(k[1]))):
        nk, sk, qk, nc, sc, qc = found[(group_key, point)]
        n = max(nk, nc)
        rows.append(
            {
                "group": _label(grouping, group_key),
                "point": Point(point),
                "n": n,
                "knowledge": _shown(n, mean_interval(nk, float(sk or 0), float(qk or 0), (0.0, 100.0))),
                "confidence": _shown(n, mean_interval(nc, float(sc or 0), float(qc or 0), (1.0, 5.0))),
                "protecting": False,
            }
        )
    if grouping != "all":
        for point in Point:
            _protect([row for row in rows if row["point"] is point], ("knowledge", "confidence"))
    return rows


def kept(grouping: str = "all") -> list[dict[str, Any]]:
    """One row per group: how many answered both the after and the later check, how many kept what they learnt
    (later knowledge score at least the after score), and the share with its Wilson interval."""
    after, later = aliased(Response), aliased(Response)
    group = _group(grouping)
    key = (group if group is not None else literal("all")).label("key")
    query = (
        select(key, func.count(), func.sum(case((later.knowledge_score >= after.knowledge_score, 1), else_=0)))
        .select_from(after)
        .join(later, (later.champion_id == after.champion_id) & (later.point == Point.LATER.value))
        .join(Champion, Champion.id == after.champion_id)
        .join(Borough, Borough.code == Champion.borough_code)
        .where(after.point == Point.AFTER.value, after.knowledge_score.is_not(None), later.knowledge_score.is_not(None))
    )
    if group is not None:
        query = query.group_by(group)
    rows = []
    for group_key, n, k in sorted(db.session.execute(query), key=lambda row: str(row[0])):
        if not n:
            continue
        k = int(k or 0)
        rows.append(
            {
                "group": _label(grouping, group_key),
                "n": n,
                "kept": k if n >= SMALL else None,
                "share": _shown(n, wilson(k, n)),
                "protecting": False,
            }
        )
    if grouping != "all":
        _protect(rows, ("kept", "share"))
    return rows


def _cells(estimate: Estimate | None, scale: float = 1, digits: int = 1) -> list[Any]:
    if estimate is None:
        return ["", "", ""]
    return [round(v * scale, digits) if v is not None else "" for v in (estimate.mean, estimate.low, estimate.high)]


def scores_csv_rows(grouping: str) -> tuple[list[str], list[list[Any]]]:
    header = [
        "Group", "Point", "Answered", "Knowledge % mean", "Knowledge % low", "Knowledge % high",
        "Confidence mean", "Confidence low", "Confidence high",
    ]  # fmt: skip
    rows = [
        [r["group"], r["point"].label, r["n"], *_cells(r["knowledge"]), *_cells(r["confidence"], digits=2)]
        for r in scores(grouping)
    ]
    return header, rows


def kept_csv_rows(grouping: str) -> tuple[list[str], list[list[Any]]]:
    header = ["Group", "Answered after and later", "Kept what they learnt", "Share %", "Share % low", "Share % high"]
    rows = [
        [r["group"], r["n"], "" if r["kept"] is None else r["kept"], *_cells(r["share"], scale=100)]
        for r in kept(grouping)
    ]
    return header, rows
