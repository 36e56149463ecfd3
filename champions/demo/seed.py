"""Seed the demo: one login per role and a few hundred champions over many months.

Rows are added in bulk with one shared password hash, so seeding takes seconds.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select

from champions.accounts.consent import EMAIL_CONSENT_VERSION
from champions.accounts.models import ConsentRecord, User
from champions.accounts.services import hash_password
from champions.activities.models import Activity, ActivityType
from champions.core.db import now_utc
from champions.core.models import BOROUGHS, Topic
from champions.core.notice import PRIVACY_NOTICE_VERSION
from champions.core.permissions import Role
from champions.dashboards.models import ProgrammeSettings
from champions.dashboards.services import compute_programme_snapshot
from champions.demo.crm import seed_crm
from champions.demo.evaluation import seed_evaluation
from champions.demo.followups import seed_followups
from champions.demo.grants import seed_grants
from champions.demo.nudges import seed_nudge_history
from champions.demo.outcomes import seed_outcomes
from champions.demo.workshops import seed_workshops
from champions.extensions import db
from champions.profiles.models import Champion, Stage, StageChange
from champions.profiles.services import new_referral_code
from champions.training.models import Pledge, PledgeAcceptance, TrainingCompletion, TrainingResource

DEMO_LOGINS = [
    ("admin", "admin@champions.example", "demo-admin-pass"),
    ("staff", "staff@champions.example", "demo-staff-pass"),
    ("champion", "champion@champions.example", "demo-champion-pass"),
    ("funder", "funder@champions.example", "demo-funder-pass"),
    ("reviewer", "reviewer@champions.example", "demo-reviewer-pass"),
    ("applicant", "applicant@champions.example", "demo-applicant-pass"),
]

FIRST_NAMES = (
    "Aisha Amir Anna Ayesha Bilal Bethany Chloe Chidi Daniel Deborah Ella Emeka Fatima Funmi Grace Hamza Hannah "
    "Imran Isla Jack Jade Jamal Joseph Kate Kwame Leah Liam Lucy Mariam Mark Mohammed Nadia Niamh Olivia Omar "
    "Patrick Priya Rachel Rahul Rebecca Saima Samuel Sarah Sean Sophie Tariq Thomas Uzma Wei Yasmin Zainab Zoe"
).split()
LAST_NAMES = (
    "Ahmed Ali Anderson Begum Bibi Brown Campbell Chen Clarke Davies Evans Green Hall Hughes Hussain Iqbal "
    "Jackson Jones Kaur Khan Kowalski Lee Malik Murphy Nowak Okafor Owusu Patel Rahman Roberts Shah Singh Smith "
    "Taylor Thompson Walker Williams Wilson Wood Wright Yusuf"
).split()
OUTWARD = {
    "bolton": ["BL1", "BL2", "BL3", "BL4", "BL5", "BL6", "BL7"],
    "bury": ["BL8", "BL9", "M25", "M26", "M45"],
    "manchester": ["M1", "M4", "M8", "M9", "M11", "M12", "M13", "M14", "M16", "M19", "M20", "M21", "M22", "M23", "M40"],
    "oldham": ["OL1", "OL2", "OL4", "OL8", "OL9"],
    "rochdale": ["OL10", "OL11", "OL12", "OL16", "M24"],
    "salford": ["M3", "M5", "M6", "M7", "M27", "M28", "M30", "M38"],
    "stockport": ["SK1", "SK2", "SK3", "SK4", "SK5", "SK6", "SK7", "SK8"],
    "tameside": ["OL5", "OL6", "OL7", "SK14", "SK15", "SK16", "M34", "M43"],
    "trafford": ["M31", "M32", "M33", "M41", "WA14", "WA15"],
    "wigan": ["WN1", "WN2", "WN3", "WN4", "WN5", "WN6", "WN7", "M29"],
}
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
SIGNUP_MONTHS = 18


def _postcode(rng: random.Random, borough: str) -> str:
    return f"{rng.choice(OUTWARD[borough])} {rng.randint(1, 9)}{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"


def _journey(rng: random.Random, joined: datetime, now: datetime) -> list[tuple[Stage, datetime, str]]:
    """A plausible path through the stages, never later than now."""
    steps = [(Stage.REGISTERED, joined, "Signed up")]
    plan = [
        (Stage.VERIFIED, 0.85, (0, 3), "Confirmed email address"),
        (Stage.TRAINED, 0.75, (2, 25), "Completed the core training"),
        (Stage.ACTIVE, 0.85, (1, 20), "Logged a first activity"),
        (Stage.LAPSED, 0.3, (60, 200), "No activity for 60 days"),
    ]
    when = joined
    for stage, chance, (low, high), reason in plan:
        when = when + timedelta(days=rng.randint(low, high), hours=rng.randint(0, 12))
        if when > now or rng.random() > chance:
            break
        steps.append((stage, when, reason))
    if rng.random() < 0.04:
        left = min(now, steps[-1][1] + timedelta(days=rng.randint(5, 90)))
        steps.append((Stage.WITHDRAWN, left, "Asked to leave the programme"))
    return steps


def _demo_logins(now: datetime) -> dict[str, User]:
    users = {}
    for role, email, password in DEMO_LOGINS:
        users[role] = User(email=email, password_hash=hash_password(password), role=Role(role).value, created_at=now)
    db.session.add_all(users.values())
    db.session.flush()
    return users


def _onboarding_records(
    rng: random.Random, champion: Champion, journey: list, core: list, pledge: Pledge, now: datetime
) -> list:
    """Training, pledge, activities and consents that match the champion's stage history."""
    reached = {stage: when for stage, when, _ in journey}
    rows: list = []
    if Stage.VERIFIED in reached:
        champion.user.email_verified_at = reached[Stage.VERIFIED]
    if Stage.TRAINED in reached:
        rows += [
            TrainingCompletion(champion=champion, resource_id=r.id, completed_at=reached[Stage.TRAINED]) for r in core
        ]
    if Stage.ACTIVE in reached:
        rows.append(PledgeAcceptance(champion=champion, pledge_id=pledge.id, accepted_at=reached[Stage.ACTIVE]))
        first = reached[Stage.ACTIVE].date()
        last = reached[Stage.LAPSED].date() - timedelta(days=60) if Stage.LAPSED in reached else now.date()
        last = max(first, last)
        days = [first] + sorted(
            first + timedelta(days=rng.randint(0, (last - first).days)) for _ in range(rng.randint(0, 14))
        )
        if Stage.LAPSED not in reached and champion.stage == Stage.ACTIVE.value:
            days.append(now.date() - timedelta(days=rng.randint(0, 40)))  # active means recently active
        for day in days:
            rows.append(
                Activity(
                    champion=champion,
                    type=rng.choice(list(ActivityType)).value,
                    occurred_on=day,
                    borough_code=champion.borough_code if rng.random() < 0.85 else rng.choice(list(OUTWARD)),
                    topic_code=rng.choice(champion.topics).code,
                    people_reached=rng.choice([1, 1, 2, 3, 5, 8, 12, 25, 40]),
                )
            )
        champion.last_activity_on = max(days)
    consent = ConsentRecord(
        user=champion.user,
        purpose="email_contact",
        granted=rng.random() < 0.7,
        wording_version=EMAIL_CONSENT_VERSION,
        recorded_at=champion.created_at,
    )
    privacy = ConsentRecord(
        user=champion.user,
        purpose="privacy_notice",
        granted=True,
        wording_version=PRIVACY_NOTICE_VERSION,
        recorded_at=champion.created_at,
    )
    return rows + [consent, privacy]


def _demo_programme_dates(start: datetime) -> None:
    """The demo programme began when its first champion joined: three years to 20,000, 5,000 in seven months."""
    settings = db.session.get_one(ProgrammeSettings, 1)
    settings.start_date = start.date()
    settings.target_date = start.date() + timedelta(days=3 * 365)
    settings.milestone_date = start.date() + timedelta(days=212)


def seed(count: int = 400, rng_seed: int = 2017) -> str:
    rng = random.Random(rng_seed)
    now = now_utc()
    logins = _demo_logins(now)
    shared_hash = hash_password(f"demo-{rng.random()}")
    topics = list(db.session.scalars(select(Topic)))
    catalogue = list(db.session.scalars(select(TrainingResource)))
    for resource in catalogue:  # the catalogue existed before the first demo champion joined
        resource.created_at = now - timedelta(days=30 * SIGNUP_MONTHS + 30)
    core = [r for r in catalogue if r.is_core]
    pledge = db.session.scalars(select(Pledge).order_by(Pledge.id.desc()).limit(1)).one()
    weights = [population for _, _, population in BOROUGHS]
    codes = [code for code, _, _ in BOROUGHS]
    start = now - timedelta(days=30 * SIGNUP_MONTHS)
    # Sign-ups grow over time, as a movement does: later days are more likely.
    joins = sorted(start + timedelta(seconds=(now - start).total_seconds() * rng.random() ** 0.7) for _ in range(count))
    journeys = [_journey(rng, joined, now) for joined in joins]
    # The demo champion login is the newest champion who has done every onboarding step.
    demo_index = max(i for i, j in enumerate(journeys) if j[-1][0] is Stage.ACTIVE)
    champions: list[Champion] = []
    extra: list = []
    for index, (joined, journey) in enumerate(zip(joins, journeys, strict=True)):
        demo = index == demo_index
        user = (
            logins["champion"]
            if demo
            else User(
                email=f"{rng.choice(FIRST_NAMES).lower()}.{index}@example.org",
                password_hash=shared_hash,
                role=Role.CHAMPION.value,
                created_at=joined,
            )
        )
        borough = rng.choices(codes, weights)[0]
        recruiter = rng.choice(champions) if champions and rng.random() < 0.35 else None
        champion = Champion(
            user=user,
            first_name="Sam" if demo else rng.choice(FIRST_NAMES),
            last_name="Okafor" if demo else rng.choice(LAST_NAMES),
            borough_code=borough,
            postcode=_postcode(rng, borough),
            stage=journey[-1][0].value,
            referral_code=new_referral_code(10),
            recruited_by=recruiter,
            created_at=joined,
            topics=rng.sample(topics, rng.randint(1, 3)),
        )
        previous = None
        for stage, when, reason in journey:
            champion.history.append(
                StageChange(from_stage=previous, to_stage=stage.value, reason=reason, changed_at=when)
            )
            previous = stage.value
        extra += _onboarding_records(rng, champion, journey, core, pledge, now)
        champions.append(champion)
    for leader in rng.sample([c for c in champions if c.stage == Stage.ACTIVE.value], 20):
        leader.is_leader = True
    db.session.add_all(champions)
    db.session.add_all(extra)
    db.session.flush()
    seed_workshops(rng, now, champions, FIRST_NAMES, LAST_NAMES)
    _demo_programme_dates(start)
    seed_crm(rng)
    seed_nudge_history(champions, now)
    seed_grants(rng)
    seed_followups(rng, champions, logins["staff"])
    seed_outcomes()
    seed_evaluation(champions, now)
    compute_programme_snapshot()
    activities = sum(isinstance(row, Activity) for row in extra)
    return (
        f"{len(DEMO_LOGINS)} demo logins, {len(champions)} champions across {len(OUTWARD)} boroughs, "
        f"{activities} activities"
    )
