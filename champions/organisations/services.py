"""Organisations register. Services flush; the request commits."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, Table, and_, func, or_, select
from sqlalchemy.orm import aliased

from champions.accounts.models import User
from champions.core import audit, merging, tombstones
from champions.core.db import now_utc
from champions.core.forms import search_text
from champions.core.merging import MergeRefused as MergeRefused  # raised here; views and tests catch it from here
from champions.core.models import Borough
from champions.extensions import db
from champions.organisations.models import (
    EngagementChange,
    EngagementLevel,
    Organisation,
    OrganisationContact,
    normalise_org_name,
    organisation_boroughs,
)
from champions.profiles.models import LIVE, Champion
from champions.profiles.services import ensure_live

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


def register_organisation(name: str, **fields: Any) -> Organisation:
    """Staff add an organisation to the register: create_organisation, recorded in the audit log. (Other
    features that add one, a grant applicant's group say, record their own event.)"""
    organisation = create_organisation(name, **fields)
    audit.record("organisation.created", organisation)
    return organisation


def update_organisation(
    organisation: Organisation, *, name: str, type: str, borough_codes: list[str], **fields: str | None
) -> Organisation:
    """Edit the register entry; the engagement level changes only through change_engagement (it keeps history).
    The audit event names the fields that changed (none changed: nothing is recorded)."""
    values = {
        "name": name.strip(),
        "type": type,
        "charity_number": normalise_charity_number(fields.pop("charity_number", None)),
        **{field: fields.get(field) or None for field in ("postcode", "website", "notes")},
    }
    changed = audit.assign(organisation, values)
    organisation.normalised_name = normalise_org_name(organisation.name)
    if sorted(set(borough_codes)) != sorted(b.code for b in organisation.boroughs):
        organisation.boroughs = list(db.session.scalars(select(Borough).where(Borough.code.in_(borough_codes))))
        changed.append("boroughs")
    if changed:
        audit.record("organisation.updated", organisation, fields=changed)
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
    audit.record("organisation.engagement_changed", organisation, to=to_level)
    db.session.flush()
    return True


def champion_with_email(email: str | None) -> Champion | None:
    if not email:
        return None
    # A merged-away record is read-only: link the record kept.
    return db.session.scalar(select(Champion).join(Champion.user).where(User.email == email.strip().lower(), LIVE))


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
    audit.record("organisation.contact_added", organisation, contact_id=contact.id)
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
    """Edit a contact. Consent keeps the time it was first given; withdrawing clears it. The audit event names the
    fields that changed (none changed: nothing is recorded)."""
    if consent_to_contact and not contact.consent_to_contact:
        contact.consent_recorded_at = now_utc()
    elif not consent_to_contact:
        contact.consent_recorded_at = None
    values = {
        "name": name.strip(),
        "role": role or None,
        "email": email.strip().lower() if email else None,
        "phone": phone or None,
        "consent_to_contact": consent_to_contact,
    }
    changed = audit.assign(contact, values)
    if contact.champion_id is None and (champion := champion_with_email(contact.email)) is not None:
        contact.champion_id = champion.id
    if changed:
        audit.record("organisation.contact_updated", contact.organisation, contact_id=contact.id, fields=changed)
    db.session.flush()


def affiliate_champion(organisation: Organisation, champion: Champion) -> bool:
    ensure_live(champion)
    if champion in organisation.champions:
        return False
    organisation.champions.append(champion)
    audit.record("organisation.champion_affiliated", organisation, champion_id=champion.id)
    db.session.flush()
    return True


def unaffiliate_champion(organisation: Organisation, champion: Champion) -> None:
    """Recorded even when they were not affiliated: staff asked for it, and the register now agrees."""
    if champion in organisation.champions:
        organisation.champions.remove(champion)
    audit.record("organisation.champion_unaffiliated", organisation, champion_id=champion.id)
    db.session.flush()


def active_organisations() -> Select[Organisation]:
    """The register without the entries that were merged into another."""
    return select(Organisation).where(Organisation.merged_into_id.is_(None))


# The register list's filters, as its page, a saved search and a choice of many organisations read them.
FILTER_KEYS = ("q", "type", "borough", "level")


def filtered_organisations(filters: Mapping[str, str]) -> Select[Organisation]:
    """The register's list as filtered (``q``, ``type``, ``level``, ``borough``; empty ones left out)."""
    query = active_organisations()
    if filters.get("q"):
        query = query.where(Organisation.name.ilike(f"%{filters['q']}%"))
    if filters.get("type"):
        query = query.where(Organisation.type == filters["type"])
    if filters.get("level"):
        query = query.where(Organisation.engagement_level == filters["level"])
    if filters.get("borough"):
        served = select(organisation_boroughs.c.organisation_id).where(
            organisation_boroughs.c.borough_code == filters["borough"]
        )
        query = query.where(Organisation.id.in_(served))
    return query


# Organisations working with the programme, the ones a member of the public may have heard of it from: the public
# sign-up form lists only these, not the whole register (an organisation staff only know of is not named there).
WORKING_WITH_US = (EngagementLevel.ENGAGED.value, EngagementLevel.PARTNER.value)


def organisation_names(limit: int | None = None, *, levels: Sequence[str] | None = None) -> list[tuple[int, str]]:
    """(id, name) of the organisations on the register (not merged away), by name: for choosing one; only those at
    the engagement ``levels`` given, when given."""
    query = select(Organisation.id, Organisation.name).where(Organisation.merged_into_id.is_(None))
    if levels is not None:
        query = query.where(Organisation.engagement_level.in_(levels))
    return [(i, name) for i, name in db.session.execute(query.order_by(Organisation.name).limit(limit))]


def _working_with_us() -> Select[Any]:
    """The ids of the organisations on the register (``active_organisations``) working with the programme."""
    query = active_organisations().with_only_columns(Organisation.id)
    return query.where(Organisation.engagement_level.in_(WORKING_WITH_US))


def is_working_with_us(organisation_id: int | None) -> bool:
    """Whether the public may name this organisation as where they heard of the programme (``WORKING_WITH_US``)."""
    if organisation_id is None:
        return False
    return db.session.scalar(_working_with_us().where(Organisation.id == organisation_id)) is not None


def working_with_us_named(name: str) -> int | None:
    """The organisation working with the programme that ``name`` names: written just so (as a suggestion fills it
    in, whatever its letters), or however its case, spacing, punctuation or "Ltd" are written
    (``normalise_org_name``, the register's own duplicate key, which keeps only the letters a to z and digits). Where
    several match, the one written just so, then the oldest: two organisations with one name are duplicates that
    staff merge (the register's "likely duplicates")."""
    typed = search_text(name, 200)
    if not typed:
        return None
    key = normalise_org_name(typed)
    written = Organisation.name == typed
    query = _working_with_us().where(or_(written, Organisation.normalised_name == key) if key else written)
    return db.session.scalar(query.order_by(written.desc(), Organisation.id).limit(1))


def working_with_us_containing(text: str, limit: int = 10) -> list[str]:
    """The names (each once) of up to ``limit`` organisations working with the programme that contain ``text`` (any
    case; on SQLite, any case of the letters a to z), those that start with it first, then by name: suggestions for
    a sign-up form's organisation box."""
    lowered = func.lower(Organisation.name)
    text = search_text(text, 200).lower()
    if not text:
        return []
    query = (
        _working_with_us()
        .with_only_columns(Organisation.name)
        .where(lowered.contains(text, autoescape=True))
        .group_by(Organisation.name)
        .order_by(lowered.startswith(text, autoescape=True).desc(), Organisation.name)
        .limit(limit)
    )
    return list(db.session.scalars(query))


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


# Merging: every row that refers to the organisation merged away moves to the one kept, found from the schema's
# foreign keys (core/merging.py); links both hold (a borough, an affiliated champion) are kept once.

LABELS = {
    "organisations.merged_into_id": "Organisations merged into it before",
    "champions.heard_via_organisation_id": "Champions who heard through it",
    "workshops.host_organisation_id": "Workshops it hosted",
    "organisation_affiliations.organisation_id": "Affiliated champions",
    "organisation_boroughs.organisation_id": "Boroughs",
    "organisation_contacts.organisation_id": "Contacts",
    "organisation_engagement_changes.organisation_id": "Engagement history",
}


@dataclass
class OrganisationMergePlan:
    keep: Organisation
    remove: Organisation
    moves: dict[str, int]  # kind of record -> how many refer to the organisation merged away
    fingerprint: str  # of both entries as previewed: the merge refuses if they have changed since


def _organisations() -> Table:
    return db.metadata.tables["organisations"]


def plan_organisation_merge(keep: Organisation, remove: Organisation) -> OrganisationMergePlan:
    """What merging ``remove`` into ``keep`` would move, without moving anything (the preview)."""
    if keep.id == remove.id:
        raise MergeRefused("An organisation cannot be merged with itself.")
    for organisation in (keep, remove):
        if organisation.merged_into_id is not None:
            raise MergeRefused(f"{organisation.name} has already been merged into another organisation.")
    steps = merging.plan(_organisations(), keep.id, remove.id)
    moves = merging.preview_counts(steps, LABELS)
    versions = [(o.updated_at, o.merged_into_id) for o in (keep, remove)]
    fingerprint = merging.fingerprint(_organisations(), [keep.id, remove.id], *versions)
    return OrganisationMergePlan(keep, remove, moves, fingerprint)


def merge_organisations(
    keep: Organisation, remove: Organisation, by_user_id: int | None = None, *, fingerprint: str | None = None
) -> OrganisationMergePlan:
    """Fold ``remove`` into ``keep``: every row that points at ``remove`` (contacts, affiliations, boroughs,
    workshops it hosted, champions who heard through it, and any other feature's rows) now points at ``keep``.

    ``fingerprint`` is the preview's: if either entry has changed since, nothing is done. One savepoint, so a
    failure half way leaves both entries as they were. Both entries are locked before they are checked, so a
    merge running at the same time waits and is then refused.
    """
    with db.session.begin_nested():
        merging.lock(Organisation, [keep.id, remove.id])
        plan = plan_organisation_merge(keep, remove)
        merging.refuse_if_stale(fingerprint, plan.fingerprint, "organisations")
        moved = merging.move(_organisations(), keep.id, remove.id)
        if not keep.charity_number:
            keep.charity_number = remove.charity_number
        keep.owner_id = keep.owner_id or remove.owner_id  # the kept entry's owner, else the other's
        remove.merged_into_id = keep.id
        if remove.notes:
            keep.notes = f"{keep.notes}\n\n{remove.notes}" if keep.notes else remove.notes
        details = {"merged_id": remove.id, "merged_name": remove.name, "moved": plan.moves, "rows": moved}
        audit.record("organisation.merged", keep, actor_id=by_user_id, **details)
        tombstones.bury("organisations", [remove.id], "merged", merged_into_id=keep.id)
        db.session.flush()
    db.session.expire_all()
    return plan
