from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Table, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from champions.core import merging
from champions.core.db import now_utc
from champions.core.models import Borough
from champions.extensions import Model, db
from champions.profiles.models import Champion


class OrganisationType(StrEnum):
    GRASSROOTS = "grassroots"
    CHARITY = "charity"
    INFRASTRUCTURE = "infrastructure"
    FAITH = "faith"
    BUSINESS = "business"
    NHS_PUBLIC = "nhs_public"
    EDUCATION = "education"
    HOUSING = "housing"
    LEISURE = "leisure"
    ARTS = "arts"
    OTHER = "other"

    @property
    def label(self) -> str:
        return ORGANISATION_TYPE_LABELS[self]


ORGANISATION_TYPE_LABELS = {
    OrganisationType.GRASSROOTS: "Grassroots group",
    OrganisationType.CHARITY: "Registered charity",
    OrganisationType.INFRASTRUCTURE: "Voluntary-sector infrastructure body",
    OrganisationType.FAITH: "Faith group",
    OrganisationType.BUSINESS: "Business",
    OrganisationType.NHS_PUBLIC: "NHS or public body",
    OrganisationType.EDUCATION: "School or college",
    OrganisationType.HOUSING: "Housing",
    OrganisationType.LEISURE: "Leisure",
    OrganisationType.ARTS: "Arts",
    OrganisationType.OTHER: "Other",
}


class EngagementLevel(StrEnum):
    AWARE = "aware"
    ENGAGED = "engaged"
    PARTNER = "partner"


def normalise_org_name(name: str) -> str:
    """A key for spotting duplicates: lower case, no punctuation, no 'the', no legal suffixes."""
    words = re.sub(r"[^a-z0-9 ]+", " ", name.lower().replace("&", " and ")).split()
    drop = {"the", "ltd", "limited", "cic", "cio"}
    return " ".join(w for w in words if w not in drop)


organisation_boroughs = Table(
    "organisation_boroughs",
    db.metadata,
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True),
    Column("borough_code", ForeignKey("boroughs.code"), primary_key=True),
)

organisation_affiliations = Table(
    "organisation_affiliations",
    db.metadata,
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True),
    Column("champion_id", ForeignKey("champions.id", ondelete="CASCADE"), primary_key=True, index=True),
)

TYPE_VALUES = ", ".join(f"'{t.value}'" for t in OrganisationType)
LEVEL_VALUES = ", ".join(f"'{level.value}'" for level in EngagementLevel)


class Organisation(Model):
    __tablename__ = "organisations"
    __table_args__ = (
        CheckConstraint(f"type IN ({TYPE_VALUES})", name="type_known"),
        CheckConstraint(f"engagement_level IN ({LEVEL_VALUES})", name="engagement_level_known"),
        # Lists of organisations by name (the roster's filter, pickers) read the first few hundred in order.
        Index("ix_organisations_name", "name"),
        # Part of a name, in any case: the names the sign-up form suggests, the roster's organisation filter. On
        # PostgreSQL a trigram index, which a LIKE '%part%' can use (at 39,285 organisations: 18 ms read in full).
        Index(
            "ix_organisations_name_search",
            func.lower(text("name")).label("name"),
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    normalised_name: Mapped[str] = mapped_column(String(200), index=True)
    type: Mapped[str] = mapped_column(String(20), default=OrganisationType.GRASSROOTS.value)
    # England and Wales charity numbers are 6 to 8 digits; Scottish ones SC + 6 digits.
    charity_number: Mapped[str | None] = mapped_column(String(20), index=True)
    postcode: Mapped[str | None] = mapped_column(String(10))
    website: Mapped[str | None] = mapped_column(String(255))
    engagement_level: Mapped[str] = mapped_column(String(20), default=EngagementLevel.AWARE.value)
    notes: Mapped[str | None] = mapped_column(Text)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    # The staff member who looks after this organisation (follow-ups): set with followups.services.set_owner.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(default=now_utc, onupdate=now_utc)

    boroughs: Mapped[list[Borough]] = relationship(secondary=organisation_boroughs, order_by=Borough.name)
    engagement_history: Mapped[list[EngagementChange]] = relationship(
        back_populates="organisation", order_by="EngagementChange.changed_at", cascade="all, delete-orphan"
    )
    contacts: Mapped[list[OrganisationContact]] = relationship(
        back_populates="organisation", order_by="OrganisationContact.name", cascade="all, delete-orphan"
    )
    champions: Mapped[list[Champion]] = relationship(secondary=organisation_affiliations, order_by="Champion.last_name")


class EngagementChange(Model):
    __tablename__ = "organisation_engagement_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    from_level: Mapped[str | None] = mapped_column(String(20))
    to_level: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(500))
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(default=now_utc)

    organisation: Mapped[Organisation] = relationship(back_populates="engagement_history")


class OrganisationContact(Model):
    """An individual engaged through an organisation. A person who is also a champion is linked, not copied."""

    __tablename__ = "organisation_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    consent_to_contact: Mapped[bool] = mapped_column(default=False)
    consent_recorded_at: Mapped[datetime | None]
    champion_id: Mapped[int | None] = mapped_column(ForeignKey("champions.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)

    organisation: Mapped[Organisation] = relationship(back_populates="contacts")
    champion: Mapped[Champion | None] = relationship()


# How a merge of two champions, users or organisations treats this feature's tables (core/merging.py).
MERGES: merging.Declarations = {}
# Merging champions or organisations (core/merging.py): an affiliation or a borough held by both is kept once.
MERGES.update(merging.on_conflict("champions", "organisation_affiliations.champion_id", merging.keep_one()))
MERGES.update(merging.on_conflict("organisations", "organisation_affiliations.organisation_id", merging.keep_one()))
MERGES.update(merging.on_conflict("organisations", "organisation_boroughs.organisation_id", merging.keep_one()))
# Contacts, engagement history, and who recorded it, follow the merged record.
MERGES.update(merging.moves("champions", "organisation_contacts.champion_id"))
MERGES.update(merging.moves("users", "organisation_engagement_changes.changed_by_id", "organisations.owner_id"))
MERGES.update(
    merging.moves(
        "organisations",
        "organisation_contacts.organisation_id",
        "organisation_engagement_changes.organisation_id",
        "organisations.merged_into_id",
    )
)
