"""Checking one row of an import: a clean Row to compare with the roster, or the list of what is wrong with it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from champions.core.clock import today_uk
from champions.core.models import BOROUGH_NAMES, BOROUGHS, TOPICS
from champions.core.places import POSTCODE_RE, normalise_postcode, suggest_borough
from champions.roster.duplicates import email_key, phone_key, postcode_key

EMAIL_RE = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[a-z]{2,}$")
YES = {"yes", "y", "true", "1", "agreed", "opted in"}
NO = {"no", "n", "false", "0", "declined", "opted out"}


@dataclass
class Row:
    line: int
    email: str
    key: str
    first_name: str
    last_name: str
    postcode: str
    borough: str
    phone: str | None = None
    topics: list[str] = field(default_factory=list)
    registered_on: date | None = None
    consent_email: bool | None = None
    warnings: list[str] = field(default_factory=list)  # imported, but listed in the report for staff to check


BOROUGH_LOOKUP = {**{code: code for code, _, _ in BOROUGHS}, **{name.lower(): code for code, name, _ in BOROUGHS}}
TOPIC_LOOKUP = {**{code: code for code, _ in TOPICS}, **{name.lower(): code for code, name in TOPICS}}


def _name(value: str, label: str, problems: list[str]) -> str:
    value = " ".join(value.split())
    if not value:
        problems.append(f"{label} is missing")
    elif len(value) > 100:
        problems.append(f"{label} is longer than 100 characters")
    return value


def _date(value: str, problems: list[str]) -> date | None:
    if not value:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            parsed = datetime.strptime(value, fmt).date()
        except ValueError:
            continue
        if parsed > today_uk():
            problems.append(f"Date registered '{value}' is in the future")
        return parsed
    problems.append(f"Date registered '{value}' is not a date like 31/01/2025 or 2025-01-31")
    return None


def _consent(value: str, problems: list[str]) -> bool | None:
    value = value.lower()
    if not value:
        return None
    if value in YES:
        return True
    if value in NO:
        return False
    problems.append(f"Consent to email '{value}' must be yes, no or blank")
    return None


def _topics(value: str, problems: list[str]) -> list[str]:
    codes = []
    for part in re.split(r"[;|,]", value):
        part = part.strip().lower()
        if part and part not in TOPIC_LOOKUP:
            problems.append(f"Topic '{part}' is not one we know")
        elif part:
            codes.append(TOPIC_LOOKUP[part])
    return sorted(set(codes))


def _borough(given: str, postcode: str, valid_postcode: bool, problems: list[str]) -> tuple[str, list[str]]:
    """The row's borough code and its warnings: the borough given, or the one the postcode's district is in.

    A borough given is kept even when the postcode says another (people give where they live, work or
    volunteer), with a warning; a postcode outside the ten boroughs' districts is imported with a warning.
    """
    code = BOROUGH_LOOKUP.get(given.lower()) if given else None
    if given and code is None:
        problems.append(f"Borough '{given}' is not a Greater Manchester borough")
    if not valid_postcode:
        if not given:
            problems.append("Borough is missing")
        return code or "", []
    shown = normalise_postcode(postcode)
    from_postcode = suggest_borough(postcode)
    if from_postcode is None:
        if not given:
            problems.append(
                f"Borough is missing and postcode {shown} is outside Greater Manchester, so it cannot say which"
            )
            return "", []
        return code or "", [f"Postcode {shown} is outside Greater Manchester"]
    if not given:
        return from_postcode, []
    if code is not None and code != from_postcode:
        return code, [
            f"Postcode {shown} is in {BOROUGH_NAMES[from_postcode]}, not {BOROUGH_NAMES[code]}: "
            f"kept {BOROUGH_NAMES[code]} as given"
        ]
    return code or "", []


def check_row(line: int, values: dict[str, str]) -> Row | list[str]:
    """A clean Row, or the list of what is wrong with it."""
    problems: list[str] = []
    email = values.get("email", "").strip().lower()
    if not email:
        problems.append("Email address is missing")
    elif len(email) > 254 or not EMAIL_RE.match(email):
        problems.append(f"Email address '{email}' is not a real email address")
    first = _name(values.get("first_name", ""), "First name", problems)
    last = _name(values.get("last_name", ""), "Last name", problems)
    postcode = values.get("postcode", "").strip()
    valid_postcode = bool(POSTCODE_RE.match(postcode_key(postcode)))
    if not valid_postcode:
        problems.append(f"Postcode '{postcode}' is not a real UK postcode" if postcode else "Postcode is missing")
    borough, warnings = _borough(values.get("borough", "").strip(), postcode, valid_postcode, problems)
    phone = values.get("phone", "").strip()
    if phone and phone_key(phone) is None:
        problems.append(f"Phone number '{phone}' is not a real phone number")
    registered = _date(values.get("registered_on", "").strip(), problems)
    consent = _consent(values.get("consent_email", "").strip(), problems)
    topics = _topics(values.get("topics", ""), problems)
    if problems:
        return problems
    return Row(
        line=line,
        email=email,
        key=email_key(email) or email,
        first_name=first,
        last_name=last,
        postcode=normalise_postcode(postcode),
        borough=borough,
        phone=phone_key(phone),
        topics=topics,
        registered_on=registered,
        consent_email=consent,
        warnings=warnings,
    )
