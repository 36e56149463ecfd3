"""Organisations register. Services flush; the request commits."""

from __future__ import annotations

import re

from sqlalchemy import select

from champions.core.models import Borough
from champions.extensions import db
from champions.organisations.models import EngagementChange, EngagementLevel, Organisation, normalise_org_name

CHARITY_NUMBER_RE = re.compile(r"^(\d{6,8}(-\d{1,2})?|SC\d{6})$")


def normalise_charity_number(value: str | None) -> str | None:
    compact = re.sub(r"\s+", "", value or "").upper()
    return compact or None


def charity_number_problem(value: str | None) -> str | None:
    number = normalise_charity_number(value)
    if number and not CHARITY_NUMBER_RE.match(number):
        return "Enter a charity number in the correct format, like 1234567 or SC012345"
    return None


def create_organisation(
    name: str,
    *,
    type: str,
    borough_codes: list[str] | None = None,
    charity_number: str | None = None,
    postcode: str | None = None,
    website: str | None = None,
    engagement_level: str = EngagementLevel.AWARE.value,
    notes: str | None = None,
    by_user_id: int | None = None,
) -> Organisation:
    organisation = Organisation(
        name=name.strip(),
        normalised_name=normalise_org_name(name),
        type=type,
        charity_number=normalise_charity_number(charity_number),
        postcode=postcode,
        website=website,
        engagement_level=engagement_level,
        notes=notes,
    )
    if borough_codes:
        organisation.boroughs = list(db.session.scalars(select(Borough).where(Borough.code.in_(borough_codes))))
    organisation.engagement_history.append(
        EngagementChange(
            from_level=None, to_level=engagement_level, reason="Added to the register", changed_by_id=by_user_id
        )
    )
    db.session.add(organisation)
    db.session.flush()
    return organisation
