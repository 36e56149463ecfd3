"""Template filters and globals shared by every page."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, url_for
from flask_login import current_user

from champions.core.db import as_utc
from champions.core.permissions import Role

UK = ZoneInfo("Europe/London")


def uk_time(value: datetime | None, fmt: str = "%-d %B %Y at %-I:%M%p") -> str:
    if value is None:
        return ""
    local = as_utc(value).astimezone(UK)
    return local.strftime(fmt).replace("AM", "am").replace("PM", "pm")


def time_ago(value: datetime | None, now: datetime) -> str:
    if value is None:
        return "never"
    seconds = int((now - as_utc(value)).total_seconds())
    if seconds < 60:
        return "less than a minute ago"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''} ago"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} hour{'s' if hours != 1 else ''} ago"
    return f"{hours // 24} days ago"


def navigation() -> list[dict[str, str]]:
    """The header menu for the signed-in user's role."""
    if not current_user.is_authenticated:
        return []
    if current_user.role == Role.CHAMPION:
        return [{"href": url_for("roster.champion_home"), "text": "My champion home"}]
    if current_user.is_staff:
        items = [
            {"href": url_for("dashboards.staff_home"), "text": "Programme"},
            {"href": url_for("roster.staff_roster"), "text": "Champions"},
            {"href": url_for("training.staff_catalogue"), "text": "Training"},
            {"href": url_for("core.outbox"), "text": "Email outbox"},
        ]
        if current_user.role == Role.ADMIN:
            items += [
                {"href": url_for("accounts.admin_users"), "text": "Users"},
                {"href": url_for("core.audit_log"), "text": "Audit log"},
            ]
        return items
    return [{"href": url_for("accounts.account"), "text": "My account"}]


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters["uk_time"] = uk_time
    app.jinja_env.filters["time_ago"] = time_ago
    app.jinja_env.filters["thousands"] = lambda n: f"{n:,}" if isinstance(n, int) else n
    app.jinja_env.globals["navigation"] = navigation
    app.jinja_env.globals["service_name"] = app.config["SERVICE_NAME"]
