"""Template filters and globals shared by every page."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from flask import Flask, current_app, url_for
from flask.templating import Environment
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from champions.core.clock import UK, today_uk
from champions.core.db import as_utc
from champions.core.forms import error_items

#: What ``getattr(some_dict, name)`` finds: a dict's methods and dunders (a set look-up, where ``hasattr`` on the
#: class walked it for each of the thousands of look-ups a page makes).
_DICT_ATTRIBUTES = frozenset(dir(dict))


class PageEnvironment(Environment):
    """Flask's template environment, less two costs that the NHS.UK macros multiply (a page calls them hundreds of
    times, and each imports others): measured, they were a fifth of the time of rendering a form page.

    - ``params.text`` on a dict: Jinja asks for an attribute first, and a dict has none but its methods, so each
      look-up of a key raised and caught an AttributeError. Here a key of a plain dict that is not the name of a dict
      method is looked up directly: the same answer (a dict's own attributes are only its methods), no exception.
    - A template's globals are a dict of the environment's (and its own), made when it is loaded, as Jinja 2 had
      them, rather than a ChainMap over them: every ``{% from … import %}`` compares them with the importing
      template's, a Python loop over a ChainMap. Every global is set while the app is made, before any page.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)

    def make_globals(self, d: dict[str, Any] | None) -> dict[str, Any]:  # type: ignore[override]
        return {**self.globals, **(d or {})}


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


def select_options(options: Iterable[tuple[Any, Any]], current: Any = "") -> Markup:
    """A select's ``<option>`` elements for (value, text) pairs, the one whose value equals ``current`` (both as
    text) selected: the same markup as a loop in the template, made in one pass (on the roster, whose filters'
    lists a template loop took milliseconds over). Values and texts are escaped.
    """
    chosen = "" if current is None else str(current)
    return Markup(
        "".join(
            f'<option value="{escape(value)}"{" selected" if str(value) == chosen else ""}>{escape(text)}</option>'
            for value, text in options
        )
    )


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


def uk_phone(value: str | None) -> str:
    """A UK number grouped as people read it aloud: '07700 900123', '0161 496 0000', '020 7946 0000', '01632 960000'.
    Written any way ('+44 (0)7700 900123', '07700900123'); anything not a UK number is shown as given."""
    if not value:
        return ""
    digits = re.sub(r"\D", "", value)
    if digits.startswith("440"):
        digits = digits[2:]
    elif digits.startswith("44"):
        digits = "0" + digits[2:]
    if len(digits) not in (10, 11) or not digits.startswith("0"):
        return value
    if len(digits) == 10:  # 0800 123456, 01697 73456
        return f"{digits[:4]} {digits[4:]}" if digits.startswith("08") else f"{digits[:5]} {digits[5:]}"
    if digits.startswith("02"):  # London, Cardiff, Belfast...: 3, 4, 4
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    if digits.startswith("07"):  # mobiles: 5, 6
        return f"{digits[:5]} {digits[5:]}"
    if digits[:2] in ("03", "08", "09") or digits[2] == "1" or digits[3] == "1":  # 0300, 0800, 0161, 0113: 4, 3, 4
        return f"{digits[:4]} {digits[4:7]} {digits[7:]}"
    return f"{digits[:5]} {digits[5:]}"  # other areas, like 01632: 5, 6


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.globals["csrf_field"] = csrf_field
    app.jinja_env.globals["error_items"] = error_items
    app.jinja_env.globals["select_options"] = select_options
    app.jinja_env.filters["uk_time"] = uk_time
    app.jinja_env.filters["time_ago"] = time_ago
    app.jinja_env.filters["long_date"] = lambda iso: date.fromisoformat(iso).strftime("%-d %B %Y") if iso else ""
    app.jinja_env.filters["uk_phone"] = uk_phone
    app.jinja_env.filters["thousands"] = lambda n: f"{n:,}" if isinstance(n, int) else n
    app.jinja_env.globals["navigation"] = navigation
    app.jinja_env.globals["today_iso"] = lambda: today_uk().isoformat()
    app.jinja_env.globals["service_name"] = app.config["SERVICE_NAME"]
