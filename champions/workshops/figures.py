"""Engagement figures as the programme reports them, by borough and period.

Each figure is one set-based query grouped by borough, and the same query without the grouping for
the total, so a distinct count across Greater Manchester is not the sum of the boroughs' counts (an
organisation that came to workshops in two boroughs counts once in the total).

Definitions:
- workshops held: not cancelled, started within the period and before now;
- distinct organisations engaged: hosts of those workshops, and organisations whose contacts attended;
- distinct individuals engaged: organisation contacts who attended those workshops;
- attendance: checked-in champions + organisation contacts attending (a contact who is the same person
  as a checked-in champion counts once) + the head-count of people not registered;
- champions recruited through a workshop: recorded against a workshop held in the period (its borough);
- champions recruited through an organisation: joined within the period saying they heard through an
  organisation (their own borough);
- workshop yield: champions recruited through workshops per workshop held.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import SelectBase, and_, distinct, exists, func, literal, select, union, union_all

from champions.core.clock import uk_day_start
from champions.core.db import now_utc
from champions.core.models import Borough
from champions.extensions import db
from champions.organisations.models import OrganisationContact
from champions.profiles.models import LIVE, Champion
from champions.workshops.models import Workshop, WorkshopRecruit, WorkshopSignup, workshop_contacts

DISTINCT_FIGURES = (
    "workshops_held",
    "organisations_engaged",
    "individuals_engaged",
    "recruited_via_workshops",
    "recruited_via_organisations",
)
FIGURE_LABELS = {
    "workshops_held": "Workshops",
    "organisations_engaged": "Organis\u00adations",
    "individuals_engaged": "Individuals",
    "attendance": "Attendance",
    "recruited_via_workshops": "Recruits (workshop)",
    "recruited_via_organisations": "Recruits (organis\u00adation)",
    "workshop_yield": "Yield",
}


@dataclass
class EngagementRow:
    borough_code: str | None
    borough_name: str
    figures: dict[str, float] = field(default_factory=dict)


@dataclass
class EngagementFigures:
    start: date
    end: date
    rows: list[EngagementRow]
    total: EngagementRow


def _held(start: datetime, end: datetime, now: datetime, borough_code: str | None, workshop_type: str | None):
    query = select(
        Workshop.id, Workshop.borough_code.label("borough"), Workshop.unregistered_count, Workshop.host_organisation_id
    ).where(
        Workshop.cancelled_at.is_(None),
        Workshop.starts_at >= start,
        Workshop.starts_at < end,
        Workshop.starts_at <= now,
    )
    if borough_code:
        query = query.where(Workshop.borough_code == borough_code)
    if workshop_type:
        query = query.where(Workshop.type == workshop_type)
    return query.subquery("held")


def _pairs(held, start: datetime, end: datetime, borough_code: str | None) -> dict[str, SelectBase]:
    """For each distinct-count figure, a query of (borough, key) pairs."""
    contact_attendance = (
        select(held.c.borough, workshop_contacts.c.contact_id.label("key"), OrganisationContact.organisation_id)
        .join(workshop_contacts, workshop_contacts.c.workshop_id == held.c.id)
        .join(OrganisationContact, OrganisationContact.id == workshop_contacts.c.contact_id)
        .subquery("contact_attendance")
    )
    hosts = select(held.c.borough, held.c.host_organisation_id.label("key")).where(
        held.c.host_organisation_id.is_not(None)
    )
    contact_orgs = select(contact_attendance.c.borough, contact_attendance.c.organisation_id.label("key"))
    recruits_org = select(Champion.borough_code.label("borough"), Champion.id.label("key")).where(
        Champion.heard_via_organisation_id.is_not(None),
        LIVE,  # a merged-away record is counted as the one it joined
        Champion.created_at >= start,
        Champion.created_at < end,
    )
    if borough_code:
        recruits_org = recruits_org.where(Champion.borough_code == borough_code)
    return {
        "workshops_held": select(held.c.borough, held.c.id.label("key")),
        "organisations_engaged": union(hosts, contact_orgs),
        "individuals_engaged": select(contact_attendance.c.borough, contact_attendance.c.key),
        "recruited_via_workshops": select(held.c.borough, WorkshopRecruit.champion_id.label("key")).join(
            WorkshopRecruit, WorkshopRecruit.workshop_id == held.c.id
        ),
        "recruited_via_organisations": recruits_org,
    }


def _attendance(held):
    """(borough, n) rows whose sum is the attendance."""
    champions = (
        select(held.c.borough, literal(1).label("n"))
        .join(WorkshopSignup, WorkshopSignup.workshop_id == held.c.id)
        .where(WorkshopSignup.checked_in_at.is_not(None))
    )
    same_person_checked_in = exists().where(
        WorkshopSignup.workshop_id == held.c.id,
        WorkshopSignup.champion_id == OrganisationContact.champion_id,
        WorkshopSignup.checked_in_at.is_not(None),
    )
    contacts = (
        select(held.c.borough, literal(1).label("n"))
        .join(workshop_contacts, workshop_contacts.c.workshop_id == held.c.id)
        .join(OrganisationContact, OrganisationContact.id == workshop_contacts.c.contact_id)
        .where(~and_(OrganisationContact.champion_id.is_not(None), same_person_checked_in))
    )
    headcount = select(held.c.borough, held.c.unregistered_count.label("n"))
    return union_all(champions, contacts, headcount).subquery("attendance")


def engagement_figures(
    start: date,
    end: date,
    borough_code: str | None = None,
    now: datetime | None = None,
    workshop_type: str | None = None,
) -> EngagementFigures:
    """Figures for UK calendar days start..end (both included), per borough and for all of them.

    ``workshop_type`` limits the workshop figures to one type (co-design workshops, say); champions
    recruited through an organisation do not depend on workshops and are not limited by it."""
    since, until, now = uk_day_start(start), uk_day_start(end + timedelta(days=1)), now or now_utc()
    held = _held(since, until, now, borough_code, workshop_type)
    by_borough: dict[str, dict[str, float]] = {}
    total: dict[str, float] = {}
    for name, pairs in _pairs(held, since, until, borough_code).items():
        sub = pairs.subquery(name)
        for borough, count in db.session.execute(
            select(sub.c.borough, func.count(distinct(sub.c.key))).group_by(sub.c.borough)
        ):
            by_borough.setdefault(borough, {})[name] = count
        total[name] = db.session.scalar(select(func.count(distinct(sub.c.key)))) or 0
    attendance = _attendance(held)
    for borough, count in db.session.execute(
        select(attendance.c.borough, func.sum(attendance.c.n)).group_by(attendance.c.borough)
    ):
        by_borough.setdefault(borough, {})["attendance"] = int(count or 0)
    total["attendance"] = int(db.session.scalar(select(func.coalesce(func.sum(attendance.c.n), 0))) or 0)
    boroughs = db.session.scalars(select(Borough).order_by(Borough.name))
    rows = [
        _row(b.code, b.name, by_borough.get(b.code, {}))
        for b in boroughs
        if borough_code is None or b.code == borough_code
    ]
    return EngagementFigures(start=start, end=end, rows=rows, total=_row(None, "Greater Manchester", total))


def _row(code: str | None, name: str, figures: dict[str, float]) -> EngagementRow:
    full: dict[str, float] = {key: int(figures.get(key, 0)) for key in (*DISTINCT_FIGURES, "attendance")}
    held = full["workshops_held"]
    full["workshop_yield"] = round(full["recruited_via_workshops"] / held, 2) if held else 0.0
    return EngagementRow(code, name, full)


FIGURE_ORDER = (
    "workshops_held",
    "organisations_engaged",
    "individuals_engaged",
    "attendance",
    "recruited_via_workshops",
    "recruited_via_organisations",
    "workshop_yield",
)
