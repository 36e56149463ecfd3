"""Demo workshops, organisations, contacts and moments that reproduce the programme's reported figures:
20 co-design workshops engaging over 150 individuals from over 75 organisations, and three expert
reference group meetings with 10 cancer charities."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select

from champions.accounts.models import User
from champions.core.models import BOROUGHS, Borough
from champions.core.permissions import Role
from champions.extensions import db
from champions.moments.services import seed_awareness_moments
from champions.organisations.models import EngagementChange, Organisation, OrganisationContact, normalise_org_name
from champions.profiles.models import Champion, Stage
from champions.workshops.models import SignupStatus, Workshop, WorkshopRecruit, WorkshopSignup

CANCER_CHARITIES = (
    ("Bowel Screening Friends Greater Manchester", "1101234"),
    ("Manchester Breast Cancer Support", "1102345"),
    ("Salford Lung Health Trust", "1103456"),
    ("Stockport Skin Cancer Awareness", "1104567"),
    ("Oldham Prostate Support Group", "1105678"),
    ("Cervical Screening Matters North West", "1106789"),
    ("Wigan Cancer Carers", "1107890"),
    ("Tameside Cancer Information Network", "1108901"),
    ("Rochdale Head and Neck Cancer Group", "1109012"),
    ("Trafford Cancer Prevention Alliance", "1110123"),
)
KINDS = (
    ("grassroots", "{place} Community Voices"),
    ("faith", "{place} Interfaith Forum"),
    ("infrastructure", "{place} Council for Voluntary Service"),
    ("housing", "{place} Homes Tenants' Network"),
    ("leisure", "{place} Active Lifestyles"),
    ("arts", "{place} Community Arts"),
    ("education", "{place} College"),
    ("nhs_public", "{place} Primary Care Network"),
)
ROLES = ("Coordinator", "Chair", "Volunteer lead", "Outreach worker", "Trustee", "Community connector")
OUTPUTS = {
    "challenges": "Low uptake of bowel screening\nStigma about talking about cancer\nLanguage barriers",
    "stakeholders": "GP practices\nFaith leaders\nLocal pharmacies\nHousing associations",
    "barriers": "Fear of a diagnosis\nScreening letters in English only\nLittle time off work",
    "opportunities": "Bowel Cancer Awareness Month in April\nCommunity iftar events\nPharmacy health checks",
    "vision": "Everyone in the borough knows the signs of cancer and takes up screening when invited.",
    "actions_organisations": "Share screening messages in newsletters\nHost a champions training session",
    "actions_groups": "Talk about screening at group meetings\nInvite a nurse to speak",
    "actions_individuals": "Become a cancer champion\nTalk to three friends about screening",
}


def _organisations(rng: random.Random, now: datetime) -> tuple[list[Organisation], list[Organisation]]:
    charities = []
    for index, (name, number) in enumerate(CANCER_CHARITIES):
        charities.append(_organisation(name, "charity", [BOROUGHS[index][0]], "partner", now, number))
    others = []
    for code, place, _ in BOROUGHS:
        for kind, pattern in rng.sample(KINDS, 7):
            others.append(
                _organisation(pattern.format(place=place), kind, [code], rng.choice(["aware", "engaged"]), now)
            )
    return charities, others


def _organisation(name, kind, boroughs, level, now, number=None) -> Organisation:

    organisation = Organisation(
        name=name,
        normalised_name=normalise_org_name(name),
        type=kind,
        charity_number=number,
        engagement_level=level,
        created_at=now - timedelta(days=400),
        boroughs=[db.session.get(Borough, code) for code in boroughs],
    )
    organisation.engagement_history.append(
        EngagementChange(from_level=None, to_level=level, reason="Added to the register", changed_at=now)
    )
    db.session.add(organisation)
    return organisation


def _contacts(rng: random.Random, organisations: list[Organisation], first: list[str], last: list[str]) -> None:
    for organisation in organisations:
        for _ in range(2):
            name = f"{rng.choice(first)} {rng.choice(last)}"
            consent = rng.random() < 0.8
            organisation.contacts.append(
                OrganisationContact(
                    name=name,
                    role=rng.choice(ROLES),
                    email=f"{name.lower().replace(' ', '.')}.{rng.randint(10, 999)}@example.org",
                    consent_to_contact=consent,
                    consent_recorded_at=organisation.created_at if consent else None,
                )
            )


def _workshop(kind, title, start, borough, host, capacity=30, **fields) -> Workshop:
    workshop = Workshop(
        type=kind,
        title=title,
        starts_at=start,
        ends_at=start + timedelta(hours=2, minutes=30),
        borough_code=borough,
        venue=fields.pop("venue", f"{host.name if host else 'Community'} meeting room"),
        host_organisation=host,
        capacity=capacity,
        **fields,
    )
    db.session.add(workshop)
    return workshop


def seed_workshops(rng: random.Random, now: datetime, champions: list[Champion], first, last) -> str:
    seed_awareness_moments()
    charities, others = _organisations(rng, now)
    _contacts(rng, charities + others, first, last)
    db.session.flush()
    staff = list(db.session.scalars(select(User).where(User.role == Role.STAFF.value)))
    # 20 co-design workshops, two in each borough, over the past year; every contact comes to one.
    everyone = [c for o in charities + others for c in o.contacts]
    rng.shuffle(everyone)
    codesign = []
    for index in range(20):
        code, place, _ = BOROUGHS[index % 10]
        hosts = [o for o in others if o.boroughs[0].code == code]
        start = (now - timedelta(days=350 - index * 16)).replace(hour=18, minute=0, second=0, microsecond=0)
        workshop = _workshop(
            "co_design",
            f"Co-design workshop {index // 10 + 1}: {place}",
            start,
            code,
            rng.choice(hosts),
            unregistered_count=rng.randint(0, 6),
            facilitators=staff,
            **OUTPUTS,
        )
        workshop.contacts = everyone[index * 8 : index * 8 + 8]
        codesign.append(workshop)
    # Three expert reference group meetings with the ten cancer charities.
    for number in range(3):
        start = (now - timedelta(days=300 - number * 90)).replace(hour=14, minute=0, second=0, microsecond=0)
        meeting = _workshop(
            "expert_reference_group",
            f"Expert reference group meeting {number + 1}",
            start,
            "manchester",
            None,
            venue="Programme office, Manchester",
            facilitators=staff,
        )
        meeting.contacts = [charity.contacts[0] for charity in charities]
    # Upcoming sessions in every borough, for champions to sign up to.
    upcoming = []
    for index, (code, place, _) in enumerate(BOROUGHS):
        start = (now + timedelta(days=3 + index * 4)).replace(hour=18, minute=30, second=0, microsecond=0)
        kind = "training" if index % 2 else "community_event"
        title = f"Cancer champions {'training' if index % 2 else 'get-together'} in {place}"
        upcoming.append(_workshop(kind, title, start, code, rng.choice(others), capacity=12))
    db.session.flush()
    _people(rng, codesign, upcoming, champions, others)
    return f"{len(codesign)} co-design workshops, 3 expert reference group meetings, {len(upcoming)} upcoming"


def _people(rng, codesign, upcoming, champions, organisations) -> None:
    active = [c for c in champions if c.stage in (Stage.ACTIVE.value, Stage.TRAINED.value)]
    for workshop in codesign:
        for champion in rng.sample(active, min(5, len(active))):
            db.session.add(
                WorkshopSignup(
                    workshop=workshop,
                    champion=champion,
                    status=SignupStatus.BOOKED.value,
                    checked_in_at=workshop.starts_at,
                    queued_at=workshop.starts_at - timedelta(days=10),
                )
            )
    recruited = rng.sample(champions, 40)
    for champion, workshop in zip(recruited[:25], rng.choices(codesign, k=25), strict=True):
        db.session.add(WorkshopRecruit(champion=champion, workshop_id=workshop.id, recorded_at=workshop.starts_at))
    for champion in recruited[25:]:
        champion.heard_via_organisation = rng.choice(organisations)
    for organisation in organisations:
        organisation.champions = rng.sample(champions, 2)
    for workshop in upcoming:
        local = [c for c in champions if c.borough_code == workshop.borough_code]
        for champion in local[:3]:
            db.session.add(WorkshopSignup(workshop=workshop, champion=champion, status=SignupStatus.BOOKED.value))
    db.session.flush()
