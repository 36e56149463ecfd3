"""Template filters and globals shared by every page."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, current_app, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from champions.core.clock import UK, today_uk
from champions.core.db import as_utc
from champions.core.forms import error_items


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
    """The header menu for the signed-in user's role: every feature's entries for it (``Feature.navigation``)."""
    if not current_user.is_authenticated:
        return []
    items = current_app.extensions["features"].navigation
    return [{"href": url_for(item.endpoint), "text": item.text} for item in items if current_user.role in item.roles]


def csrf_field() -> Markup:
    """A hidden CSRF input for forms that post nothing else (buttons)."""
    return Markup('<input type="hidden" name="csrf_token" value="%s">') % generate_csrf()


def autoescape(template_name: str | None) -> bool:
    """Every template is HTML-escaped, whatever its extension, except the plain-text bodies of emails.

    Those (``emails/*.txt``) become a text/plain MIME part, never a page: escaping them would
    send "O&#39;Brien" and "&amp;" to people's inboxes.
    """
    name = template_name or ""
    return not (name.startswith("emails/") and name.endswith(".txt"))


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.globals["csrf_field"] = csrf_field
    app.jinja_env.globals["error_items"] = error_items
    app.jinja_env.filters["uk_time"] = uk_time
    app.jinja_env.filters["time_ago"] = time_ago
    app.jinja_env.filters["long_date"] = lambda iso: date.fromisoformat(iso).strftime("%-d %B %Y") if iso else ""
    app.jinja_env.filters["thousands"] = lambda n: f"{n:,}" if isinstance(n, int) else n
    app.jinja_env.globals["navigation"] = navigation
    app.jinja_env.globals["today_iso"] = lambda: today_uk().isoformat()
    app.jinja_env.globals["service_name"] = app.config["SERVICE_NAME"]
