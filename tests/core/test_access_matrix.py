"""Every route × every role (and anonymous) against the one table of rules in core/permissions.py."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from champions.core.clock import today_uk
from champions.core.models import OutboxMessage
from champions.core.permissions import PUBLIC, Role, access_rules
from champions.dashboards.models import DashboardJob
from champions.nudges.models import NudgeRule
from champions.privacy.services import save_equality_answers
from champions.training.models import TrainingResource
from tests.factories import PASSWORD
from tests.feature_samples import route_args as feature_route_args
from tests.workshops.helpers import workshop_sample_args

pytestmark = pytest.mark.once

ROLES: list[Role | None] = [None, *Role]


def sample_args(db, make) -> dict[str, dict]:
    message = OutboxMessage(to_address="someone@example.org", subject="Hello", text_body="Hi")
    db.session.add(message)
    someone = make.champion()
    activity = make.activity(someone, occurred_on=today_uk(), borough_code="bolton", people_reached=2)
    save_equality_answers(someone.user_id, {"age_band": "25-34"})
    db.session.commit()
    resource = db.session.scalar(select(TrainingResource).limit(1))
    rule = db.session.scalar(select(NudgeRule).limit(1))
    job = DashboardJob()
    db.session.add(job)
    db.session.commit()
    workshops = workshop_sample_args(db)
    application = make.application(status="under_review")
    fund = application.round.fund
    assignment = application.assignments[0]
    crm = crm_samples(db)
    reported = make.application(status="reported")
    return {
        **feature_route_args(db, make),  # what features offer in tests/<feature>/samples.py
        **workshops,
        **crm,
        "grants.apply": {"round_id": application.round_id},
        "grants.edit_application": {"application_id": application.id},
        "grants.my_application": {"application_id": application.id},
        "grants.report": {"application_id": application.id},
        "grants.review": {"assignment_id": assignment.id},
        "grants.fund": {"fund_id": fund.id},
        "grants.round_new": {"fund_id": fund.id},
        "grants.round_detail": {"round_id": application.round_id},
        "grants.round_csv": {"round_id": application.round_id},
        "grants.panel": {"round_id": application.round_id},
        "grants.panel_csv": {"round_id": application.round_id},
        "grants.application": {"application_id": application.id},
        "grants.act": {"application_id": application.id, "action": "approve"},
        "grants.confirm_group": {"application_id": application.id},  # its forms are on the application's page
        "grants.group_limit": {"application_id": application.id},
        "grants.round_edit": {"round_id": application.round_id},
        "grants.payment": {"payment_id": reported.payments[0].id},
        "grants.payment_act": {"payment_id": reported.payments[0].id, "action": "correct"},
        "grants.staff_report": {"application_id": reported.id},
        "grants.report_act": {"application_id": reported.id, "action": "return"},
        "grants.funder_dashboard": {"fund_id": fund.id},
        "grants.funder_csv": {"fund_id": fund.id, "table": "money"},
        "grants.funder_recompute": {"fund_id": fund.id},
        "grants.funder_recompute_status": {"fund_id": fund.id},
        "static": {"filename": "css/app.css"},
        "core.assets": {"package": "nhsuk", "filename": "nhsuk-frontend.min.css"},
        "core.outbox_message": {"message_id": message.id},
        "accounts.verify": {"token": "not-a-real-token"},
        "accounts.verify_continue": {"token": "not-a-real-token"},
        "accounts.reset": {"token": "not-a-real-token"},
        "training.resource": {"resource_id": resource.id},
        "activities.activity_edit": {"activity_id": activity.id},
        "activities.activity_delete": {"activity_id": activity.id},
        "network.join": {"code": someone.referral_code},
        "privacy.email_consent": {"choice": "off"},
        "privacy.equality_person": {"user_id": someone.user_id},
        "nudges.rule_edit": {"rule_id": rule.id},
        "nudges.unsubscribe": {"token": "not-a-real-token"},
        "nudges.nudge_kind_preference": {"kind": "quiet", "choice": "off"},
        "dashboards.job_status": {"job_id": job.id},
        "dashboards.table_csv": {"table": "boroughs"},
        "dashboards.section": {"section": "boroughs"},
    }


def crm_samples(db) -> dict[str, dict]:
    """Real objects for the staff CRM's routes (issue 4)."""
    from champions.accounts.admin_models import Invitation
    from champions.accounts.tokens import invitation_token
    from champions.roster.importer.upload import create_job
    from champions.roster.models import ExportJob
    from champions.training.models import TrainingResource
    from tests.factories import Factory

    make = Factory(db)
    one, two = make.champion(), make.champion()
    staff = make.user(role="staff")
    job = create_job(
        "x.csv",
        b"email,first name,last name,postcode,borough\r\na@example.org,A,B,M1 1AE,Bury\r\n",
        source="Partner",
        lawful_basis="consent",
        by_user_id=staff.id,
    )
    export = ExportJob(created_by_id=staff.id, status="done", content="id\r\n")
    resource = TrainingResource(title="Intro", summary="S", format="video", minutes=5)
    invitation = Invitation(email="invited@example.org", role="staff")
    db.session.add_all([export, resource, invitation])
    db.session.commit()
    champion = {"champion_id": one.id}
    return {
        "roster.staff_champion": champion,
        "roster.staff_add_note": champion,
        "roster.staff_change_stage": champion,
        "roster.staff_set_leader": champion,
        "roster.staff_equality": champion,
        "roster.staff_export": {"export_id": export.id},
        "roster.staff_export_status": {"export_id": export.id},
        "roster.staff_export_download": {"export_id": export.id},
        "roster.staff_import": {"job_id": job.id},
        "roster.staff_import_run": {"job_id": job.id},
        "roster.staff_import_status": {"job_id": job.id},
        "roster.staff_import_report": {"job_id": job.id},
        "roster.staff_merge": {"keep": one.id, "remove": two.id},
        "training.staff_resource_edit": {"resource_id": resource.id},
        "training.staff_resource_move": {"resource_id": resource.id},
        "training.staff_resource_retire": {"resource_id": resource.id},
        "accounts.admin_user": {"user_id": staff.id},
        "accounts.admin_change_role": {"user_id": staff.id},
        "accounts.admin_set_active": {"user_id": staff.id},
        "accounts.accept_invitation": {"token": invitation_token(invitation)},
    }


def routes(app):
    # Signing out ends the session the rest of the walk needs, so it goes last.
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint == "accounts.logout"):
        method = "GET" if "GET" in rule.methods else "POST"
        yield rule, method


def test_every_route_has_a_declared_rule(app):
    missing = sorted({rule.endpoint for rule, _ in routes(app)} - set(access_rules()))
    assert missing == [], f"routes no feature declares a rule for (Feature.access in its feature.py): {missing}"


def test_every_declared_rule_names_a_real_route(app):
    endpoints = {rule.endpoint for rule, _ in routes(app)}
    assert sorted(set(access_rules()) - endpoints) == []


def _client_for(app, make, role):
    client = app.test_client()
    if role is not None:
        user = make.user(role=role.value)
        assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return client


def _api_headers(db, make, role) -> dict[str, str]:
    """The API takes no session cookie: its routes are walked with a token of the role's, holding every scope the
    role may give one (none for a role the API offers nothing)."""
    from champions.api.tokens import resources_for
    from tests.api.helpers import bearer, token_for

    if role is None or not resources_for(role.value):
        return {}
    return bearer(token_for(db, make.user(role=role.value)))


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "anonymous")
def test_each_route_answers_each_role_as_declared(app, db, make, role):
    args = sample_args(db, make)
    client = _client_for(app, make, role)
    api_headers = _api_headers(db, make, role)
    failures = []
    for rule, method in routes(app):
        url = rule.build(args.get(rule.endpoint, {}))[1]
        allowed = access_rules().get(rule.endpoint)
        if url.startswith("/api/") and allowed != PUBLIC:
            method = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})[0]  # one each: PATCH is walked as PATCH
            response = client.open(url, method=method, headers=api_headers)
            may = role is not None and allowed is not None and role in allowed
            if response.status_code >= 500 or (may and response.status_code in (401, 403)):
                failures.append(f"{method} {url} answered {role}'s token with {response.status_code}")
            elif not may and response.status_code not in (401, 403):
                failures.append(f"{method} {url} let {role} in ({response.status_code})")
            continue
        response = client.open(url, method=method)
        if allowed is None:
            failures.append(f"{rule.endpoint} has no access rule (Feature.access in its feature.py)")
            continue
        location = response.headers.get("Location", "")
        if response.status_code >= 500:
            failures.append(f"{method} {url}: {response.status_code}")
        elif allowed == PUBLIC or (role is not None and role in allowed):
            if response.status_code in (401, 403) or "/login?next" in location:
                failures.append(f"{method} {url} refused {role} ({response.status_code}) but the rule allows it")
        elif role is None:
            if response.status_code != 302 or "/login" not in location:
                failures.append(f"{method} {url} let anonymous in ({response.status_code})")
        elif response.status_code != 403:
            failures.append(f"{method} {url} answered {role} with {response.status_code}, expected 403")
    assert failures == []


def test_an_undeclared_route_is_refused_even_to_admins(app, auth, client):
    auth.login_as("admin")
    assert client.get("/staff/outbox").status_code == 200
    rule = access_rules().pop("core.outbox")
    try:
        assert client.get("/staff/outbox").status_code == 403
    finally:
        access_rules()["core.outbox"] = rule
