"""``/api/v1/organisations``: staff list, read, add and change the register of organisations.

Adding and changing go through the staff pages' forms (``NewOrganisationForm``, ``OrganisationForm``: the same
checks of charity number, postcode, website and boroughs, the same messages) and ``organisations.services``. As on
the page, a likely duplicate (the same name once normalised, or the same charity number) is still added, and named
in ``likely_duplicate_ids`` for staff to merge on the duplicates page. The engagement level changes only through
the page (it keeps its history and reason). Organisations merged into another leave the list (see
``/api/v1/deletions``)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload

from champions.api.base import (
    AT_LEAST_ONE,
    BOROUGH_ENUM,
    FILLED,
    ApiError,
    ListArgs,
    Schema,
    UtcDateTime,
    form_from_json,
    idempotent,
    page,
    page_schema,
    patched,
    resource_blueprint,
    validated,
)
from champions.core.places import borough_choices
from champions.extensions import db
from champions.organisations.forms import NewOrganisationForm, OrganisationForm
from champions.organisations.models import EngagementLevel, Organisation, OrganisationType
from champions.organisations.services import (
    active_organisations,
    filtered_organisations,
    likely_duplicates_of,
    register_organisation,
    update_organisation,
)

blp = resource_blueprint("organisations", "The register of organisations: staff list, read, add and change them.")

NAMES = {"borough_codes": "boroughs"}
TYPES = [t.value for t in OrganisationType]
LEVELS = [level.value for level in EngagementLevel]


class OrganisationSchema(Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    type = ma.fields.String(required=True, metadata={"enum": TYPES})
    charity_number = ma.fields.String(required=True, allow_none=True)
    postcode = ma.fields.String(required=True, allow_none=True)
    website = ma.fields.String(required=True, allow_none=True)
    engagement_level = ma.fields.String(required=True, metadata={"enum": LEVELS})
    borough_codes = ma.fields.Method(
        "_boroughs", required=True, metadata={"type": "array", "items": {"type": "string"}}
    )
    notes = ma.fields.String(required=True, allow_none=True)
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)

    def _boroughs(self, organisation: Organisation) -> list[str]:
        return [borough.code for borough in organisation.boroughs]


class NewOrganisationSchema(OrganisationSchema):
    likely_duplicate_ids = ma.fields.List(
        ma.fields.Integer(),
        metadata={
            "description": "organisations on the register that look like this one (same name or number); in the "
            "first answer only, not when a repeat with the same Idempotency-Key answers with the record as it is now"
        },
    )


class OrganisationFilters(ListArgs):
    q = ma.fields.String(validate=ma.validate.Length(max=200), metadata={"description": "part of the name"})
    type = ma.fields.String(validate=ma.validate.OneOf(TYPES))
    level = ma.fields.String(validate=ma.validate.OneOf(LEVELS))
    borough_code = ma.fields.String(validate=ma.validate.Length(max=40))


class OrganisationChanges(Schema):
    """Only the fields sent change; the others stay as they are."""

    name = ma.fields.String(validate=ma.validate.Length(max=1000), metadata=FILLED)
    type = ma.fields.String(validate=ma.validate.Length(max=100), metadata={"enum": TYPES})
    charity_number = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=1000))
    postcode = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=1000))
    website = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=1000))
    borough_codes = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(max=100), metadata=BOROUGH_ENUM),
        validate=ma.validate.Length(max=100),
        metadata=AT_LEAST_ONE,
    )
    notes = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=20000))


class OrganisationBody(OrganisationChanges):
    name = ma.fields.String(required=True, validate=ma.validate.Length(max=1000), metadata=FILLED)
    type = ma.fields.String(required=True, validate=ma.validate.Length(max=100), metadata={"enum": TYPES})
    borough_codes = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(max=100), metadata=BOROUGH_ENUM),
        required=True,
        validate=ma.validate.Length(max=100),
        metadata=AT_LEAST_ONE,
    )
    engagement_level = ma.fields.String(
        load_default=EngagementLevel.AWARE.value, validate=ma.validate.Length(max=100), metadata={"enum": LEVELS}
    )


def _organisation_or_404(organisation_id: int) -> Organisation:
    organisation = db.session.scalar(active_organisations().where(Organisation.id == organisation_id))
    if organisation is None:
        raise ApiError(404, "No organisation has this id (or it was merged: see /api/v1/deletions).")
    return organisation


@blp.route("", methods=["GET"])
@blp.arguments(OrganisationFilters, location="query")
@blp.response(200, page_schema(OrganisationSchema, "OrganisationPage"))
def list_organisations(args: dict[str, Any]):
    """The register, oldest change first; filter as the staff list does (name, type, level, borough)."""
    filters = {name: args.get(name) or "" for name in ("q", "type", "level")} | {
        "borough": args.get("borough_code") or ""
    }
    query = filtered_organisations(filters).options(selectinload(Organisation.boroughs))
    return page(query, args, Organisation.updated_at, Organisation.id)


@blp.route("/<int:organisation_id>", methods=["GET"])
@blp.response(200, OrganisationSchema)
@blp.alt_response(404, schema="Problem")
def get_organisation(organisation_id: int):
    """One organisation on the register."""
    return _organisation_or_404(organisation_id)


def _form(form_class: type[OrganisationForm], data: dict[str, Any]) -> OrganisationForm:
    form = form_from_json(form_class, data, NAMES)
    form.boroughs.choices = borough_choices()
    return validated(form, NAMES)


@blp.route("", methods=["POST"])
@blp.arguments(OrganisationBody)
@blp.response(201, NewOrganisationSchema, headers={"Location": {"schema": {"type": "string"}}})
@idempotent
def add_organisation(data: dict[str, Any]):
    """Add an organisation to the register, as the staff page does (its checks and messages; audited). Send an
    ``Idempotency-Key`` to retry safely."""
    form = _form(NewOrganisationForm, data)
    organisation = register_organisation(**form.fields(), by_user_id=current_user.id)
    # For the schema to read; not a column.
    organisation.likely_duplicate_ids = [o.id for o in likely_duplicates_of(organisation)]  # type: ignore[attr-defined]
    location = url_for("api_organisations.get_organisation", organisation_id=organisation.id)
    return organisation, 201, {"Location": location}


@blp.route("/<int:organisation_id>", methods=["PATCH"])
@blp.arguments(OrganisationChanges)
@blp.response(200, OrganisationSchema)
@blp.alt_response(404, schema="Problem")
def change_organisation(data: dict[str, Any], organisation_id: int):
    """Change an organisation's details, as the staff page does (audited: which fields changed)."""
    organisation = _organisation_or_404(organisation_id)
    form = _form(OrganisationForm, patched(organisation, OrganisationSchema, OrganisationChanges, data))
    update_organisation(organisation, **form.fields())
    db.session.commit()
    return _organisation_or_404(organisation_id)
