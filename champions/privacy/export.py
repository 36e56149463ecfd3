"""The subject access export: everything held about a person, as they can read it.

Every feature's holdings (``Feature.holdings``) say how their rows read: a title and a sentence, headings, labels for
codes and references shown as what they point to (``champions.core.personal_data``). This module reads those
declarations for every holding alike; it knows no table. The zip holds a cover note (README.txt), the person's
current choices, one spreadsheet for each holding with rows (one with none is listed as "nothing held") and the
same again as one JSON file.
"""

from __future__ import annotations

import io
import json
import re
import textwrap
import zipfile
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from flask import current_app
from sqlalchemy import select

from champions.core import audit, features
from champions.core.clock import now_utc
from champions.core.downloads import csv_text, excel_csv_bytes
from champions.core.email import external_url
from champions.core.personal_data import Choice, Holding, Labels, humanise
from champions.core.templating import uk_time
from champions.extensions import db

NOTHING_HELD = "nothing held"
CHOICES_FILE = "your-choices.csv"
CHOICES = {
    "title": "Your choices",
    "describes": "What you have told us you want now: emails, each kind of reminder, topics, equality monitoring, "
    "and the privacy notice and pledge you agreed to.",
}
JSON_FILE = "my-data.json"
ICO = "https://ico.org.uk/make-a-complaint/ (or call the ICO's helpline on 0303 123 1113)"


def readable(value: Any) -> Any:
    """A stored value as a person reads it: yes or no, UK dates and times, lists and details in words."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        return uk_time(value, "%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return "; ".join(f"{humanise(str(k))}: {readable(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(str(readable(v)) for v in value)
    return value


class _Labeller:
    """Applies a column's labels, asking a label function once per distinct value."""

    def __init__(self, labels: Labels):
        self.labels = labels
        self.seen: dict[Any, Any] = {}

    def __call__(self, value: Any) -> Any:
        if isinstance(self.labels, Mapping):
            return self.labels.get(value, value)
        if isinstance(value, dict | list):  # details of an event: not a key to remember
            return self.labels(value)
        if value not in self.seen:
            self.seen[value] = self.labels(value) if value is not None else None
        return self.seen[value]


def read_holding(holding: Holding, user, champion) -> tuple[list[str], list[dict[str, Any]]]:
    """This person's rows of one holding: its headings, and each row under them, in words."""
    if holding.owner_value(user, champion) is None:
        return [], []
    table = db.metadata.tables[holding.table]
    columns: list[Any] = list(table.c)
    source: Any = table
    for number, lookup in enumerate(holding.lookups):
        other = db.metadata.tables[lookup.table].alias(f"lookup_{number}")
        source = source.outerjoin(other, other.c[lookup.key] == table.c[lookup.column])
        columns += [(other.c[s] if isinstance(s, str) else s(other)).label(n) for n, s in lookup.show.items()]
    order = [table.c[name] for name in holding.order_by] or list(table.primary_key.columns)
    query = select(*columns).select_from(source).where(holding.rows_of(table, user, champion)).order_by(*order)
    rows = db.session.execute(query).mappings().all()
    references = {c.name for c in table.c if c.foreign_keys}
    shown = holding.headings([c.name for c in table.c] + [n for lk in holding.lookups for n in lk.show], references)
    labellers = {name: _Labeller(labels) for name, labels in holding.labels.items()}
    out = []
    for row in rows:
        values = {}
        for name, heading in shown.items():
            value = row[name]
            values[heading] = readable(labellers[name](value) if name in labellers else value)
        out.append(values)
    return list(shown.values()), out


def export_order(holdings: list[Holding]) -> list[Holding]:
    """The person's login and profile first, then each feature's tables in the features' order, and core's records
    of what was sent and done (the outbox, the audit log) last."""

    registry = features.registry()

    def place(holding: Holding) -> int:
        if holding.table in ("users", "champions"):
            return 0
        owner = registry.owner_of(holding.table)
        return 2 if owner is not None and owner.name == "core" else 1

    return sorted(holdings, key=place)  # a stable sort: each feature's tables keep its order


def _file_name(holding: Holding, taken: set[str]) -> str:
    stem = re.sub(r"[^a-z0-9]+", "-", holding.heading.lower()).strip("-") or holding.table
    if stem in taken:
        stem = f"{stem}-{holding.table.replace('_', '-')}"
    taken.add(stem)
    return stem


def _rights() -> list[dict[str, str]]:
    contact = current_app.config["CONTROLLER_CONTACT"]
    data_page, preferences = external_url("privacy.my_data"), external_url("privacy.preferences")
    # The details and email pages are roster's (a higher layer): named by endpoint, not imported.
    details, email = external_url("roster.edit_details"), external_url("roster.change_email")
    return [
        {
            "right": "See your data (right of access)",
            "how": f"This download is your copy. You can download it again at any time from {data_page}",
        },
        {
            "right": "Correct it",
            "how": f"Correct your name, postcode, borough or phone number at {details}. Change your email address at "
            f"{email}. Change the topics you care about at {preferences}. To correct anything else, contact us at "
            f"{contact} and we will put it right.",
        },
        {
            "right": "Erase it",
            "how": f"Erase your account at {data_page}. This cannot be undone: we remove your name, email, postcode, "
            "notes and answers, and keep only anonymous counts.",
        },
        {
            "right": "Withdraw your consent",
            "how": f"Say no to emails from us, or to any kind of reminder, at {preferences}. Delete your equality "
            f"monitoring answers at {external_url('privacy.equality')}. Saying no is as easy as saying yes was.",
        },
        {
            "right": "Object to how we use your data",
            "how": f"Contact us at {contact}. To stop all contact, withdraw from the programme at {data_page}.",
        },
        {
            "right": "Complain",
            "how": f"If you are unhappy with how we handle your data, please tell us first at {contact}. You can also "
            f"complain to the Information Commissioner's Office (ICO): {ICO}.",
        },
    ]


def export_data(user) -> dict[str, Any]:
    """Everything held about this person: "about" (who holds it, when, each file, their choices and rights) and a
    section for each holding that holds something about them."""
    champion = user.champion
    config = current_app.config
    sections: dict[str, dict[str, Any]] = {}
    files: list[dict[str, Any]] = []
    choices: list[Choice] = []
    taken: set[str] = set()
    for holding in export_order(features.registry().holdings):
        if holding.preferences is not None:
            choices += holding.preferences(user, champion)
        headings, rows = read_holding(holding, user, champion)
        entry = {"title": holding.heading, "describes": holding.sentence}
        if not rows:
            files.append({"file": None, **entry, "held": NOTHING_HELD})
            continue
        name = _file_name(holding, taken)
        files.append({"file": f"{name}.csv", **entry, "held": f"{len(rows)} row{'s' if len(rows) != 1 else ''}"})
        sections[name] = {**entry, "columns": headings, "rows": rows}
    held = f"{len(choices)} row{'s' if len(choices) != 1 else ''}" if choices else NOTHING_HELD
    files.insert(0, {"file": CHOICES_FILE if choices else None, **CHOICES, "held": held})
    about = {
        "title": f"Your data from {config['SERVICE_NAME']}",
        "person": user.email,
        "made_at": uk_time(now_utc(), "%-d %B %Y at %H:%M (UK time)"),
        "controller": {
            "name": config["CONTROLLER_NAME"],
            "contact": config["CONTROLLER_CONTACT"],
            "privacy_notice": external_url("core.privacy"),
        },
        "times": "Dates are year-month-day; times are UK time, on the 24-hour clock.",
        "files": files,
        "choices": [{"about": what, "your_choice": answer} for what, answer in choices],
        "rights": _rights(),
    }
    return {"about": about, "sections": sections}


def _paragraph(text: str, indent: str = "") -> str:
    return textwrap.fill(text, width=78, initial_indent=indent, subsequent_indent=indent, break_on_hyphens=False)


def readme(data: dict[str, Any]) -> str:
    """The cover note at the top of the zip, in plain words."""
    about = data["about"]
    controller = about["controller"]
    lines = [about["title"], "=" * len(about["title"]), ""]
    lines += [_paragraph(f"This is everything we hold about you ({about['person']}), as it was on {about['made_at']}.")]
    lines += ["", "Who holds your data", "-------------------", ""]
    lines += [_paragraph(f"{controller['name']} holds this data and is responsible for it (the data controller).")]
    lines += [f"Contact: {controller['contact']}", f"Privacy notice: {controller['privacy_notice']}"]
    lines += ["", "What is in this download", "------------------------", ""]
    lines += [
        _paragraph(
            "Each .csv file is a spreadsheet: open it with Excel, Numbers, LibreOffice or Google Sheets. "
            + about["times"]
        )
    ]
    lines += [""]
    for entry in about["files"]:
        if entry["file"]:
            lines += [_paragraph(f"{entry['file']} ({entry['held']}): {entry['describes']}"), ""]
    lines += [_paragraph(f"{JSON_FILE}: all of the above in one file, for moving your data to another service."), ""]
    if empty := [entry for entry in about["files"] if not entry["file"]]:
        lines += ["We hold nothing about you of these kinds, so there is no file for them:", ""]
        lines += [_paragraph(f"{entry['title']}: {NOTHING_HELD}. {entry['describes']}", "  ") for entry in empty]
        lines += [""]
    lines += ["Your choices now", "----------------", ""]
    lines += [_paragraph(f"{c['about']}: {c['your_choice']}") for c in about["choices"]] or ["None recorded."]
    lines += ["", "Your rights", "-----------", ""]
    for right in about["rights"]:
        lines += [right["right"], _paragraph(right["how"], "  "), ""]
    return "\n".join(lines).replace("\n", "\r\n")  # Windows line ends: Notepad shows them on any version


# Each download is recorded before the data is read, so the export lists its own event.


def export_json(user) -> str:
    audit.record("person.exported", user, format="json")
    return json.dumps(export_data(user), indent=2, ensure_ascii=False)


def export_zip(user) -> bytes:
    audit.record("person.exported", user, format="zip")
    data = export_data(user)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", readme(data).encode("utf-8"))
        if choices := [[c["about"], c["your_choice"]] for c in data["about"]["choices"]]:
            archive.writestr(CHOICES_FILE, excel_csv_bytes(csv_text(["What it is about", "Your choice"], choices)))
        for name, section in data["sections"].items():
            rows = ([row[h] for h in section["columns"]] for row in section["rows"])
            archive.writestr(f"{name}.csv", excel_csv_bytes(csv_text(section["columns"], rows)))
        archive.writestr(JSON_FILE, json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8"))
    return buffer.getvalue()
