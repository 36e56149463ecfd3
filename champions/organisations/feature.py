"""The register of organisations, their contacts and engagement."""

from __future__ import annotations

from champions.core.features import Feature, NavItem
from champions.core.permissions import STAFF
from champions.core.personal_data import Holding, Lookup
from champions.organisations import (
    bp,
    models,
    views,  # noqa: F401  (importing them adds their routes)
)

FEATURE = Feature(
    name="organisations",
    blueprints=(bp,),
    access={
        "organisations.organisation_list": STAFF,
        "organisations.organisation_export": STAFF,
        "organisations.organisation_new": STAFF,
        "organisations.organisation_detail": STAFF,
        "organisations.organisation_edit": STAFF,
        "organisations.organisation_engagement": STAFF,
        "organisations.contact_new": STAFF,
        "organisations.contact_edit": STAFF,
        "organisations.affiliation_add": STAFF,
        "organisations.affiliation_remove": STAFF,
        "organisations.duplicates": STAFF,
        "organisations.merge": STAFF,
    },
    navigation=(NavItem("Organisations", "organisations.organisation_list", STAFF, 140),),
    models=(models,),
    merges=models.MERGES,
    holdings=(
        Holding(
            "organisation_affiliations",
            "champion",
            "champion_id",
            "delete",
            title="Organisations you belong to",
            describe="The community organisations and groups you are part of, as recorded by the programme team.",
            columns={"organisation": "Organisation"},
            lookups=(Lookup("organisation_id", "organisations", {"organisation": "name"}),),
        ),
        Holding(
            "organisation_contacts",
            "champion",
            "champion_id",
            "anonymise",
            {
                "name": "Erased contact",
                "role": None,
                "email": None,
                "phone": None,
                "consent_to_contact": False,
                "consent_recorded_at": None,
                "champion_id": None,
            },
            title="You as an organisation's contact",
            describe="Where the programme team keeps your details as a contact person for an organisation.",
            columns={
                "organisation": "Organisation",
                "name": "Name",
                "role": "Your role there",
                "email": "Email address",
                "phone": "Phone number",
                "consent_to_contact": "You agreed we may contact you",
                "consent_recorded_at": "Agreed on",
                "created_at": "Added",
            },
            lookups=(Lookup("organisation_id", "organisations", {"organisation": "name"}),),
        ),
    ),
    not_personal={
        "organisations": "organisations, not people",
        "organisation_boroughs": "organisations, not people",
        "organisation_engagement_changes": "organisations, not people (and staff ids)",
    },
)
