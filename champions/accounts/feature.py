"""Accounts: sign-in, confirming an address, password resets, sessions, invitations, users and the audit log."""

from __future__ import annotations

from champions.accounts import admin_models, admin_views, audit_views, bp, models, views  # noqa: F401  (importing them adds their routes)
from champions.accounts.consent import consent_choices, purpose_label
from champions.core.features import Feature, NavItem
from champions.core.permissions import ADMIN, APPLICANT, CHAMPION, FUNDER, PUBLIC, REVIEWER, SIGNED_IN, Role
from champions.core.personal_data import Holding

ROLE_WORDS = {
    Role.CHAMPION.value: "Champion",
    Role.STAFF.value: "Programme team",
    Role.ADMIN.value: "Programme team (administrator)",
    Role.FUNDER.value: "Funder",
    Role.REVIEWER.value: "Grant panel reviewer",
    Role.APPLICANT.value: "Grant applicant",
}
EMAIL_CHANGE_WORDS = {
    "pending": "Waiting for you to confirm",
    "confirmed": "Confirmed",
    "cancelled": "Cancelled",
    "replaced": "Replaced by a newer request",
}
CONSENT_SOURCES = {
    "web": "On this website",
    "preferences": "On your preferences page",
    "unsubscribe link": "With the link in an email",
}

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
        "accounts.confirm_email_change": CHAMPION,  # only champions change their address themselves
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
        Holding(
            "users",
            "user",
            "id",
            "anonymise",
            title="Your account",
            describe="The email address you sign in with, and when you joined, confirmed it and last signed in.",
            columns={
                "email": "Email address",
                "role": "Type of account",
                "active": "Account open",
                "created_at": "Created",
                "email_verified_at": "Email address confirmed",
                "last_login_at": "Last signed in",
                "welcome_sent_at": "Welcome email sent",
                "welcome_failed_at": "Welcome email could not be delivered",
                "sign_up_notice_at": "Last told that someone tried to sign up with your address",
            },
            labels={"role": ROLE_WORDS},
        ),
        Holding(
            "consent_records",
            "user",
            "user_id",
            "delete",
            title="Your consent decisions",
            describe="Every time you said yes or no to something we asked, with the version of the wording you saw.",
            columns={
                "recorded_at": "Date",
                "purpose": "What it was about",
                "granted": "Your answer",
                "wording_version": "Version of the wording",
                "source": "How you told us",
            },
            labels={"purpose": purpose_label, "granted": {True: "Yes", False: "No"}, "source": CONSENT_SOURCES},
            order_by=("recorded_at", "id"),
            preferences=consent_choices,
        ),
        Holding(
            "user_sessions",
            "user",
            "user_id",
            "delete",
            title="Where you are signed in",
            describe="Each browser you are signed in on now, by when you signed in (we keep no more about it).",
            columns={"created_at": "Signed in"},
        ),
        Holding(
            "invitations",
            "email",
            "email",
            "delete",
            title="Invitations to your email address",
            describe="Invitations the programme team sent to your email address to open an account.",
            columns={
                "created_at": "Created",
                "role": "Type of account offered",
                "sent_at": "Sent",
                "accepted_at": "Accepted",
            },
            labels={"role": ROLE_WORDS},
        ),
        Holding(
            "email_changes",
            "user",
            "user_id",
            "delete",
            title="Changes to your email address",
            describe="Each time you asked to sign in with a new email address, and what became of it.",
            columns={
                "requested_at": "Asked for",
                "new_email": "New email address",
                "status": "What happened",
                "link_sent_at": "Latest link sent",
                "ended_at": "Confirmed, cancelled or replaced",
                "old_email": "Address it replaced (kept until we had told it)",
            },
            labels={"status": EMAIL_CHANGE_WORDS},
        ),
    ),
)
