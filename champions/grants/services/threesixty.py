"""A round's or a fund's awards as 360Giving data: the standard's JSON package and its flat spreadsheet (CSV).

360Giving (https://www.threesixtygiving.org/) is how UK grant-makers publish their grants. What is published here:

- only grants that stand (``AWARDED``: approved and later, with an amount); never a draft, a declined application or
  an award still waiting for its second approval;
- each grant's recipient is its *group*: the register's name once staff confirmed which organisation it is (else
  the name the group typed), its charity or company number where known, and an org identifier built from it;
- the project's title as the group gave it, but the description is written here from the round, theme and
  boroughs, not the group's summary: the summary was written for the panel, not for publication, and often names
  people or their health ("Jo, who lost her husband to cancer, …"), which must not be published;
- never the contact's name, email address or phone number, nor anything about reviewers, scores or reports. A
  title that carries the contact's name, email address or phone number is replaced by "Grant to <group>", and a
  grant whose group *is* its contact (the group's name is the contact's name) is a grant to an individual and is
  not published at all (360Giving data about individuals is personal data; Small Sparks grants go to groups).

Small-number suppression does not apply: these are grants to organisations, each published on its own as
360Giving asks, and no figure about people is in them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from champions.core import audit
from champions.core.clock import now_utc, uk_date
from champions.core.db import as_utc
from champions.extensions import db
from champions.grants.models import Application, Fund, Round
from champions.grants.services.groups import CHARITY_NUMBER_RE
from champions.grants.services.lifecycle import AWARDED
from champions.organisations.services import normalise_charity_number

# The ONS (GSS) codes of Greater Manchester's ten metropolitan districts, the local authority districts (LAD) that
# are its boroughs, by the app's borough code (ONS Register of Geographic Codes, E08 metropolitan districts).
BOROUGH_ONS_CODES = {
    "bolton": "E08000001",
    "bury": "E08000002",
    "manchester": "E08000003",
    "oldham": "E08000004",
    "rochdale": "E08000005",
    "salford": "E08000006",
    "stockport": "E08000007",
    "tameside": "E08000008",
    "trafford": "E08000009",
    "wigan": "E08000010",
}
SCHEMA_VERSION = "1.4"  # the 360Giving Data Standard version whose schemas the files follow
# Kinds of group (applications' group_type) whose number is a company number; a charity's is a charity number.
COMPANY_TYPES = frozenset({"cic", "company"})
# The standard's flat spreadsheet: each column's title (as the 360Giving template and its flatten-tool name it) and
# the path of the JSON field it holds. A grant's boroughs take a numbered set of columns each.
FieldPath = tuple[str | int, ...]
FLAT_COLUMNS: tuple[tuple[str, FieldPath], ...] = (
    ("Identifier", ("id",)),
    ("Title", ("title",)),
    ("Description", ("description",)),
    ("Currency", ("currency",)),
    ("Amount Applied For", ("amountAppliedFor",)),
    ("Amount Awarded", ("amountAwarded",)),
    ("Amount Disbursed", ("amountDisbursed",)),
    ("Award Date", ("awardDate",)),
    ("Planned Dates:Start Date", ("plannedDates", 0, "startDate")),
    ("Planned Dates:End Date", ("plannedDates", 0, "endDate")),
    ("Recipient Org:Identifier", ("recipientOrganization", 0, "id")),
    ("Recipient Org:Name", ("recipientOrganization", 0, "name")),
    ("Recipient Org:Charity Number", ("recipientOrganization", 0, "charityNumber")),
    ("Recipient Org:Company Number", ("recipientOrganization", 0, "companyNumber")),
    ("Funding Org:Identifier", ("fundingOrganization", 0, "id")),
    ("Funding Org:Name", ("fundingOrganization", 0, "name")),
    ("Grant Programme:Code", ("grantProgramme", 0, "code")),
    ("Grant Programme:Title", ("grantProgramme", 0, "title")),
    ("From An Open Call?", ("fromOpenCall",)),
)
LOCATION_COLUMNS = (
    ("Name", "name"),
    ("Country Code", "countryCode"),
    ("Geographic Code", "geoCode"),
    ("Geographic Code Type", "geoCodeType"),
)
LAST_COLUMNS: tuple[tuple[str, FieldPath], ...] = (("Last Modified", ("dateModified",)),)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass
class Package:
    """A 360Giving package (``data``, the JSON) with what was left out of it."""

    data: dict[str, Any]
    withheld: int  # grants to an individual, not published

    @property
    def grants(self) -> list[dict[str, Any]]:
        return self.data["grants"]


def prefix() -> str:
    return current_app.config["THREESIXTYGIVING_PREFIX"]


def grant_id(application: Application) -> str:
    return f"360G-{prefix()}-{application.id}"


def amount(pence: int) -> int | float:
    """Pence as a JSON number of pounds: whole pounds stay an integer (1300), else pounds and pence (1300.5)."""
    whole, part = divmod(pence, 100)
    return whole if part == 0 else float(Decimal(pence) / 100)


def clean(text: str | None) -> str:
    """Text as published: control characters (NUL included) taken out, runs of spaces made one, in NFC."""
    return " ".join(_CONTROL.sub(" ", unicodedata.normalize("NFC", text or "")).split())


def _folded(text: str | None) -> str:
    return clean(text).casefold()


def _phone_digits(text: str | None) -> str:
    return re.sub(r"\D", "", text or "")


def is_individual(application: Application) -> bool:
    """The group is its contact: the group's name, as typed or on the register, is the contact person's name."""
    person = _folded(application.contact_name)
    return bool(person) and person in {_folded(application.group_name), _folded(application.group_display)}


def names_its_contact(application: Application, text: str) -> bool:
    """Whether ``text`` carries the contact's name (as whole words), email address or phone number."""
    folded = _folded(text)
    person = _folded(application.contact_name)
    if person and re.search(rf"(?<!\w){re.escape(person)}(?!\w)", folded):
        return True
    email = _folded(application.contact_email)
    if email and email in folded:
        return True
    phone = _phone_digits(application.contact_phone)
    return len(phone) >= 6 and phone in _phone_digits(text)


def org_id_for_charity(number: str) -> str:
    """360Giving's org-id for a charity number: Scottish (SC…) GB-SC, Northern Irish (NIC…) GB-NIC, else England and
    Wales GB-CHC (the main charity: a linked charity's ``-1`` suffix is not part of it)."""
    if number.startswith("SC"):
        return f"GB-SC-{number}"
    if number.startswith("NIC"):
        return f"GB-NIC-{number[3:]}"
    return f"GB-CHC-{number.split('-')[0]}"


def recipient(application: Application) -> dict[str, Any]:
    """The group: its name, its charity or company number where known, and its org identifier."""
    organisation = application.organisation
    typed = application.group_number
    charity = company = None
    if organisation is not None and organisation.charity_number:
        charity = normalise_charity_number(organisation.charity_number)
    elif typed and application.group_type == "charity" and (CHARITY_NUMBER_RE.match(typed) or typed.startswith("NIC")):
        charity = typed
    if typed and application.group_type in COMPANY_TYPES:
        company = typed
    if charity:
        identifier = org_id_for_charity(charity)
    elif company:
        identifier = f"GB-COH-{company}"
    elif organisation is not None:
        identifier = f"360G-{prefix()}-org-{organisation.id}"
    else:  # not yet confirmed on the register: the group as this application gave it
        identifier = f"360G-{prefix()}-group-{application.id}"
    group: dict[str, Any] = {"id": identifier, "name": clean(application.group_display) or "Unnamed group"}
    if charity:
        group["charityNumber"] = charity
    if company:
        group["companyNumber"] = company
    return group


def funder_id(fund: Fund) -> str:
    configured = current_app.config["THREESIXTYGIVING_FUNDER_IDS"].get(fund.funder_organisation.strip())
    if configured:
        return configured
    slug = re.sub(r"[^a-z0-9]+", "-", fund.funder_organisation.casefold()).strip("-") or f"fund-{fund.id}"
    return f"360G-{prefix()}-funder-{slug}"


def location(code: str, name: str) -> dict[str, Any]:
    place: dict[str, Any] = {"name": name, "countryCode": "GB"}
    if code in BOROUGH_ONS_CODES:
        place.update(geoCode=BOROUGH_ONS_CODES[code], geoCodeType="LAD")
    return place


def _rfc3339(moment: datetime) -> str:
    return as_utc(moment).isoformat(timespec="seconds")


def _description(application: Application) -> str:
    round_ = application.round
    where = [b.name for b in application.boroughs]
    places = f"{', '.join(where[:-1])} and {where[-1]}" if len(where) > 1 else "".join(where)
    about = f" on {clean(application.theme)}" if clean(application.theme) else ""
    where_in = f" in {places}, Greater Manchester." if places else " in Greater Manchester."
    programme = f"A {clean(round_.fund.name)} grant from {clean(round_.name)}"
    return f"{programme} to a community group for a project{about}{where_in}"


def grant(application: Application) -> dict[str, Any]:
    """One award as a 360Giving grant. Nothing of the contact, reviewers or reports goes into it."""
    round_ = application.round
    fund = round_.fund
    title = clean(application.title)
    group = recipient(application)
    if not title or names_its_contact(application, title):
        title = f"Grant to {group['name']}"
    awarded_on = application.decided_at or application.updated_at
    data: dict[str, Any] = {
        "id": grant_id(application),
        "title": title,
        "description": _description(application),
        "currency": "GBP",
        "amountAppliedFor": amount(application.amount_requested_pence),
        "amountAwarded": amount(application.award_pence or 0),
        "awardDate": uk_date(awarded_on).isoformat(),
        "recipientOrganization": [group],
        "fundingOrganization": [{"id": funder_id(fund), "name": clean(fund.funder_organisation) or clean(fund.name)}],
        "grantProgramme": [{"code": f"{prefix()}-round-{round_.id}", "title": clean(round_.name)}],
        "fromOpenCall": "Yes",
        "dateModified": _rfc3339(application.updated_at),
    }
    if application.paid_pence:
        data["amountDisbursed"] = amount(application.paid_pence)
    planned = {
        key: value.isoformat()
        for key, value in (("startDate", application.start_on), ("endDate", application.end_on))
        if value is not None
    }
    if planned:
        data["plannedDates"] = [planned]
    if application.boroughs:
        data["beneficiaryLocation"] = [location(b.code, b.name) for b in application.boroughs]
    return data


def _awards(*where) -> Sequence[Application]:
    return db.session.scalars(
        select(Application)
        .where(AWARDED, *where)
        .options(
            selectinload(Application.organisation),
            selectinload(Application.boroughs),
            selectinload(Application.payments),
            selectinload(Application.round).selectinload(Round.fund),
        )
        .order_by(Application.id)
    ).all()


def _package(title: str, identifier: str, applications: Sequence[Application]) -> Package:
    published = [a for a in applications if not is_individual(a)]
    config = current_app.config
    now = _rfc3339(now_utc())
    data: dict[str, Any] = {
        "grants": [grant(a) for a in published],
        "version": SCHEMA_VERSION,
        "title": title,
        "description": f"{title}: the grants awarded, in the 360Giving Data Standard.",
        "identifier": identifier,
        "issued": now,
        "modified": now,
        "publisher": {
            "identifier": config["THREESIXTYGIVING_PUBLISHER_ID"] or f"360G-{prefix()}",
            "name": config["THREESIXTYGIVING_PUBLISHER_NAME"],
        },
        "license": config["THREESIXTYGIVING_LICENSE"],
    }
    return Package(data, withheld=len(applications) - len(published))


def round_package(round_: Round) -> Package:
    return _package(clean(round_.name), f"{prefix()}-round-{round_.id}", _awards(Application.round_id == round_.id))


def fund_package(fund: Fund) -> Package:
    round_ids = select(Round.id).where(Round.fund_id == fund.id)
    return _package(clean(fund.name), f"{prefix()}-fund-{fund.id}", _awards(Application.round_id.in_(round_ids)))


def exported(package: Package, target: Round | Fund, form: str) -> Package:
    """Record the download (who, what, which form, how many grants and how many withheld)."""
    audit.record("grant.threesixty_exported", target, form=form, grants=len(package.grants), withheld=package.withheld)
    return package


def _at(data: Any, path: FieldPath) -> object:
    """The field at ``path`` in a grant, or an empty cell where it has none."""
    for step in path:
        if isinstance(step, int):
            data = data[step] if isinstance(data, list) and step < len(data) else None
        else:
            data = data.get(step) if isinstance(data, dict) else None
    return "" if data is None else data


def flat(package: Package) -> tuple[list[str], list[list[object]]]:
    """The package as the standard's flat spreadsheet: one row a grant, amounts left as numbers."""
    places = max((len(g.get("beneficiaryLocation", [])) for g in package.grants), default=0) or 1
    located = tuple(
        (f"Beneficiary Location:{n}:{title}", ("beneficiaryLocation", n, key))
        for n in range(places)
        for title, key in LOCATION_COLUMNS
    )
    columns = (*FLAT_COLUMNS, *located, *LAST_COLUMNS)
    return [title for title, _ in columns], [[_at(g, path) for _, path in columns] for g in package.grants]
