"""Every template is escaped, whatever its extension: the NHS.UK macros (.jinja files) print hostile text as text."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markupsafe import escape
from sqlalchemy import select

import champions
from champions.accounts.consent import current_consents
from champions.accounts.models import User
from champions.organisations.models import Organisation, normalise_org_name

HOSTILE = "</select><input type=hidden name=email_consent value=y><script>alert(1)</script>"
RAW = ("<input type=hidden", "<script>", "</select><input")


def hostile(field: str) -> str:
    """A hostile value marked with its parameter, so that each parameter is seen to be printed."""
    return f"{HOSTILE}[{field}]"


def field_params(component: str) -> dict:
    return {
        "id": "f",
        "name": "f",
        "label": {"text": hostile("label")},
        "hint": {"text": hostile("hint")},
        "errorMessage": {"text": hostile("error")},
        **({"value": hostile("value")} if component in ("input", "textarea") else {}),
    }


def choice_params(component: str) -> dict:
    params = {**field_params(component), "idPrefix": "f"}
    if component != "select":  # checkboxes and radios have a legend, not a label
        params["fieldset"] = {"legend": {"text": hostile("legend")}}
        del params["label"]
    key = "checked" if component != "select" else "selected"
    items = [{"value": "1", "text": hostile("item"), key: True}, {"value": "2", "text": "Plain"}]
    return {**params, "items": items}


# Every NHS.UK component the app imports, with every text-like parameter the app passes it.
CASES = {
    "input": field_params("input"),
    "textarea": field_params("textarea"),
    "select": choice_params("select"),
    "checkboxes": choice_params("checkboxes"),
    "radios": choice_params("radios"),
    "button": {"text": hostile("text")},
    "action-link": {"text": hostile("text"), "href": "/x"},
    "back-link": {"text": hostile("text"), "href": "/x"},
    "skip-link": {"text": hostile("text"), "href": "#main"},
    "tag": {"text": hostile("text")},
    "error-summary": {
        "titleText": hostile("title"),
        "descriptionText": hostile("description"),
        "errorList": [{"text": hostile("error"), "href": "#f"}],
    },
    "summary-list": {
        "rows": [
            {
                "key": {"text": hostile("key")},
                "value": {"text": hostile("value")},
                "actions": {"items": [{"href": "/x", "text": hostile("action"), "visuallyHiddenText": hostile("vh")}]},
            }
        ]
    },
    "task-list": {
        "items": [
            {"title": {"text": hostile("title")}, "hint": {"text": hostile("hint")}, "status": {"text": hostile("st")}}
        ]
    },
    "header": {
        "service": {"text": hostile("service"), "href": "/"},
        "account": {"items": [{"href": "/account", "text": hostile("account"), "icon": True}]},
        "navigation": {"items": [{"href": "/n", "text": hostile("navigation")}]},
    },
    "footer": {"meta": {"items": [{"href": "/p", "text": hostile("meta")}]}, "copyright": {"text": hostile("copy")}},
    "date-input": {
        "id": "f-date",
        "fieldset": {"legend": {"text": hostile("legend")}},
        "hint": {"text": hostile("hint")},
        "errorMessage": {"text": hostile("error")},
        "items": [{"id": "f", "name": "f-day", "label": hostile("label"), "value": hostile("value"), "error": True}],
    },
    "notification-banner": {"type": "success", "text": hostile("text"), "titleText": hostile("title")},
}


IMPORT = re.compile(r'from "nhsuk/components/([\w-]+)/macro.jinja" import (\w+)')


def used_components() -> dict[str, str]:
    """component -> macro name, for every `{% from "nhsuk/components/..." import ... %}` in the app's templates."""
    found = {}
    for path in Path(champions.__file__).parent.rglob("templates/**/*.html"):
        found.update(IMPORT.findall(path.read_text()))
    return found


def test_every_component_the_app_uses_has_a_hostile_case():
    assert set(used_components()) - set(CASES) == set()


@pytest.mark.parametrize("component", sorted(CASES))
def test_component_prints_hostile_text_as_text(app, component):
    macro = used_components().get(component) or pytest.skip(f"the app does not use {component}")
    source = f'{{% from "nhsuk/components/{component}/macro.jinja" import {macro} %}}{{{{ {macro}(params) }}}}'
    with app.test_request_context():
        html = app.jinja_env.from_string(source).render(params=CASES[component])
    assert not [raw for raw in RAW if raw in html], html
    printed = set(re.findall(re.escape(str(escape(HOSTILE))) + r"\[(\w+)\]", html))
    assert printed == set(re.findall(r"\[(\w+)\]", repr(CASES[component]))), html


def test_plain_text_email_bodies_are_the_only_unescaped_templates(app):
    assert app.jinja_env.autoescape("nhsuk/components/select/template.jinja") is True
    assert app.jinja_env.autoescape("emails/welcome.html") is True
    assert app.jinja_env.autoescape("anything/else.txt") is True
    assert app.jinja_env.autoescape(None) is True
    assert app.jinja_env.autoescape("emails/welcome.txt") is False


class FormFields(HTMLParser):
    """What a browser would send from the first form posting to ``action``: named inputs, selects and textareas."""

    def __init__(self, action: str):
        super().__init__()
        self.action, self.inside, self.fields, self.select = action, False, {}, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("action", self.action) == self.action
        elif self.inside and tag == "input" and a.get("name"):
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self.fields[a["name"]] = a.get("value") or ""
        elif self.inside and tag == "select":
            self.select = a.get("name")

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "form":
            self.inside = False


def test_a_group_name_cannot_plant_a_consent_in_the_sign_up_form(client, db):
    # A partner: the sign-up form lists the organisations working with the programme.
    db.session.add(Organisation(name=HOSTILE, normalised_name=normalise_org_name(HOSTILE), engagement_level="partner"))
    db.session.commit()
    page = client.get("/register").get_data(as_text=True)
    parser = FormFields("/register")
    parser.feed(page)
    person = {"first_name": "Ann", "last_name": "Lee", "email": "ann@example.org", "password": "a long walk home"}
    place = {"postcode": "BL1 1AA", "borough": "bolton", "privacy_consent": "y"}
    # What a browser sends when the visitor fills in the form and leaves "email me" unticked.
    assert client.post("/register", data={**parser.fields, **person, **place}).status_code == 302

    user = db.session.scalar(select(User).where(User.email == "ann@example.org"))
    assert current_consents(user.id)["email_contact"].granted is False
    assert str(escape(HOSTILE)) in page and not [raw for raw in RAW if raw in page]
