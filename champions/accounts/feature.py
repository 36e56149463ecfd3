"""Accounts: sign-in, confirming an address, password resets, sessions, invitations, users and the audit log."""

from __future__ import annotations

from champions.accounts import admin_models, admin_views, audit_views, bp, models, views  # noqa: F401  (importing them adds their routes)
from champions.core.features import Feature, NavItem
from champions.core.permissions import ADMIN, APPLICANT, FUNDER, PUBLIC, REVIEWER, SIGNED_IN
from champions.core.personal_data import Holding

FEATURE = Feature(
    name="accounts",
    blueprints=(bp,),
    access={
        "accounts.audit_log": ADMIN,
        "accounts.audit_log_csv": ADMIN,
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
        "accounts.admin_users": ADMIN,
        "accounts.admin_invite": ADMIN,
        "accounts.admin_user": ADMIN,
        "accounts.admin_change_role": ADMIN,
        "accounts.admin_set_active": ADMIN,
        "accounts.accept_invitation": PUBLIC,
    },
    navigation=(
        NavItem("Users", "accounts.admin_users", ADMIN, 210),
        NavItem("Audit log", "accounts.audit_log", ADMIN, 220),
        NavItem("My account", "accounts.account", APPLICANT | REVIEWER | FUNDER, 390),
    ),
    task_modules=(
        "champions.accounts.tasks",
        "champions.accounts.admin_tasks",
    ),
    models=(
        models,
        admin_models,
    ),
    merges=models.MERGES | admin_models.MERGES,
    holdings=(
        Holding("users", "user", "id", "anonymise"),
        Holding("consent_records", "user", "user_id", "delete"),
        Holding("user_sessions", "user", "user_id", "delete"),
        Holding("invitations", "email", "email", "delete"),
    ),
)
