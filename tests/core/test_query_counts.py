"""No per-row queries: every page and export costs the same number of SQL statements however many rows it lists.

The test builds a world holding a few of every kind of record, walks every GET route as every role that may use
it and counts the statements each request runs; then it grows the world tenfold and walks again. A route whose
count grew runs a query per row (a lazy load in a template, a count in a loop): the failure names the route and
both counts. Routes with an id in the URL are walked for one record that holds the few, then the many, related
rows (a champion's timeline, an organisation, a workshop, a round...).

Nothing is skipped silently: every GET route is walked, or listed in ``NOT_WALKED`` with the reason.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from flask import url_for
from sqlalchemy import event, select

from champions.activities.services import log_activity
from champions.core import audit
from champions.core.clock import today_uk
from champions.core.db import now_utc
from champions.core.models import BOROUGHS, OutboxMessage, Topic
from champions.core.permissions import PUBLIC, SIGNED_IN, Role, access_rules
from champions.dashboards.models import DashboardJob
from champions.dashboards.sections import SECTIONS
from champions.dashboards.services import compute_programme_snapshot
from champions.dashboards.views import CSV_TABLES
from champions.grants.dashboard import compute_fund_snapshot, funder_tables
from champions.grants.services.reviews import assign_reviewers
from champions.moments.models import Moment
from champions.moments.services import save_moment
from champions.nudges.models import MessageStatus, NudgeMessage, NudgeRule
from champions.organisations.services import affiliate_champion, change_engagement
from champions.privacy.services import save_equality_answers
from champions.roster.importer.run import process
from champions.roster.importer.upload import create_job
from champions.roster.models import ExportJob
from champions.roster.staff_services import add_note
from champions.training.models import TrainingResource
from champions.training.services import complete
from champions.workshops.services import record_contact_attendance, record_recruit, save_outputs, sign_up
from champions.workshops.views.champion_pages import feed_token
from tests.factories import PASSWORD, Factory
from tests.feature_samples import route_args as feature_route_args
from tests.workshops.helpers import make_contact, make_org, make_workshop

pytestmark = pytest.mark.once

FEW, MANY = 3, 30
BOROUGH_CODES = [code for code, _, _ in BOROUGHS]

# GET routes the walk leaves out, and why. Every other GET route is walked; a new route must be walked or added here.
NOT_WALKED = {
    "static": "a file from disk, no database",
    "core.assets": "a file from disk, no database",
    "accounts.verify": "a one-time token for one person: no list",
    "accounts.reset": "a one-time token for one person: no list",
    "accounts.accept_invitation": "a one-time token for one person: no list",
    "nudges.unsubscribe": "a one-time token for one person: no list",
    "network.join": "a sign-up form reached by a referral code: no list",
    "organisations.merge": "the merge preview belongs to the merge rework (issue 12 point 2), tested there",
}

# Routes that run one statement more once their list fills more than its first page, and why: one more, whatever the
# rows, so a query per row still fails here.
ONE_MORE_PAST_A_PAGE = {
    "roster.staff_roster": "a first page with no next one is its own count; past it the matches are counted",
}


# ---------------------------------------------------------------------------------------------- the world


@dataclass
class World:
    """One viewer per role, a focus record of each kind, and ``grow(n)`` adding n more of everything."""

    db: object
    make: object
    viewers: dict[str, object] = field(default_factory=dict)
    focus: dict[str, object] = field(default_factory=dict)
    serial: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def start(self) -> World:
        for role in Role:
            self.viewers[role.value] = self.make.user(role=role.value)
        me = self.viewers["champion"].champion
        staff = self.viewers["staff"]
        reviewer, applicant, funder = (self.viewers[r] for r in ("reviewer", "applicant", "funder"))
        self.focus["champion"] = me
        self.focus["organisation"] = make_org(self.db, "Focus Group")
        self.focus["workshop"] = make_workshop(self.db, host=self.focus["organisation"], capacity=500)
        self.focus["fund"] = self.make.fund(funders=[funder])
        self.focus["round"] = self.make.round(self.focus["fund"], reviewers=[reviewer])
        self.focus["application"] = self.make.application(self.focus["round"], applicant, status="reported")
        self.focus["reviewing"] = self.make.application(self.focus["round"], applicant, status="under_review")
        self.focus["import"] = create_job(
            "people.csv", self._csv(1), source="Partner", lawful_basis="consent", by_user_id=staff.id
        )
        self.focus["export"] = ExportJob(created_by_id=staff.id, status="done", content="id\r\n1\r\n")
        self.focus["job"] = DashboardJob()
        self.focus["outbox"] = OutboxMessage(to_address="a@example.org", subject="Hello", text_body="Hi")
        self.db.session.add_all([self.focus["export"], self.focus["job"], self.focus["outbox"]])
        self.db.session.commit()
        self.focus["moment"] = self._moment()
        self.focus["resource"] = self._resource()
        return self

    def _csv(self, rows: int) -> bytes:
        lines = ["email,first name,last name,postcode,borough"]
        lines += [f"imported{next(self.serial)}@example.org,Ann,Lee,M1 1AE,Bury" for _ in range(rows)]
        return ("\r\n".join(lines) + "\r\n").encode()

    def _moment(self) -> Moment:
        n = next(self.serial)
        start = today_uk() + timedelta(days=n % 300)
        moment = save_moment(
            Moment(), topic_codes=self.topics[:2], name=f"Moment {n}", start_date=start, end_date=start
        )
        self.db.session.commit()
        return moment

    def _resource(self) -> TrainingResource:
        n = next(self.serial)
        resource = TrainingResource(title=f"Course {n}", summary="S", format="video", minutes=5, position=n)
        resource.topic_code = self.topics[n % len(self.topics)]
        self.db.session.add(resource)
        self.db.session.commit()
        return resource

    @property
    def topics(self) -> list[str]:
        return list(self.db.session.scalars(select(Topic.code).order_by(Topic.code)))

    def grow(self, n: int) -> None:
        for _ in range(n):
            self._one_more()
        self._grants(n)
        self._import_rows(n)
        compute_programme_snapshot()
        compute_fund_snapshot(self.focus["fund"].id)
        self.db.session.commit()

    def _import_rows(self, n: int) -> None:
        """n more lines in the focus import, checked by a dry run (which writes a report row per line)."""
        job = self.focus["import"]
        job.content += self._csv(n).decode().split("\r\n", 1)[1]
        job.total_rows += n
        for _ in process(job, dry_run=True):
            pass

    def _one_more(self) -> None:
        """One more of every kind, each tied to the focus records and the viewers."""
        me, org, workshop = self.focus["champion"], self.focus["organisation"], self.focus["workshop"]
        # Each row gets its own related records (author, borough, rule...): a lazy load of one shared
        # record would hit the identity map and hide the per-row query.
        staff = self.make.user(role="staff")
        borough = BOROUGH_CODES[next(self.serial) % len(BOROUGH_CODES)]
        name = {"first_name": "Sam", "last_name": f"Lee{next(self.serial)}", "postcode": "M1 1AE"}
        champion = self.make.champion(borough_code=borough, **name)
        self.make.champion(borough_code=borough, **name)  # a likely duplicate, for the duplicates pages
        champion.recruited_by_id = me.id
        resource = self._resource()
        self._moment()
        for who in (me, champion):
            log_activity(who, _activity())
            complete(who, resource, "Useful")
            add_note(who, "Called about the next workshop", staff.id)
            save_equality_answers(who.user_id, {"age_band": "25-34"})
        other_org = make_org(self.db, f"Group {next(self.serial)}", boroughs=(borough,))
        make_org(self.db, other_org.name.upper(), boroughs=(borough,))  # a likely duplicate
        contact = make_contact(self.db, org, f"Contact {next(self.serial)}", champion_id=champion.id)
        make_contact(self.db, other_org, f"Contact {next(self.serial)}", champion_id=champion.id)
        affiliate_champion(org, champion)
        affiliate_champion(other_org, me)
        change_engagement(org, "engaged" if org.engagement_level != "engaged" else "aware", "Met them", staff.id)
        starts = now_utc() + timedelta(days=next(self.serial))
        other_workshop = make_workshop(self.db, host=other_org, starts=starts, borough=borough)
        other_workshop.facilitators.append(staff)
        save_outputs(other_workshop, challenges="Trust", vision="Screening for all")
        sign_up(workshop.id, champion.id)
        sign_up(other_workshop.id, me.id)
        record_contact_attendance(workshop, contact)
        record_recruit(workshop, champion)
        rule = self._rule()
        self._nudge(rule, me.user_id)
        self._nudge(rule, champion.user_id)
        audit.record("test.event", champion, actor_id=staff.id)
        self.db.session.add(OutboxMessage(to_address=f"x{next(self.serial)}@example.org", subject="S", text_body="B"))
        workshop.facilitators.append(staff)
        self.db.session.commit()

    def _rule(self) -> NudgeRule:
        first = self.db.session.scalar(select(NudgeRule).order_by(NudgeRule.id))
        n = next(self.serial)
        rule = NudgeRule(key=f"rule-{n}", name=f"Rule {n}", condition=first.condition, params=dict(first.params))
        rule.subject, rule.body_text, rule.body_html = first.subject, first.body_text, first.body_html
        self.db.session.add(rule)
        self.db.session.flush()
        return rule

    def _nudge(self, rule: NudgeRule, user_id: int) -> None:
        when = now_utc()
        self.db.session.add(
            NudgeMessage(
                rule_id=rule.id,
                user_id=user_id,
                period=next(self.serial),
                status=MessageStatus.SENT.value,
                due_at=when,
                sent_at=when,
                attempts=1,
            )
        )

    def _grants(self, n: int) -> None:
        round_, applicant = self.focus["round"], self.viewers["applicant"]
        statuses = ["draft", "eligible", "under_review", "approved", "declined", "paid_part", "reported", "closed"]
        for i in range(n):
            self.make.application(round_, applicant, status=statuses[i % len(statuses)])
            reviewer = self.make.user(role="reviewer")
            round_.reviewers.append(reviewer)
            assign_reviewers(self.focus["reviewing"], [reviewer.id])
            self.make.round(self.focus["fund"], name=f"Round {next(self.serial)}", reviewers=[self.viewers["reviewer"]])
        for _ in range(n):
            self.make.fund(name=f"Fund {next(self.serial)}", funders=[self.viewers["funder"]])


def _activity() -> dict:
    return {
        "type": "conversation",
        "occurred_on": today_uk() - timedelta(days=1),
        "borough_code": "bolton",
        "topic_code": "smoking",
        "people_reached": 3,
        "notes": "Talked at the bus stop",
    }


# ---------------------------------------------------------------------------------------------- the walk


@dataclass(frozen=True)
class Visit:
    endpoint: str
    role: str | None
    args: tuple[tuple[str, object], ...] = ()

    def __str__(self) -> str:
        shown = ", ".join(f"{k}={v}" for k, v in self.args)
        return f"{self.endpoint}({shown}) as {self.role or 'anonymous'}"


def _roles(endpoint: str) -> list[Role | None]:
    """Who to walk a route as: each kind of visitor once (an admin sees the staff pages as staff do)."""
    rule = access_rules()[endpoint]
    if rule == PUBLIC:
        return [None, Role.CHAMPION]
    if Role.STAFF in rule and rule != SIGNED_IN:
        rule = rule - {Role.ADMIN}
    return sorted(rule)


def _id_args(world: World) -> dict[str, list[dict]]:
    """Arguments for the routes with parameters: the focus record, the one holding many related rows."""
    f = world.focus
    application = f["application"]
    champion, org, workshop, round_ = f["champion"], f["organisation"], f["workshop"], f["round"]
    fund_tables = funder_tables(compute_fund_snapshot(f["fund"].id).data)
    org_args = {"organisation_id": org.id}
    return {
        # What features offer in tests/<feature>/samples.py (the entries below, on the focus record, come first).
        **{endpoint: [args] for endpoint, args in feature_route_args(world.db, Factory(world.db)).items()},
        "roster.staff_champion": [{"champion_id": champion.id}],
        "roster.staff_equality": [{"champion_id": champion.id}],
        "privacy.equality_person": [{"user_id": champion.user_id}],
        "organisations.organisation_detail": [org_args],
        "organisations.organisation_edit": [org_args],
        "organisations.contact_new": [org_args],
        "organisations.contact_edit": [{**org_args, "contact_id": org.contacts[0].id}],
        "workshops.workshop_detail": [{"workshop_id": workshop.id}],
        "workshops.workshop_edit": [{"workshop_id": workshop.id}],
        "workshops.workshop_outputs": [{"workshop_id": workshop.id}],
        "workshops.workshop_report": [{"workshop_id": workshop.id}],
        "workshops.champion_workshop": [{"workshop_id": workshop.id}],
        "workshops.workshop_ics": [{"workshop_id": workshop.id}],
        "workshops.calendar_subscription": [{"token": feed_token(world.viewers["champion"])}],
        "grants.fund": [{"fund_id": f["fund"].id}],
        "grants.round_new": [{"fund_id": f["fund"].id}],
        "grants.round_detail": [{"round_id": round_.id}],
        "grants.round_csv": [{"round_id": round_.id}],
        "grants.panel": [{"round_id": round_.id}],
        "grants.panel_csv": [{"round_id": round_.id}],
        "grants.round_edit": [{"round_id": round_.id}],
        "grants.payment": [{"payment_id": application.payments[0].id}],
        "grants.staff_report": [{"application_id": application.id}],
        "grants.apply": [{"round_id": round_.id}],
        "grants.application": [{"application_id": a.id} for a in (application, f["reviewing"])],
        "grants.my_application": [{"application_id": application.id}],
        "grants.edit_application": [{"application_id": application.id}],
        "grants.report": [{"application_id": application.id}],
        "grants.review": [{"assignment_id": application.assignments[0].id}],
        "grants.funder_dashboard": [{"fund_id": f["fund"].id}],
        "grants.funder_csv": [{"fund_id": f["fund"].id, "table": table} for table in sorted(fund_tables)],
        "grants.funder_recompute_status": [{"fund_id": f["fund"].id}],
        "dashboards.table_csv": [{"table": table} for table in CSV_TABLES],
        "dashboards.job_status": [{"job_id": f["job"].id}],
        "dashboards.section": [{"section": section.slug} for section in SECTIONS],
        "roster.staff_import": [{"job_id": f["import"].id}],
        "roster.staff_import_status": [{"job_id": f["import"].id}],
        "roster.staff_import_report": [{"job_id": f["import"].id}],
        "roster.staff_export": [{"export_id": f["export"].id}],
        "roster.staff_export_status": [{"export_id": f["export"].id}],
        "roster.staff_export_download": [{"export_id": f["export"].id}],
        "core.outbox_message": [{"message_id": f["outbox"].id}],
        "accounts.admin_user": [{"user_id": champion.user_id}],
        "nudges.rule_edit": [{"rule_id": world.db.session.scalar(select(NudgeRule.id).order_by(NudgeRule.id))}],
        "moments.moment_edit": [{"moment_id": f["moment"].id}],
        "training.resource": [{"resource_id": f["resource"].id}],
        "training.staff_resource_edit": [{"resource_id": f["resource"].id}],
        "activities.activity_edit": [{"activity_id": _first_activity(world)}],
        "activities.activity_delete": [{"activity_id": _first_activity(world)}],
    }


def _first_activity(world: World) -> int:
    from champions.activities.models import Activity

    return world.db.session.scalar(select(Activity.id).where(Activity.champion_id == world.focus["champion"].id))


def visits(app, world: World) -> list[Visit]:
    id_args = _id_args(world)
    found = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in NOT_WALKED:
            continue
        if rule.arguments and rule.endpoint not in id_args:
            continue  # reported by the coverage assertion below
        arg_sets = id_args.get(rule.endpoint, [{}]) if rule.arguments else [{}]
        for args in arg_sets:
            for role in _roles(rule.endpoint):
                found.append(Visit(rule.endpoint, role, tuple(sorted(args.items()))))
    return sorted(set(found), key=str)


class Counter:
    """Statements the visit runs: those of this thread only (the test client runs the page in it), not a query some
    other thread of the process (a worker or server an earlier test left running down) happens to run meanwhile."""

    def __init__(self):
        self.count = 0
        self.thread = threading.get_ident()

    def __call__(self, *args) -> None:
        if threading.get_ident() == self.thread:
            self.count += 1


@contextmanager
def counting(engine) -> Iterator[Counter]:
    counter = Counter()
    event.listen(engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", counter)


def measure(app, db, clients: dict, plan: list[Visit]) -> dict[Visit, tuple[int, int]]:
    """The statements each visit runs, and its status code."""
    results = {}
    held = list(db.session.identity_map.values())  # the test's own records: handed back to the session after the walk
    for visit in plan:
        client = clients[visit.role]
        with app.test_request_context():
            url = url_for(visit.endpoint, **dict(visit.args))
        # Each visit starts as a real request does, knowing no record yet: what the shared session still holds from
        # earlier visits (or has lost to the garbage collector) must not change how many queries a page runs.
        db.session.expunge_all()
        with counting(db.engine) as counter:
            response = client.get(url)
        results[visit] = (counter.count, response.status_code)
    db.session.expunge_all()
    db.session.add_all(held)
    db.session.expire_all()
    return results


def _clients(app, world: World) -> dict[str | None, object]:
    clients: dict[str | None, object] = {None: app.test_client()}
    for role, user in world.viewers.items():
        client = app.test_client()
        response = client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, role
        clients[Role(role)] = client
    return clients


# ---------------------------------------------------------------------------------------------- the tests


def test_every_get_route_is_walked_or_excused(app, db, make, clock):
    clock.set(datetime(2026, 3, 10, 11, 0))
    world = World(db, make).start()
    world.grow(1)
    walked = {v.endpoint for v in visits(app, world)}
    every_get = {r.endpoint for r in app.url_map.iter_rules() if "GET" in r.methods}
    assert every_get - walked - set(NOT_WALKED) == set(), "GET routes neither walked nor listed in NOT_WALKED"
    assert set(NOT_WALKED) <= every_get, "NOT_WALKED names a route that no longer exists"


def test_no_route_runs_a_query_per_row(app, db, make, clock):
    clock.set(datetime(2026, 3, 10, 11, 0))
    world = World(db, make).start()
    world.grow(FEW)
    clients = _clients(app, world)
    plan = visits(app, world)
    few = measure(app, db, clients, plan)
    world.grow(MANY - FEW)
    many = measure(app, db, clients, plan)
    errors = [v for v in plan if few[v][1] >= 500 or many[v][1] >= 500]
    assert not errors, [f"{v}: {few[v][1]} / {many[v][1]}" for v in errors]
    grew = [
        f"{v}: {few[v][0]} queries with {FEW} rows, {many[v][0]} with {MANY}"
        for v in plan
        if many[v][0] > few[v][0] + (1 if v.endpoint in ONE_MORE_PAST_A_PAGE else 0)
    ]
    assert not grew, "\n".join(grew)
    # The walk reached real pages, not only refusals and redirects.
    assert sum(1 for v in plan if many[v][1] == 200) > 100
