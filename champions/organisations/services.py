"""Organisations register. Services flush; the request commits."""

from __future__ import annotations

import re

from sqlalchemy import and_, delete, or_, select, tuple_, update
from sqlalchemy.orm import aliased

from champions.accounts.models import User
from champions.core import audit
from champions.core.db import now_utc
from champions.core.models import Borough
from champions.extensions import db
from champions.organisations.models import (
    EngagementChange,
    EngagementLevel,
    Organisation,
    OrganisationContact,
    normalise_org_name,
)
from champions.roster.models import Champion

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


def update_organisation(
    organisation: Organisation, *, name: str, type: str, borough_codes: list[str], **fields: str | None
) -> Organisation:
    """Edit the register entry; the engagement level changes only through change_engagement (it keeps history)."""
    organisation.name = name.strip()
    organisation.normalised_name = normalise_org_name(name)
    organisation.type = type
    organisation.charity_number = normalise_charity_number(fields.pop("charity_number", None))
    for field in ("postcode", "website", "notes"):
        setattr(organisation, field, fields.get(field) or None)
    organisation.boroughs = list(db.session.scalars(select(Borough).where(Borough.code.in_(borough_codes))))
    db.session.flush()
    return organisation


def change_engagement(
    organisation: Organisation, to_level: str, reason: str | None, by_user_id: int | None = None
) -> bool:
    """Move to another engagement level, keeping the history. Returns False when nothing changed."""
    EngagementLevel(to_level)
    if organisation.engagement_level == to_level:
        return False
    organisation.engagement_history.append(
        EngagementChange(
            from_level=organisation.engagement_level, to_level=to_level, reason=reason, changed_by_id=by_user_id
        )
    )
    organisation.engagement_level = to_level
    db.session.flush()
    return True


def champion_with_email(email: str | None) -> Champion | None:
    if not email:
        return None
    return db.session.scalar(select(Champion).join(User).where(User.email == email.strip().lower()))


def add_contact(
    organisation: Organisation,
    *,
    name: str,
    role: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    consent_to_contact: bool = False,
    champion_id: int | None = None,
) -> OrganisationContact:
    """Record an individual engaged through the organisation. Someone who is already a champion
    (matched by email address, or chosen) is linked to their champion record rather than copied."""
    email = email.strip().lower() if email else None
    if champion_id is None and (champion := champion_with_email(email)) is not None:
        champion_id = champion.id
    contact = OrganisationContact(
        organisation=organisation,
        name=name.strip(),
        role=role or None,
        email=email,
        phone=phone or None,
        consent_to_contact=consent_to_contact,
        consent_recorded_at=now_utc() if consent_to_contact else None,
        champion_id=champion_id,
    )
    db.session.add(contact)
    db.session.flush()
    return contact


def update_contact(
    contact: OrganisationContact,
    *,
    name: str,
    role: str | None,
    email: str | None,
    phone: str | None,
    consent_to_contact: bool,
) -> None:
    """Edit a contact. Consent keeps the time it was first given; withdrawing clears it."""
    contact.name = name.strip()
    contact.role = role or None
    contact.email = email.strip().lower() if email else None
    contact.phone = phone or None
    if consent_to_contact and not contact.consent_to_contact:
        contact.consent_recorded_at = now_utc()
    elif not consent_to_contact:
        contact.consent_recorded_at = None
    contact.consent_to_contact = consent_to_contact
    if contact.champion_id is None and (champion := champion_with_email(contact.email)) is not None:
        contact.champion_id = champion.id
    db.session.flush()


def affiliate_champion(organisation: Organisation, champion: Champion) -> bool:
    if champion in organisation.champions:
        return False
    organisation.champions.append(champion)
    db.session.flush()
    return True


def unaffiliate_champion(organisation: Organisation, champion: Champion) -> None:
    if champion in organisation.champions:
        organisation.champions.remove(champion)
        db.session.flush()


def active_organisations():
    """The register without the entries that were merged into another."""
    return select(Organisation).where(Organisation.merged_into_id.is_(None))


def likely_duplicates_of(organisation: Organisation) -> list[Organisation]:
    same = Organisation.normalised_name == organisation.normalised_name
    if organisation.charity_number:
        same = or_(same, Organisation.charity_number == organisation.charity_number)
    query = active_organisations().where(Organisation.id != organisation.id, same).order_by(Organisation.name)
    return list(db.session.scalars(query))


def duplicate_pairs() -> list[tuple[Organisation, Organisation, str]]:
    """Every pair of register entries that look like the same organisation, found in one self-join."""
    a, b = aliased(Organisation), aliased(Organisation)
    by_name = a.normalised_name == b.normalised_name
    by_number = and_(a.charity_number.is_not(None), a.charity_number == b.charity_number)
    query = (
        select(a, b, by_number)
        .join(b, and_(a.id < b.id, or_(by_name, by_number)))
        .where(a.merged_into_id.is_(None), b.merged_into_id.is_(None))
        .order_by(a.name, b.id)
    )
    return [(x, y, "charity number" if number else "name") for x, y, number in db.session.execute(query)]


class MergeRefused(ValueError):
    pass


def merge_organisations(keep: Organisation, remove: Organisation, by_user_id: int | None = None) -> None:
    """Fold ``remove`` into ``keep``: every row that points at ``remove`` (contacts, affiliations, boroughs,
    workshops it hosted, champions who heard through it, and any other feature's rows) now points at ``keep``.

    Found from the schema rather than listed, so a table added later by another feature moves too.
    """
    if keep.id == remove.id or remove.merged_into_id is not None or keep.merged_into_id is not None:
        raise MergeRefused("These organisations cannot be merged")
    for fk in _foreign_keys_to(Organisation.__table__.c.id):
        column = fk.parent
        table = column.table
        if table is Organisation.__table__ and column.name == "merged_into_id":
            db.session.execute(update(table).where(column == remove.id).values({column.name: keep.id}))
            continue
        if column.primary_key:
            # A link table: drop the links ``keep`` already has, then move the rest.
            others = [c for c in table.primary_key.columns if c is not column]
            kept = select(*others).where(column == keep.id)
            clash = tuple_(*others).in_(kept) if len(others) > 1 else others[0].in_(kept)
            db.session.execute(delete(table).where(column == remove.id, clash))
        db.session.execute(update(table).where(column == remove.id).values({column.name: keep.id}))
    if not keep.charity_number:
        keep.charity_number = remove.charity_number
    remove.merged_into_id = keep.id
    if remove.notes:
        keep.notes = f"{keep.notes}\n\n{remove.notes}" if keep.notes else remove.notes
    db.session.flush()
    db.session.expire_all()
    audit.record("organisation.merged", keep, actor_id=by_user_id, merged_id=remove.id, merged_name=remove.name)


def _foreign_keys_to(target):
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column is target:
                yield fk
