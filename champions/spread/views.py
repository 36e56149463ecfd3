"""Staff pages of how the movement spreads: the figures of the newest run with their tables and CSV files, the
roles and who holds them, measuring the network again on request (with its progress), and any champion's network
to three degrees as a drawing."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import ColumnElement, Select, select

from champions.core import audit
from champions.core.celery import enqueue
from champions.core.db import now_utc
from champions.core.downloads import csv_download, dict_csv_text
from champions.core.forms import db_id
from champions.core.models import BOROUGH_NAMES
from champions.core.work import progress_answer
from champions.extensions import db
from champions.profiles.models import Champion
from champions.spread import bp, drawing, graph, roles, services
from champions.spread.models import ROLES, ChampionRole, SpreadRun
from champions.spread.tasks import compute_spread

TOP = 10
# How each role's holders are ranked on the page: by the measure that gives the role.
RANKED_BY: dict[str, tuple[ColumnElement[Any], ...]] = {
    "hub": (ChampionRole.ties.desc(),),
    "gatekeeper": (ChampionRole.betweenness.desc(),),
    "pulsetaker": (ChampionRole.reach_3.desc(), ChampionRole.ties.asc()),
    "spanner": ((ChampionRole.boroughs_crossed + ChampionRole.organisations_crossed).desc(),),
}
CSV_TABLES = ("cohorts", "boroughs", "chains", "sources", "homophily", "flows", "overview", "between", "champions")


@bp.get("/staff/spread")
def spread_home():
    run_id = request.args.get("run", type=db_id)
    asked = db.session.get(SpreadRun, run_id) if run_id else None
    run = services.latest()
    return render_template(
        "spread/spread.html",
        run=run,
        asked=asked,
        run_text=run_text,
        now=now_utc(),
        tables=tables(run.figures) if run else {},
        roles_explained=_explained(run.thresholds) if run else [],
        top=_top_holders() if run else {},
        method=_method(run) if run else "",
        homophily_sentence=_homophily_sentence(run.figures.get("homophily") or {}) if run else "",
        picture=drawing.overview(run.figures) if run else None,
    )


@bp.post("/staff/spread/runs")
def measure_now():
    run = SpreadRun(requested_by_id=current_user.id)
    db.session.add(run)
    db.session.flush()
    enqueue(compute_spread, run.id)
    db.session.commit()
    flash("The network is being measured.", "success")
    return redirect(url_for("spread.spread_home", run=run.id))


@bp.get("/staff/spread/runs/<int:run_id>")
def run_status(run_id: int):
    run = db.get_or_404(SpreadRun, run_id)
    finished = run.finished_at is not None
    return progress_answer(
        run.done_steps,
        run.total_steps,
        finished,
        run.error or run_text(run),
        result_url=url_for("spread.spread_home") if finished and not run.error else None,
        result_text="Show the new figures",
        error=run.error,
    )


def run_text(run: SpreadRun) -> str:
    """How far a run has got, in words (the page and js/progress.js show it)."""
    if run.finished_at is not None:
        return "Finished: the new figures are ready"
    if not run.done_steps:
        return "Waiting for the background worker to start"
    return f"{run.done_steps} of {run.total_steps} parts done"


@bp.get("/staff/spread/<table>.csv")
def table_csv(table: str):
    run = services.latest()
    if table not in CSV_TABLES or run is None or run.finished_at is None:
        abort(404)
    rows = _champion_rows() if table == "champions" else tables(run.figures)[table]
    if table == "champions":  # every champion's name with their place in the network
        audit.viewed("spread.champions_exported", None, champions=len(rows))
    stamp = run.finished_at.strftime("%Y-%m-%d-%H%M")
    return csv_download(dict_csv_text(rows), f"champions-spread-{table}-{stamp}.csv")


@bp.get("/staff/spread/champions/<int:champion_id>")
def champion_network(champion_id: int):
    champion = db.get_or_404(Champion, champion_id)
    run = services.latest()
    picture = drawing.ego(graph.around(champion.id), champion.id)
    audit.viewed("champion.network_viewed", champion, subject_user_ids=(champion.user_id,))
    return render_template(
        "spread/champion.html",
        champion=champion,
        run=run,
        ego=picture,
        role_look=drawing.ROLE_LOOK,
        role_names=roles.ROLE_NAMES,
        borough_colours=drawing.BOROUGH_COLOURS,
        borough_names=BOROUGH_NAMES,
        ring=drawing.RING,
    )


# ---------------------------------------------------------------------------------------------------- the tables


def tables(figures: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Each table of the page as rows of dicts (their keys are the CSV's header), from a run's figures."""
    r = figures.get("r") or {}
    flows = figures.get("flows") or {}
    homophily = figures.get("homophily") or {}
    overview = figures.get("overview") or {}
    names = BOROUGH_NAMES
    return {
        "cohorts": [
            {
                "cohort": c["cohort"],
                "champions": c["champions"],
                "recruits": c["recruits"],
                "r": c["r"],
                "low": c["low"],
                "high": c["high"],
                "complete": "yes" if c["complete"] else "no",
            }
            for c in r.get("by_cohort", [])
        ],
        "boroughs": [dict(b) for b in r.get("by_borough", [])],
        "chains": [dict(c) for c in (figures.get("chains") or {}).get("by_depth", [])],
        "sources": [dict(s) for s in figures.get("sources") or []],
        "homophily": [
            {"tie": label, **(homophily.get(key) or {"observed": None, "chance": None, "ratio": None})}
            for key, label in (("borough", "Inside one borough"), ("topic", "Sharing a topic"))
        ],
        "flows": [
            {"from": row["from"], **dict(zip(flows.get("boroughs", []), row["to"], strict=True)), "total": row["total"]}
            for row in flows.get("rows", [])
        ],
        "overview": [
            {"borough": b["name"], "champions": b["champions"], "ties_inside": b["inside"]}
            for b in overview.get("boroughs", [])
        ],
        "between": [
            {
                "from": names.get(link["from"], link["from"]),
                "to": names.get(link["to"], link["to"]),
                "ties": link["ties"],
            }
            for link in overview.get("between", [])
        ],
    }


def _measured() -> Select:
    """Each measured champion's id, name and borough with their measures from the newest run."""
    return select(Champion.id, Champion.first_name, Champion.last_name, Champion.borough_code, ChampionRole).join(
        ChampionRole, ChampionRole.champion_id == Champion.id
    )


def _champion_rows() -> list[dict[str, Any]]:
    """Every measured champion's measures and roles (one query)."""
    query = _measured().order_by(Champion.id)
    return [
        {
            "champion_id": row.id,
            "name": f"{row.first_name} {row.last_name}".strip(),
            "borough": BOROUGH_NAMES.get(row.borough_code, row.borough_code),
            "ties": row.ChampionRole.ties,
            "strength": row.ChampionRole.strength,
            "betweenness": round(row.ChampionRole.betweenness, 1),
            "reach_2": row.ChampionRole.reach_2,
            "reach_3": row.ChampionRole.reach_3,
            "boroughs_crossed": row.ChampionRole.boroughs_crossed,
            "organisations_crossed": row.ChampionRole.organisations_crossed,
            "people_reached_3": row.ChampionRole.people_reached_3,
            **{role: "yes" if getattr(row.ChampionRole, role) else "no" for role in ROLES},
        }
        for row in db.session.execute(query)
    ]


def _top_holders() -> dict[str, list[dict[str, Any]]]:
    """The first ``TOP`` holders of each role, by the measure that gives it: one query a role."""
    found = {}
    for role in ROLES:
        query = (
            _measured().where(getattr(ChampionRole, role).is_(True)).order_by(*RANKED_BY[role], Champion.id).limit(TOP)
        )
        found[role] = [
            {
                "id": row.id,
                "name": f"{row.first_name} {row.last_name}".strip(),
                "borough": BOROUGH_NAMES.get(row.borough_code, row.borough_code),
                "ties": row.ChampionRole.ties,
                "betweenness": round(row.ChampionRole.betweenness, 1),
                "reach_3": row.ChampionRole.reach_3,
                "crossed": row.ChampionRole.boroughs_crossed + row.ChampionRole.organisations_crossed,
            }
            for row in db.session.execute(query)
        ]
    return found


def _explained(thresholds: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Each role's meaning with this run's thresholds; a threshold no one reached reads as such."""
    return roles.explained({key: ("–" if value is None else value) for key, value in thresholds.items()})


def _method(run: SpreadRun) -> str:
    if run.method == "sampled":
        error = run.figures.get("error")
        sources = run.figures.get("sources_sampled")
        stated = f", with an error of about {round(100 * error, 1)}%" if error is not None else ""
        return f"brokerage estimated from a sample of {sources:,} starting points{stated}"
    return "brokerage measured exactly"


def _homophily_sentence(h: dict[str, Any]) -> str:
    if not h.get("ties"):
        return "No one has been recruited by another champion yet, so there is nothing to compare with chance."
    parts = []
    for key, words in (("borough", "are inside one borough"), ("topic", "share a topic")):
        row = h.get(key) or {}
        if row.get("observed") is None:
            continue
        ratio = row.get("ratio")
        against = f"{ratio} times what chance would give" if ratio is not None else "chance would give none"
        parts.append(f"{row['observed']}% {words}, against {row['chance']}% by chance ({against})")
    ties = h["ties"]
    return f"Of the {ties:,} recruitment {'tie' if ties == 1 else 'ties'}, " + "; ".join(parts) + "."
