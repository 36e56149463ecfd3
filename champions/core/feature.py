"""Core's own pages (home, privacy notice, health, assets, the email outbox), its periodic jobs and tables."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from champions.core import (
    audit,
    bp,
    models,
    saved_search_views,  # noqa: F401  (importing it adds its routes)
    saved_searches,
    throttle,
    views,  # noqa: F401  (importing them adds their routes)
)
from champions.core.features import Beat, Feature, NavItem, values_from
from champions.core.permissions import PUBLIC, STAFF
from champions.core.personal_data import Holding, humanise, internal
from config import every_seconds

# What each action in the audit log means, said to the person who did it (their data export).
ACTION_WORDS = {
    "login": "You signed in",
    "person.exported": "You downloaded your data",
    "person.erased": "You erased a person's data",
    "champion.registered": "You signed up",
    "champion.signed_up_through_api": "You signed someone up as a champion through the API",
    "api.token_created": "You made an API token",
    "api.token_used": "You used an API token",
    "api.token_revoked": "You revoked an API token",
    "champion.withdrew": "You withdrew from the programme",
    "champion.rejoined": "You rejoined the programme",
    "champion.details_changed": "You changed your details",
    "champion.details_corrected": "You corrected a champion's details",
    "champion.leader_changed": "You changed whether a champion leads locally",
    "champion.merged": "You merged two records of the same champion",
    "champion.merged_away": "You merged this record into another record of the same champion",
    "champion.note_added": "You added a note about a champion",
    "champion.note_corrected": "You corrected a note about a champion",
    "champion.stage_changed": "You moved a champion to another stage",
    "champions.bulk_stage_changed": "You moved several champions to another stage at once",
    "champions.bulk_tagged": "You tagged several champions at once",
    "champions.bulk_owner_assigned": "You chose who owns several champions at once",
    "tag.created": "You made a new tag for champions",
    "champion.tag_removed": "You took a tag off a champion",
    "workshop.champions_added_in_bulk": "You added several champions to a workshop at once",
    "email.verified": "You confirmed your email address",
    "email.change_requested": "You asked to change your email address",
    "email.change_cancelled": "You cancelled a change of your email address",
    "email.changed": "You changed your email address",
    "email.changed_by_staff": "You changed the email address a person signs in with",
    "password.changed": "You changed your password",
    "password.reset": "You set a new password with a reset link",
    "pledge.accepted": "You accepted the pledge",
    "activity.deleted": "You deleted an activity",
    "activity.restored": "You brought back an activity you had deleted",
    "audit_log.exported": "You downloaded the audit log",
    "equality.summary_viewed": "You looked at the equality monitoring summary",
    "equality.viewed": "You looked at a person's equality monitoring answers",
    "special_category.viewed": "You looked at a champion's sensitive answers",
    "champion.viewed": "You looked at a champion's record",
    "champion.network_viewed": "You looked at a champion's network",
    "spread.champions_exported": "You downloaded every champion's place in the network",
    "roster.viewed": "You looked at the list of champions",
    "grant.application_viewed": "You looked at a grant application",
    "organisation.contacts_viewed": "You looked at the people an organisation has engaged",
    "special_category.exported": "You downloaded champions' sensitive answers",
    "export.requested": "You asked for a download of champions",
    "export.downloaded": "You downloaded a list of champions",
    "import.uploaded": "You uploaded a list of people to add",
    "import.started": "You started adding people from a list",
    "import.completed": "You finished adding people from a list",
    "import.report_downloaded": "You downloaded the report of a list you added",
    "grant.applicant_registered": "You signed up to apply for grants",
    "grant.conflict_declared": "You said you have a conflict of interest with an application",
    "grant.draft_saved": "You saved a grant application",
    "grant.fund_created": "You set up a fund",
    "grant.fund_changed": "You changed a fund's name or funder",
    "grant.fund_funders": "You chose who can see a fund's figures",
    "grant.funder_export": "You downloaded a fund's figures",
    "grant.payment_added": "You added a grant payment",
    "grant.payment_paid": "You marked a grant payment paid",
    "grant.payment_corrected": "You corrected a grant payment",
    "grant.payment_voided": "You voided a grant payment",
    "grant.payments_due_exported": "You downloaded the list of grant payments due",
    "grant.report_approved": "You approved an end-of-grant report",
    "grant.report_returned": "You sent an end-of-grant report back to the group",
    "grant.report_waived": "You waived an end-of-grant report",
    "grant.report_resubmitted": "You sent an end-of-grant report again",
    "grant.round_changed": "You changed a grant round's rules",
    "grant.review_submitted": "You reviewed a grant application",
    "grant.reviewer_assigned": "You asked someone to review a grant application",
    "grant.round_closed": "You closed a grant round",
    "grant.round_created": "You opened a grant round",
    "grant.round_exported": "You downloaded a grant round's applications",
    "grant.threesixty_exported": "You downloaded the grants a fund or round awarded, as 360Giving data",
    "grant.round_reviewers": "You chose a grant round's reviewers",
    "grant.status": "You moved a grant application on",
    "grant.organisation_confirmed": "You said which organisation on the register a grant application is from",
    "grant.group_limit_changed": "You changed how many applications a group may send to a grant round",
    "moment.created": "You added a social moment",
    "moment.updated": "You changed a social moment",
    "nudge_rule.saved": "You saved a reminder email rule",
    "outcome_kind.created": "You added something champions can signpost people to",
    "outcome_kind.changed": "You changed something champions can signpost people to",
    "outcome_kind.retired": "You stopped offering something champions can signpost people to",
    "outcome_kind.restored": "You brought back something champions can signpost people to",
    "organisation.added_by_applicant": "You added your organisation",
    "organisation.champion_affiliated": "You linked a champion to an organisation",
    "organisation.champion_unaffiliated": "You unlinked a champion from an organisation",
    "organisation.contact_added": "You added a contact at an organisation",
    "organisation.contact_updated": "You changed a contact at an organisation",
    "organisation.created": "You added an organisation",
    "organisation.engagement_changed": "You changed how engaged an organisation is",
    "organisation.merged": "You merged two records of the same organisation",
    "organisation.updated": "You changed an organisation's details",
    "owner.changed": "You chose who owns a record",
    "owner.bulk_assigned": "You chose who owns several records at once",
    "task.added": "You added a follow-up task",
    "task.changed": "You changed a follow-up task",
    "task.done": "You marked a follow-up task done",
    "task.reopened": "You reopened a follow-up task",
    "followups.digest_changed": "You chose whether to get a daily email of your tasks",
    "tasks.viewed": "You looked at a list of follow-up tasks",
    "tasks.exported": "You downloaded a list of follow-up tasks",
    "retention.run": "You removed data past its keeping time",
    "settings.changed": "You changed the programme's target",
    "training.pledge_published": "You published a new version of the pledge",
    "training.resource_created": "You added training",
    "training.resource_edited": "You changed training",
    "training.resource_retired": "You retired training",
    "training.resource_restored": "You brought back training",
    "user.activated": "You let an account sign in again",
    "user.deactivated": "You stopped an account signing in",
    "user.created_by_cli": "You set up an administrator account",
    "user.invitation_accepted": "You accepted an invitation to the service",
    "user.invited": "You invited someone to the service",
    "user.role_changed": "You changed someone's role",
    "workshop.cancelled": "You cancelled a workshop",
    "workshop.champion_added": "You added a champion to a workshop",
    "workshop.check_in": "You checked someone in at a workshop",
    "workshop.contact_attended": "You recorded a contact at a workshop",
    "workshop.contact_removed": "You took a contact off a workshop",
    "workshop.created": "You added a workshop",
    "workshop.outputs_saved": "You recorded what a workshop achieved",
    "workshop.signup_cancelled": "You cancelled a place at a workshop",
    "workshop.updated": "You changed a workshop",
}
# Field names as a person says them (others read with their underscores as spaces).
FIELD_WORDS = {"borough_code": "borough", "email": "email address", "phone": "phone"}
# Details that mean nothing to a person: references and counters (any ``*_id`` is left out too).
HIDDEN_DETAILS = frozenset({"change", "user_ids"})


def action_words(action: str) -> str:
    return ACTION_WORDS.get(action) or f"You did this: {humanise(action).lower()}"


def _words(name: str, value: Any) -> str:
    answers = values_from(audit.detail_words, name, value=value)
    if answers:
        return str(answers[0])
    if name == "fields":
        return ", ".join(FIELD_WORDS.get(field, field.removesuffix("_code").replace("_", " ")) for field in value)
    if name.endswith("_pence") and isinstance(value, int):
        return f"£{value / 100:,.2f}"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list | tuple):
        return ", ".join(_words(name, v) for v in value)
    if isinstance(value, dict):
        return details_words(value)
    return str(value).replace("_", " ")


def details_words(details: Any) -> str:
    """An audit event's details in words: "Fields: first name, postcode"; references and counters left out."""
    if not isinstance(details, dict):
        return "" if details is None else str(details)
    shown = {
        name: value
        for name, value in details.items()
        if name not in HIDDEN_DETAILS and not internal(name) and value not in (None, "", [], {})
    }
    return "; ".join(f"{humanise(name.removesuffix('_pence'))}: {_words(name, value)}" for name, value in shown.items())


FEATURE = Feature(
    name="core",
    blueprints=(bp,),
    access={
        "static": PUBLIC,
        "core.assets": PUBLIC,
        "core.healthz": PUBLIC,
        "core.readyz": PUBLIC,
        "core.status": PUBLIC,
        "core.index": PUBLIC,
        "core.privacy": PUBLIC,
        "core.privacy_version": PUBLIC,
        "core.outbox": STAFF,
        "core.outbox_message": STAFF,
        "core.saved_search_list": STAFF,
        "core.saved_search_save": STAFF,
        "core.saved_search_open": STAFF,
        "core.saved_search_rename": STAFF,
        "core.saved_search_delete": STAFF,
    },
    navigation=(NavItem("Email outbox", "core.outbox", STAFF, 200),),
    beat=(
        # Out of the request path: in a request's transaction the DELETE could deadlock on PostgreSQL.
        Beat(
            "clear-expired-throttle-counters",
            "champions.core.tasks.clear_expired_throttle_counters",
            timedelta(minutes=15),
        ),
        # Re-queues what a dead worker left: a message a worker took is not handed out again by the broker.
        Beat(
            "sweep-unfinished-work",
            "champions.core.tasks.sweep_unfinished_work",
            every_seconds("SWEEP_EVERY_SECONDS", 120),
        ),
    ),
    task_modules=(
        "champions.core.tasks",
        "champions.core.pending_email",
    ),
    models=(models, throttle, saved_searches),
    merges=models.MERGES | saved_searches.MERGES,
    holdings=(
        # Before the outbox and the audit log, which the export lists last.
        Holding(
            "saved_searches",
            "user",
            "user_id",
            "delete",
            title="Searches you saved",
            describe="The filters of lists you saved under a name, to open them again.",
            columns={"created_at": "Date", "list_name": "List", "name": "Name", "query": "Filters"},
        ),
        Holding(
            "outbox_messages",
            "user",
            "user_id",
            "delete",
            also_by_address="to_address",
            title="Emails we sent you",
            describe="Each email the service sent you (to your address now or one you had before), with its words.",
            columns={"created_at": "Date", "to_address": "To", "subject": "Subject", "text_body": "Message"},
        ),
        Holding(
            "audit_events",
            "user",
            "actor_id",
            "anonymise",
            {"ip": None},
            title="Things you did in the service",
            describe="Our record of what you did while signed in, such as downloading your data, and from which "
            "internet address.",
            columns={"at": "Date", "action": "What you did", "details": "Details", "ip": "Internet address"},
            labels={"action": action_words, "details": details_words},
        ),
    ),
    not_personal={
        "boroughs": "reference data",
        "topics": "reference data",
        "dashboard_snapshots": "aggregate figures only",
        "task_locks": "job bookkeeping",
        "pending_emails": "which one-off email is due, by record ids only (the address, text and any link are "
        "read from the records when it is sent); deleted a week after it is done",
        "throttle_counters": "counts under keyed hashes of email and client addresses, kept for one window",
        "tombstones": "which records were erased, merged or deleted: table, id, kind and time, nothing of the person",
    },
)
