"""Demo Small Sparks data: the first round as reported (£60,000 across 47 groups, about £1,300 each),
and a second round open now, with applications in every state of the lifecycle.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select

from champions.accounts.models import User
from champions.accounts.services import hash_password
from champions.core.db import now_utc
from champions.core.permissions import Role
from champions.demo.outcomes import seed_report_outcomes
from champions.extensions import db
from champions.grants.dashboard import compute_fund_snapshot
from champions.grants.models import Application, Fund, Round, Status
from champions.grants.services import applications, awards, groups, lifecycle, reports, reviews, rounds
from champions.grants.services.groups import GroupDetails
from champions.organisations.models import Organisation
from champions.organisations.services import create_organisation

FIRST_ROUND_BUDGET = 6_000_000  # £60,000
FIRST_ROUND_GRANTS = 47
THEMES = ["Social isolation", "Screening and early diagnosis", "Healthy lives"]
CRITERIA = [("Reach into communities facing inequality", 3), ("Link to cancer prevention", 2), ("Value for money", 1)]
GROUP_KINDS = (
    "Knit and Natter, Walking Group, Men's Shed, Community Choir, Allotment Society, Tenants' Association, "
    "Carers' Circle, Friendship Club, Somali Women's Group, Chess Club, Youth Boxing, Lunch Club, "
    "Refugee Welcome, Bangladeshi Elders, Polish Saturday School, Dance Fit, Gardening Friends, Parkrun Buddies"
).split(", ")
PLACES = {
    "bolton": ["Farnworth", "Breightmet", "Little Lever"],
    "bury": ["Radcliffe", "Ramsbottom", "Prestwich"],
    "manchester": ["Moss Side", "Gorton", "Harpurhey", "Longsight", "Wythenshawe"],
    "oldham": ["Glodwick", "Failsworth", "Chadderton"],
    "rochdale": ["Heywood", "Middleton", "Kirkholt"],
    "salford": ["Eccles", "Little Hulton", "Ordsall"],
    "stockport": ["Brinnington", "Reddish", "Edgeley"],
    "tameside": ["Hyde", "Ashton", "Denton"],
    "trafford": ["Partington", "Old Trafford", "Sale West"],
    "wigan": ["Leigh", "Hindley", "Ince"],
}
DEMO_DISTRICTS = {
    "bolton": "BL4",
    "bury": "BL9",
    "manchester": "M12",
    "oldham": "OL4",
    "rochdale": "OL11",
    "salford": "M30",
    "stockport": "SK5",
    "tameside": "SK14",
    "trafford": "M31",
    "wigan": "WN7",
}
PROJECTS = [
    ("Tea, talk and bowel screening", "Weekly tea mornings where a champion talks about bowel screening kits"),
    ("Walk and talk", "Guided walks for people who live alone, with a health chat at the end"),
    ("Cook well, live well", "Cooking sessions on healthy eating on a budget"),
    ("Shed talks", "Talks in the men's shed about symptoms men often ignore"),
    ("Sing for health", "A choir for isolated older people, with screening reminders"),
    ("Stop smoking buddies", "Peer support for people who want to stop smoking"),
]


def _award_sizes(rng: random.Random) -> list[int]:
    """47 awards around £1,300, in £50 steps, that add up to exactly £60,000."""
    sizes = [rng.choice(range(90_000, 170_001, 5_000)) for _ in range(FIRST_ROUND_GRANTS)]
    gap = FIRST_ROUND_BUDGET - sum(sizes)
    step = 5_000 if gap > 0 else -5_000
    i = 0
    while gap:
        j = i % FIRST_ROUND_GRANTS
        if 50_000 <= sizes[j] + step <= 200_000 and abs(gap) >= 5_000:
            sizes[j] += step
            gap -= step
        elif abs(gap) < 5_000:
            sizes[j] += gap
            gap = 0
        i += 1
    return sizes


def _group(rng: random.Random, used: set[str]) -> tuple[str, str]:
    while True:
        borough = rng.choice(list(PLACES))
        name = f"{rng.choice(PLACES[borough])} {rng.choice(GROUP_KINDS)}"
        if name not in used:
            used.add(name)
            return name, borough


def _organisation(name: str, borough: str, **values) -> Organisation:
    # Each group on the register has the postcode of a district in its borough: what it types matches.
    postcode = f"{DEMO_DISTRICTS[borough]} {len(name) % 9 + 1}AB"
    return create_organisation(name, type="grassroots", borough_codes=[borough], postcode=postcode, **values)


def _data(
    rng: random.Random, organisation: Organisation, borough: str, amount: int, start: date
) -> applications.ApplicationData:
    title, summary = rng.choice(PROJECTS)
    room = (amount * rng.choice([5, 6, 7]) // 10) // 100 * 100
    organisation_id = organisation.id
    return applications.ApplicationData(
        group=GroupDetails(organisation.name, "constituted", None, organisation.postcode),
        contact_name=rng.choice(["Pat", "Sam", "Nasreen", "Tomasz", "Grace", "Ifeoma"])
        + " "
        + rng.choice(["Ali", "Hughes", "Kowalski", "Okafor", "Shah"]),
        contact_email=f"group{organisation_id}@example.org",
        contact_phone="0161 496 0000",
        title=title,
        summary=summary,
        activities="Twelve weekly sessions in a community venue, each with a short talk from a cancer champion.",
        beneficiaries="Older people and carers who rarely leave home, many of whom have never been screened.",
        theme=rng.choice(THEMES),
        borough_codes=[borough],
        people_expected=rng.randint(25, 200),
        amount_requested_pence=amount,
        start_on=start,
        end_on=start + timedelta(days=rng.choice([90, 120, 180])),
        budget_lines=[("Venue hire", room), ("Refreshments and materials", amount - room)],
    )


def _reviewers(demo_reviewer: User | None) -> list[User]:

    panel = [demo_reviewer] if demo_reviewer else []
    shared = hash_password("demo-panel-pass-not-for-use")
    for n in (1, 2):
        panel.append(User(email=f"panel{n}@champions.example", password_hash=shared, role=Role.REVIEWER.value))
    db.session.add_all(panel)
    db.session.flush()
    return panel


def _review(rng: random.Random, application: Application, reviewers: list[User], base: int) -> None:
    reviews.assign_reviewers(application, [r.id for r in reviewers])
    for assignment in application.assignments:
        reviews.declare_conflict(assignment, False, None)
        scores = {c.id: (max(1, min(5, base + rng.randint(-1, 1))), "") for c in application.round.criteria}
        reviews.submit_scores(assignment, scores)


def _first_round(rng, fund, reviewers, applicant, used: set[str]) -> None:
    now = now_utc()
    round_ = rounds.create_round(
        fund,
        rounds.RoundData(
            "Small Sparks round 1",
            FIRST_ROUND_BUDGET,
            50_000,
            200_000,
            THEMES[:1] + THEMES[1:],
            list(PLACES),
            now - timedelta(days=1),
            now + timedelta(days=1),
            2,
            CRITERIA,
        ),
    )
    round_.reviewers = reviewers[:2]
    today = now.date()
    sizes = _award_sizes(rng)
    outcomes = ["closed"] * 18 + ["reported"] * 10 + ["paid_full"] * 11 + ["paid_part"] * 5 + ["approved"] * 3
    rng.shuffle(outcomes)
    plan = (
        [("award", a, o) for a, o in zip(sizes, outcomes, strict=True)]
        + [("decline", 0, "")] * 9
        + [("ineligible", 0, "")] * 4
    )
    for index, (kind, award, outcome) in enumerate(plan):
        name, borough = _group(rng, used)
        org = _organisation(name, borough, engagement_level="engaged")
        amount = award if kind == "award" else rng.choice(range(100_000, 200_001, 10_000))
        start = today - timedelta(days=rng.randint(200, 400))
        owner = applicant if index == 0 and applicant else None
        data = _data(rng, org, borough, amount, start)
        if kind == "ineligible":
            data.amount_requested_pence = 200_000
            data.budget_lines = [("Venue hire", 150_000), ("Equipment", 50_000)]
        application = applications.save_draft(round_, owner, data)
        groups.confirm_organisation(application, org, "proposed match")
        applications.submit(round_, data, owner, application)
        # Round 1 is history: its emails went long ago, so the workers must not send them now.
        application.submitted_email_sent_at = application.decision_email_sent_at = now
        if kind == "ineligible":
            applications.override_eligibility(application, False, "The group is a national charity, not a local group")
            continue
        _review(rng, application, reviewers[:2], 4 if kind == "award" else 2)
        if kind == "decline":
            awards.decline(application, "The panel funded projects with a stronger link to cancer prevention", None)
            continue
        awards.approve(application.id, award, "Send photos of the sessions, with consent", None)
        application.decided_at = now - timedelta(days=(today - start).days + 21)  # the panel met before it started
        _pay_and_report(rng, application, outcome, today, owner is not None)
    # Its applications closed long ago; the round itself stays open while grants still owe their reports.
    round_.opens_at, round_.closes_at = now - timedelta(days=560), now - timedelta(days=470)


def _pay_and_report(rng, application, outcome, today, keep_open_for_applicant) -> None:
    if keep_open_for_applicant:
        outcome = "paid_full"
    award = application.award_pence
    first_pay = application.start_on
    if outcome == "approved":
        application.report_due_on = today + timedelta(days=rng.randint(20, 90))
        return
    if outcome == "paid_part":
        awards.add_payment(application.id, award // 2, first_pay, first_pay, f"SS1-{application.id}-A")
        awards.add_payment(application.id, award - award // 2, application.end_on, None, None, waits_on_report=True)
        application.report_due_on = today + timedelta(days=rng.randint(5, 60))
        return
    awards.add_payment(application.id, award, first_pay, first_pay, f"SS1-{application.id}")
    if outcome == "paid_full":
        # Some are due soon, some are overdue: the funder dashboard lists the overdue ones.
        application.report_due_on = today + timedelta(days=rng.choice([-40, -12, -3, 10, 25, 45]))
        if keep_open_for_applicant:
            application.report_due_on = today + timedelta(days=21)
        return
    spent = {line.id: line.amount_pence - rng.choice([0, 0, 500, 1_000]) for line in application.budget_lines}
    people = rng.randint(30, 260)
    story = "Mo came every week. After the screening talk she sent back her bowel kit for the first time."
    reports.submit_report(
        application,
        reports.ReportData(
            spent,
            people,
            rng.randint(0, 12),
            "Weekly sessions with a champion's talk",
            "People made friends and several asked their GP about screening",
            story,
            rng.random() < 0.7,
        ),
    )
    if outcome == "closed":
        reports.approve_report(application)
        awards.close(application, "Report accepted")


def _second_round(rng, fund, reviewers, applicant, used: set[str]) -> None:
    now = now_utc()
    round_ = rounds.create_round(
        fund,
        rounds.RoundData(
            "Small Sparks round 2",
            3_000_000,
            50_000,
            200_000,
            THEMES,
            list(PLACES)[:8],
            now - timedelta(days=20),
            now + timedelta(days=25),
            2,
            CRITERIA,
        ),
    )
    round_.reviewers = reviewers
    states = (
        ["draft"] * 3
        + ["submitted", "eligible", "eligible", "ineligible"]
        + ["under_review"] * 4
        + ["scored", "approved", "declined", "awaiting_approval"]
    )
    for index, state in enumerate(states):
        name, borough = _group(rng, used)
        while borough in ("trafford", "wigan"):  # not eligible in round 2
            name, borough = _group(rng, used)
        if state == "ineligible":
            borough = "wigan"
        org = _organisation(name, borough)
        data = _data(rng, org, borough, rng.choice(range(80_000, 200_001, 10_000)), now.date() + timedelta(days=60))
        owner = applicant if applicant and index in (0, 7) else None
        application = applications.save_draft(round_, owner, data)
        if state not in ("submitted", "eligible"):
            # The newest applications wait for staff to confirm the register's proposed match.
            groups.confirm_organisation(application, org, "proposed match")
        if state == "draft":
            continue
        if state == "submitted":
            # Submitted moments ago; the eligibility check has not run yet.
            application.submitted_at = now
            lifecycle.move(application, Status.SUBMITTED)
            continue
        applications.submit(round_, data, owner, application)
        if state in ("eligible", "ineligible"):
            continue
        if state == "under_review":
            reviews.assign_reviewers(application, [r.id for r in reviewers[:2]])
            continue
        _review(rng, application, reviewers, 4 if state != "declined" else 2)
        if state == "approved":
            awards.approve(application.id, application.amount_requested_pence, None, None)
        elif state == "awaiting_approval":
            _awaiting_second_approval(round_, application)
        elif state == "declined":
            awards.decline(application, "The panel funded projects with a stronger link to cancer prevention", None)


def _awaiting_second_approval(round_: Round, application: Application) -> None:
    """The round asks (from now on) for a second approval above £1,500: staff approved this one's £2,000 once."""
    round_.second_approval_above_pence = 150_000
    staff = db.session.scalar(select(User.id).where(User.email == "staff@champions.example"))
    application.amount_requested_pence = 200_000
    application.budget_lines[0].amount_pence += 200_000 - sum(line.amount_pence for line in application.budget_lines)
    awards.approve(application.id, 200_000, "Send photos of the sessions, with consent", staff)


def seed_grants(rng: random.Random) -> str:
    users = {u.email: u for u in db.session.scalars(select(User).where(User.email.like("%@champions.example")))}
    applicant = users.get("applicant@champions.example")
    funder = users.get("funder@champions.example")
    fund = Fund(
        name="Small Sparks", funder_organisation="Greater Manchester Cancer", funders=[funder] if funder else []
    )
    db.session.add(fund)
    db.session.flush()
    reviewers = _reviewers(users.get("reviewer@champions.example"))
    used: set[str] = set()  # one register: no group added twice
    _first_round(rng, fund, reviewers, applicant, used)
    _second_round(rng, fund, reviewers, applicant, used)
    db.session.flush()
    seed_report_outcomes()  # who the reporting groups signposted, from random numbers of its own
    compute_fund_snapshot(fund.id)
    return f"Small Sparks: {lifecycle.awarded_total(fund.rounds[0].id) // 100:,} pounds awarded in round 1"
