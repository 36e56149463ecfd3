"""Who may use which route: one table, enforced before every request.

A route missing from ACCESS is refused for everyone, and a test walks every
route in ``app.url_map`` for every role so a missing rule fails the build.
"""

from __future__ import annotations

from enum import StrEnum

from flask import abort, request
from flask_login import current_user

from champions.extensions import login_manager


class Role(StrEnum):
    CHAMPION = "champion"
    STAFF = "staff"
    ADMIN = "admin"
    FUNDER = "funder"
    REVIEWER = "reviewer"
    APPLICANT = "applicant"


PUBLIC = "public"
SIGNED_IN = frozenset(Role)
STAFF = frozenset({Role.STAFF, Role.ADMIN})
ADMIN = frozenset({Role.ADMIN})
CHAMPION = frozenset({Role.CHAMPION})
APPLICANT = frozenset({Role.APPLICANT})
REVIEWER = frozenset({Role.REVIEWER})
FUNDER = frozenset({Role.FUNDER})

ACCESS: dict[str, str | frozenset[Role]] = {
    # Assets, health and public pages
    "static": PUBLIC,
    "core.assets": PUBLIC,
    "core.healthz": PUBLIC,
    "core.readyz": PUBLIC,
    "core.index": PUBLIC,
    "core.privacy": PUBLIC,
    # Accounts
    "accounts.register": PUBLIC,
    "accounts.sign_up_sent": PUBLIC,
    "accounts.resend_sign_up": PUBLIC,
    "accounts.login": PUBLIC,
    "accounts.logout": SIGNED_IN,
    "accounts.home": SIGNED_IN,
    "accounts.account": SIGNED_IN,
    "accounts.verify": PUBLIC,
    "accounts.verify_continue": PUBLIC,
    "accounts.resend_verification": SIGNED_IN,
    "accounts.reset_request": PUBLIC,
    "accounts.reset": PUBLIC,
    "accounts.change_password_page": SIGNED_IN,
    # Champion self-service
    "roster.champion_home": CHAMPION,
    "training.catalogue": CHAMPION,
    "training.resource": CHAMPION,
    "training.pledge": CHAMPION,
    "activities.activity_list": CHAMPION,
    "activities.activity_new": CHAMPION,
    "activities.activity_edit": CHAMPION,
    "activities.activity_delete": CHAMPION,
    "network.join": PUBLIC,
    "network.my_network": CHAMPION,
    "network.qr_code": CHAMPION,
    "privacy.equality": CHAMPION,
    "privacy.equality_delete": CHAMPION,
    "privacy.preferences": CHAMPION,
    "privacy.email_consent": CHAMPION,
    "privacy.topics": CHAMPION,
    "privacy.my_data": CHAMPION,
    "privacy.export_json": CHAMPION,
    "privacy.export_zip": CHAMPION,
    "privacy.erase": CHAMPION,
    "privacy.withdraw": CHAMPION,
    "privacy.equality_summary": STAFF,
    "privacy.equality_person": ADMIN,
    # Nudges
    "nudges.rules": STAFF,
    "nudges.rule_edit": STAFF,
    "nudges.messages": STAFF,
    "nudges.unsubscribe": PUBLIC,
    "nudges.nudge_preference": CHAMPION,
    # Staff
    "dashboards.staff_home": STAFF,
    "dashboards.recompute": STAFF,
    "dashboards.job_status": STAFF,
    "dashboards.table_csv": STAFF,
    "dashboards.programme_settings": ADMIN,
    "core.outbox": STAFF,
    "core.outbox_message": STAFF,
    # Organisations register (issue 5)
    "organisations.organisation_list": STAFF,
    "organisations.organisation_export": STAFF,
    "organisations.organisation_new": STAFF,
    "organisations.organisation_detail": STAFF,
    "organisations.organisation_edit": STAFF,
    "organisations.organisation_engagement": STAFF,
    "organisations.contact_new": STAFF,
    "organisations.contact_edit": STAFF,
    "organisations.affiliation_add": STAFF,
    "organisations.affiliation_remove": STAFF,
    "organisations.duplicates": STAFF,
    "organisations.merge": STAFF,
    # Workshops (issue 5): staff record them; champions see and sign up for those in their borough
    "workshops.workshop_list": STAFF,
    "workshops.workshop_export": STAFF,
    "workshops.workshop_new": STAFF,
    "workshops.workshop_edit": STAFF,
    "workshops.workshop_detail": STAFF,
    "workshops.attendance_champion": STAFF,
    "workshops.check_in_signup": STAFF,
    "workshops.cancel_signup": STAFF,
    "workshops.attendance_contact": STAFF,
    "workshops.headcount": STAFF,
    "workshops.attendance_contact_remove": STAFF,
    "workshops.workshop_cancel": STAFF,
    "workshops.workshop_outputs": STAFF,
    "workshops.workshop_report": STAFF,
    "workshops.engagement": STAFF,
    "workshops.engagement_export": STAFF,
    "workshops.champion_workshops": CHAMPION,
    "workshops.champion_workshop": CHAMPION,
    "workshops.champion_sign_up": CHAMPION,
    "workshops.champion_cancel": CHAMPION,
    "workshops.workshop_ics": CHAMPION | STAFF,
    "workshops.calendar_feed": CHAMPION | STAFF,
    "workshops.calendar_subscription": PUBLIC,  # a calendar app's private link: the signed token is the key
    # Social moments (issue 5)
    "moments.moment_list": STAFF,
    "moments.moment_new": STAFF,
    "moments.moment_edit": STAFF,
    # Small Sparks grants: public rounds and applicant sign-up; applicants; reviewers; staff; funders.
    # Applicants see only their own applications, reviewers only their assignments, funders only
    # the funds they are linked to: checked in grants/views.py.
    "grants.rounds": PUBLIC,
    "grants.applicant_register": PUBLIC,
    "grants.my_applications": APPLICANT,
    "grants.apply": APPLICANT,
    "grants.edit_application": APPLICANT,
    "grants.my_application": APPLICANT,
    "grants.report": APPLICANT,
    "grants.reviews": REVIEWER,
    "grants.review": REVIEWER,
    "grants.staff_funds": STAFF,
    "grants.fund": STAFF,
    "grants.round_new": STAFF,
    "grants.round_detail": STAFF,
    "grants.round_csv": STAFF,
    "grants.panel": STAFF,
    "grants.application": STAFF,
    "grants.act": STAFF,
    "grants.funder_recompute": STAFF,
    "grants.funder_home": FUNDER | STAFF,
    "grants.funder_dashboard": FUNDER | STAFF,
    "grants.funder_csv": FUNDER | STAFF,
    # Staff CRM (issue 4): the roster, one champion, exports, imports, duplicates and merging
    "roster.staff_roster": STAFF,
    "roster.staff_champion": STAFF,
    "roster.staff_add_note": STAFF,
    "roster.staff_change_stage": STAFF,
    "roster.staff_set_leader": STAFF,
    "roster.staff_equality": ADMIN,  # special-category answers of one person: admins only, audited
    "roster.staff_export_start": STAFF,
    "roster.staff_export": STAFF,
    "roster.staff_export_status": STAFF,
    "roster.staff_export_download": STAFF,
    "roster.staff_imports": STAFF,
    "roster.staff_import": STAFF,
    "roster.staff_import_run": STAFF,
    "roster.staff_import_status": STAFF,
    "roster.staff_import_report": STAFF,
    "roster.staff_duplicates": STAFF,
    "roster.staff_merge": STAFF,
    # Staff CRM: the training catalogue and pledge versions
    "training.staff_catalogue": STAFF,
    "training.staff_resource_new": STAFF,
    "training.staff_resource_edit": STAFF,
    "training.staff_resource_move": STAFF,
    "training.staff_resource_retire": STAFF,
    "training.staff_pledge_new": STAFF,
    # Staff CRM: user administration, invitations and the audit log
    "accounts.admin_users": ADMIN,
    "accounts.admin_invite": ADMIN,
    "accounts.admin_user": ADMIN,
    "accounts.admin_change_role": ADMIN,
    "accounts.admin_set_active": ADMIN,
    "accounts.accept_invitation": PUBLIC,
    "core.audit_log": ADMIN,
    "core.audit_log_csv": ADMIN,
}


def rule_for(endpoint: str | None) -> str | frozenset[Role] | None:
    return ACCESS.get(endpoint or "")


def enforce_access() -> None:
    """before_request hook: refuse anything the table does not allow."""
    if request.endpoint is None:
        return  # no route matched: the 404 handler answers
    rule = rule_for(request.endpoint)
    if rule == PUBLIC:
        return
    if rule is None:
        abort(403)
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role not in rule:
        abort(403)
    return None
