"""The recruitment network: how many champions were recruited by another, the longest chain, the top recruiters."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, text

from champions.core.models import Borough
from champions.extensions import db
from champions.profiles.models import LIVE, Champion


def network() -> dict[str, Any]:
    total, recruited = db.session.execute(select(func.count(), func.count(Champion.recruited_by_id)).where(LIVE)).one()
    depth = db.session.scalar(
        text(
            "WITH RECURSIVE chain(id, depth) AS ("
            " SELECT id, 0 FROM champions WHERE recruited_by_id IS NULL AND merged_into_id IS NULL"
            " UNION ALL SELECT c.id, chain.depth + 1 FROM champions c JOIN chain ON c.recruited_by_id = chain.id"
            " WHERE c.merged_into_id IS NULL"
            ") SELECT coalesce(max(depth), 0) FROM chain"
        )
    )
    # Each recruiter's live recruits counted first, from the index of champions by recruiter, then the recruiters
    # looked up in order of that count until ten are found: joining every recruiter to their recruits before
    # counting hashed the whole table (a million champions: 1.1 s, against 0.2 s).
    recruits = func.count().label("recruits")
    counts = (
        select(Champion.recruited_by_id.label("id"), recruits)
        .where(LIVE, Champion.recruited_by_id.is_not(None))
        .group_by(Champion.recruited_by_id)
        .order_by(recruits.desc(), Champion.recruited_by_id)
        .subquery("counts")
    )
    recruiter = Champion.__table__.alias("recruiter")
    top = db.session.execute(
        select(recruiter.c.id, recruiter.c.first_name, recruiter.c.last_name, Borough.name, counts.c.recruits)
        .join(counts, counts.c.id == recruiter.c.id)
        .where(recruiter.c.merged_into_id.is_(None))
        .outerjoin(Borough, Borough.code == recruiter.c.borough_code)
        .order_by(counts.c.recruits.desc(), counts.c.id)
        .limit(10)
    ).all()
    return {
        "champions": total,
        "recruited": recruited,
        "share_recruited": round(100 * recruited / total, 1) if total else None,
        "mean_recruits": round(recruited / total, 2) if total else None,
        "longest_chain": int(depth or 0),
        "top_recruiters": [
            {"id": i, "name": f"{first} {last}", "borough": borough, "recruits": n}
            for i, first, last, borough, n in top
        ],
    }
