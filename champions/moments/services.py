"""The social-moments calendar: next occurrences, and the real awareness moments it starts with.

Services flush; the request commits. `upcoming_moments` is what the nudges feature calls.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from champions.core import audit
from champions.core.models import Topic
from champions.extensions import db
from champions.moments.models import Moment, Recurrence

# Real recurring UK awareness moments that matter for cancer prevention. Weeks that move a little
# from year to year are given their usual dates; staff adjust them each year if they need to.
AWARENESS_MOMENTS: tuple[dict, ...] = (
    {
        "name": "Dry January",
        "description": "Alcohol Change UK's month off alcohol: a chance to talk about drinking and cancer risk.",
        "level": "individuals",
        "recurrence": "yearly",
        "start": (1, 1),
        "end": (1, 31),
        "topics": ["alcohol"],
        "suggested_actions": "Invite a friend to try Dry January with you.\nShare the link between alcohol and seven "
        "types of cancer.",
    },
    {
        "name": "Cervical Cancer Prevention Week",
        "description": "A week in January to raise awareness of cervical screening and HPV vaccination.",
        "level": "communities",
        "recurrence": "yearly",
        "start": (1, 19),
        "end": (1, 25),
        "topics": ["screening", "hpv"],
        "suggested_actions": "Talk to a community group about cervical screening.\nRemind parents about the HPV "
        "vaccine at school.",
    },
    {
        "name": "World Cancer Day",
        "description": "4 February: a global day to unite in the fight against cancer.",
        "level": "systems",
        "recurrence": "yearly",
        "start": (2, 4),
        "end": (2, 4),
        "topics": ["early_diagnosis"],
        "suggested_actions": "Ask a local organisation to share a message about spotting cancer early.",
    },
    {
        "name": "No Smoking Day",
        "description": "A day in March that encourages smokers to quit.",
        "level": "individuals",
        "recurrence": "yearly",
        "start": (3, 11),
        "end": (3, 11),
        "topics": ["smoking"],
        "suggested_actions": "Tell someone about free local stop smoking support.",
    },
    {
        "name": "Bowel Cancer Awareness Month",
        "description": "April: raising awareness of bowel cancer symptoms and the NHS bowel screening kit.",
        "level": "communities",
        "recurrence": "yearly",
        "start": (4, 1),
        "end": (4, 30),
        "topics": ["screening", "early_diagnosis"],
        "suggested_actions": "Encourage people aged 50 to 74 to do their bowel screening kit.\nShare the symptoms of "
        "bowel cancer at a group you belong to.",
    },
    {
        "name": "Sun Awareness Week",
        "description": "The British Association of Dermatologists' week in May about sun safety and skin cancer.",
        "level": "individuals",
        "recurrence": "yearly",
        "start": (5, 4),
        "end": (5, 10),
        "topics": ["sun_safety"],
        "suggested_actions": "Share sun safety tips before the summer.\nTalk about checking moles for changes.",
    },
    {
        "name": "World No Tobacco Day",
        "description": "31 May: the World Health Organization's day against tobacco.",
        "level": "systems",
        "recurrence": "yearly",
        "start": (5, 31),
        "end": (5, 31),
        "topics": ["smoking"],
        "suggested_actions": "Ask an employer or venue to support smoke-free spaces.",
    },
    {
        "name": "Cervical Screening Awareness Week",
        "description": "A week in June encouraging everyone invited to go for cervical screening.",
        "level": "communities",
        "recurrence": "yearly",
        "start": (6, 19),
        "end": (6, 24),
        "topics": ["screening"],
        "suggested_actions": "Help someone book their screening.\nShare what happens at a screening appointment.",
    },
    {
        "name": "Stoptober",
        "description": "The NHS's 28-day stop smoking challenge, every October.",
        "level": "individuals",
        "recurrence": "yearly",
        "start": (10, 1),
        "end": (10, 31),
        "topics": ["smoking"],
        "suggested_actions": "Encourage a smoker you know to join Stoptober.\nSignpost to local stop smoking services.",
    },
    {
        "name": "Breast Cancer Awareness Month",
        "description": "October: breast awareness, checking for changes, and breast screening.",
        "level": "communities",
        "recurrence": "yearly",
        "start": (10, 1),
        "end": (10, 31),
        "topics": ["screening", "early_diagnosis"],
        "suggested_actions": "Share how to check your breasts.\nRemind people aged 50 to 71 to go for screening.",
    },
)
SEED_YEAR = 2026


def seed_awareness_moments() -> int:
    """Add any of the awareness moments not already there (by name). Returns how many were added."""
    existing = set(db.session.scalars(select(Moment.name)))
    topics = {t.code: t for t in db.session.scalars(select(Topic))}
    added = 0
    for spec in AWARENESS_MOMENTS:
        if spec["name"] in existing:
            continue
        moment = Moment(
            name=spec["name"],
            description=spec["description"],
            level=spec["level"],
            recurrence=spec["recurrence"],
            start_date=date(SEED_YEAR, *spec["start"]),
            end_date=date(SEED_YEAR, *spec["end"]),
            suggested_actions=spec["suggested_actions"],
            topics=[topics[code] for code in spec["topics"]],
        )
        db.session.add(moment)
        added += 1
    db.session.flush()
    return added


def _on_day(year: int, month: int, day: int) -> date:
    """The given day, or the last day of a shorter month (29 February, the 31st)."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def next_occurrence(moment: Moment, today: date) -> date | None:
    """The first start date on or after today, or the start of an occurrence still running today."""
    length = moment.end_date - moment.start_date
    start = moment.start_date
    if moment.recurrence == Recurrence.ONCE.value:
        return start if start + length >= today else None
    if moment.recurrence == Recurrence.YEARLY.value:
        for year in (today.year - 1, today.year, today.year + 1):
            candidate = _on_day(year, start.month, start.day)
            if candidate >= start and candidate + length >= today:
                return candidate
        return None
    month_index = today.year * 12 + today.month - 2  # one month back: a long monthly moment may still run
    for offset in range(3):
        year, month = divmod(month_index + offset, 12)
        candidate = _on_day(year, month + 1, start.day)
        if candidate >= start and candidate + length >= today:
            return candidate
    return None


@dataclass(frozen=True)
class Occurrence:
    moment: Moment
    starts_on: date
    ends_on: date


def occurrence_of(moment: Moment, today: date) -> Occurrence | None:
    starts = next_occurrence(moment, today)
    if starts is None:
        return None
    return Occurrence(moment, starts, starts + (moment.end_date - moment.start_date))


def upcoming_moments(within_days: int, today: date) -> list[Occurrence]:
    """Moments whose next start falls between today and today + within_days (both included), soonest first.

    A moment already under way today is not "starting", so it is left out.
    """
    horizon = today + timedelta(days=within_days)
    found = []
    for moment in db.session.scalars(select(Moment).where(Moment.start_date <= horizon)):
        occurrence = _next_start(moment, today)
        if occurrence is not None and occurrence.starts_on <= horizon:
            found.append(occurrence)
    return sorted(found, key=lambda o: (o.starts_on, o.moment.name))


def _next_start(moment: Moment, today: date) -> Occurrence | None:
    occurrence = occurrence_of(moment, today)
    if occurrence is not None and occurrence.starts_on < today:
        # Under way now: the next start is the following occurrence.
        occurrence = occurrence_of(moment, occurrence.ends_on + timedelta(days=1))
    return occurrence


def calendar_rows(today: date) -> list[tuple[Moment, Occurrence | None]]:
    moments = db.session.scalars(select(Moment).order_by(Moment.name).options(selectinload(Moment.topics)))
    rows = [(m, occurrence_of(m, today)) for m in moments]
    return sorted(rows, key=lambda r: (r[1] is None, r[1].starts_on if r[1] else date.max, r[0].name))


def name_taken(name: str, moment_id: int | None) -> bool:
    """Whether another moment has this name already (names are unique on the calendar)."""
    query = select(Moment.id).where(Moment.name == name, Moment.id != (moment_id or 0))
    return db.session.scalar(query) is not None


def save_moment(moment: Moment, *, topic_codes: list[str], **fields: object) -> Moment:
    for name, value in fields.items():
        setattr(moment, name, value)
    moment.topics = list(db.session.scalars(select(Topic).where(Topic.code.in_(topic_codes))))
    db.session.add(moment)
    db.session.flush()
    return moment


def add_moment(*, topic_codes: list[str], **fields: object) -> Moment:
    """A new moment on the calendar, recorded in the audit log."""
    moment = save_moment(Moment(), topic_codes=topic_codes, **fields)
    audit.record("moment.created", moment)
    return moment


def edit_moment(moment: Moment, *, topic_codes: list[str], **fields: object) -> Moment:
    """Save the changes; the audit event names the fields that changed (none changed: nothing is recorded)."""
    changed = audit.assign(moment, dict(fields))
    if sorted(set(topic_codes)) != sorted(t.code for t in moment.topics):
        changed.append("topics")
    save_moment(moment, topic_codes=topic_codes)
    if changed:
        audit.record("moment.updated", moment, fields=changed)
    return moment
