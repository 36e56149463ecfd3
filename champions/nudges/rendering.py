"""Rendering a nudge for one person: what its template may use (their name, links, the moment or grant it is
about) and the subject, text and HTML, with unsubscribe links, from the rule's sandboxed templates."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask import g

from champions.accounts.models import User
from champions.accounts.tokens import verification_token
from champions.core.clock import today_uk
from champions.core.email import external_url
from champions.extensions import db
from champions.grants.models import Application
from champions.moments.models import Moment
from champions.moments.services import upcoming_moments
from champions.nudges import sandbox
from champions.nudges.conditions import CONDITIONS
from champions.nudges.models import NudgeRule
from champions.nudges.tokens import unsubscribe_token


def unsubscribe_links(user_id: int, rule_key: str) -> dict[str, str]:
    return {
        "unsubscribe_url": external_url("nudges.unsubscribe", token=unsubscribe_token(user_id, rule_key)),
        "unsubscribe_all_url": external_url("nudges.unsubscribe", token=unsubscribe_token(user_id, "all")),
    }


def _verify_url(user: User) -> str:
    return external_url("accounts.verify", token=verification_token(user))


@lru_cache(maxsize=8)
def _moment_summaries(days: int, today) -> dict[int, dict[str, str]]:
    """Upcoming moments as plain text, looked up once per batch (each delivery batch clears this cache)."""

    return {
        o.moment.id: {
            "moment_name": o.moment.name,
            "moment_starts": o.starts_on.strftime("%-d %B"),
            "moment_actions": o.moment.suggested_actions or "",
        }
        for o in upcoming_moments(days, today)
    }


def _moment_context(rule: NudgeRule, context_id: int | None, today) -> dict[str, str]:
    """The moment a moment nudge is about: its name, when it starts, and what a champion could do."""
    empty = {"moment_name": "", "moment_starts": "", "moment_actions": ""}
    if rule.condition != "moment_upcoming" or context_id is None:
        return empty
    found = _moment_summaries(int(rule.params.get("days", 14)), today).get(context_id)
    if found:
        return found

    moment = db.session.get(Moment, context_id)  # no longer upcoming: name it without a date
    return {**empty, "moment_name": moment.name, "moment_actions": moment.suggested_actions or ""} if moment else empty


def _grant_context(rule: NudgeRule, context_id: int | None) -> dict[str, str]:
    if rule.condition != "grant_report_due" or context_id is None:
        return {"report_due": "", "report_url": "", "group_name": ""}

    application = db.session.get_one(Application, context_id)  # applications are anonymised, never deleted
    return {
        "report_due": application.report_due_on.strftime("%-d %B %Y") if application.report_due_on else "",
        "report_url": external_url("grants.report", application_id=application.id),
        "group_name": application.group_name,  # as the group gave it: the register is not theirs to see
        "first_name": (application.contact_name or "").split(" ")[0],
    }


def _shared_links() -> dict[str, str]:
    """The links every nudge offers, the same for everyone: made once per app context (a task run, a request)."""
    links = g.get("nudge_shared_links")
    if links is None:
        links = g.nudge_shared_links = {
            "home_url": external_url("accounts.home"),
            "training_url": external_url("training.catalogue"),
            "log_url": external_url("activities.activity_new"),
            "pledge_url": external_url("training.pledge"),
            "network_url": external_url("network.my_network"),
            "check_url": external_url("evaluation.check", point="later"),
        }
    return links


def context_for(message_user: User, rule: NudgeRule, context_id: int | None) -> dict[str, Any]:
    champion = message_user.champion
    grant = _grant_context(rule, context_id)
    return {
        **grant,
        **_moment_context(rule, context_id, today_uk()),
        "first_name": champion.first_name if champion else grant.get("first_name", ""),
        **_shared_links(),
        "verify_url": _verify_url(message_user),
        "days": rule.params.get("days", CONDITIONS[rule.condition].default_days),
        "context_id": context_id,
        **unsubscribe_links(message_user.id, rule.key),
    }


def render(rule: NudgeRule, context: dict[str, Any]) -> tuple[str, str, str]:
    """Subject, plain text and HTML; raises TemplateError when the template does not fit this person."""
    subject = sandbox.render(rule.subject, context).strip()
    text = sandbox.render(rule.body_text, context)
    html = sandbox.render(rule.body_html, context, html=True)
    footer = (
        f"\n\n--\nStop these emails: {context['unsubscribe_url']}\nStop all emails: {context['unsubscribe_all_url']}\n"
    )
    html_footer = (
        f'<hr><p style="font-size:14px"><a href="{context["unsubscribe_url"]}">Stop these emails</a> · '
        f'<a href="{context["unsubscribe_all_url"]}">Stop all emails from Champions</a></p>'
    )
    return subject, text + footer, html + html_footer


def clear_moment_cache() -> None:
    """Look upcoming moments up afresh: once per delivery batch, so a batch sees one calendar."""
    _moment_summaries.cache_clear()
