"""``/api/v1/workshops``: staff list, read, add and change workshops and list a workshop's sign-ups; a champion lists
and reads the workshops their pages show them (their borough's, and any they signed up to elsewhere).

Adding and changing go through the staff page's form (``WorkshopForm``, its choices and messages) and
``workshops.services.save_workshop``: a change of when or where emails the people signed up and moves the
calendar event on, and the capacity cannot drop below the places booked, as on the page."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from champions.api.base import (
    BOROUGH_ENUM,
    FILLED,
    ApiError,
    ListArgs,
    Schema,
    UtcDateTime,
    WholeNumber,
    form_from_json,
    idempotent,
    page,
    page_schema,
    resource_blueprint,
    validated,
)
from champions.api.resources.signups import SignupSchema, signup_items
from champions.core.db import as_utc
from champions.extensions import db
from champions.workshops.forms import WorkshopForm, local_input
from champions.workshops.models import Workshop, WorkshopSignup, WorkshopType
from champions.workshops.services import (
    WorkshopProblem,
    places_left_in,
    save_workshop,
    visible_to_champion,
)
from champions.workshops.views.register import workshop_choices, workshop_fields, workshop_form_data

blp = resource_blueprint("workshops", "Workshops: staff list, add and change them; champions see their borough's.")

# API field -> the staff form's field
NAMES = {"borough_code": "borough", "host_organisation_id": "host_organisation", "facilitator_ids": "facilitators"}
TYPES = [t.value for t in WorkshopType]
CAPACITY = {"minimum": 1, "maximum": 5000}  # the form's limits


class WorkshopSchema(Schema):
    id = ma.fields.Integer(required=True)
    type = ma.fields.String(required=True, metadata={"enum": TYPES})
    title = ma.fields.String(required=True)
    description = ma.fields.String(required=True, allow_none=True)
    starts_at = UtcDateTime(required=True)
    ends_at = UtcDateTime(required=True)
    borough_code = ma.fields.String(required=True)
    venue = ma.fields.String(required=True)
    host_organisation_id = ma.fields.Integer(required=True, allow_none=True)
    facilitator_ids = ma.fields.Method(
        "_facilitators", required=True, metadata={"type": "array", "items": {"type": "integer"}}
    )
    capacity = ma.fields.Integer(required=True)
    places_left = ma.fields.Integer(required=True, metadata={"description": "places not yet booked"})
    cancelled_at = UtcDateTime(required=True, allow_none=True)
    cancel_reason = ma.fields.String(required=True, allow_none=True)
    sequence = ma.fields.Integer(required=True, metadata={"description": "goes up at each change of when or where"})
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)

    def _facilitators(self, workshop: Workshop) -> list[int]:
        return [user.id for user in workshop.facilitators]


class WorkshopFilters(ListArgs):
    type = ma.fields.String(validate=ma.validate.OneOf(TYPES))
    borough_code = ma.fields.String(validate=ma.validate.Length(max=40))


class WorkshopBody(Schema):
    """A workshop as the staff form takes it; times are ISO 8601 with a zone (kept to the minute)."""

    type = ma.fields.String(required=True, validate=ma.validate.Length(max=100), metadata={"enum": TYPES})
    title = ma.fields.String(required=True, validate=ma.validate.Length(max=1000), metadata=FILLED)
    description = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=20000))
    starts_at = ma.fields.AwareDateTime(required=True)
    ends_at = ma.fields.AwareDateTime(required=True)
    borough_code = ma.fields.String(required=True, validate=ma.validate.Length(max=100), metadata=BOROUGH_ENUM)
    venue = ma.fields.String(required=True, validate=ma.validate.Length(max=1000), metadata=FILLED)
    host_organisation_id = WholeNumber(load_default=None, allow_none=True)
    facilitator_ids = ma.fields.List(WholeNumber(), load_default=list, validate=ma.validate.Length(max=100))
    capacity = WholeNumber(required=True, metadata=CAPACITY)


class WorkshopChanges(Schema):
    """Only the fields sent change; the others stay as they are."""

    type = ma.fields.String(validate=ma.validate.Length(max=100), metadata={"enum": TYPES})
    title = ma.fields.String(validate=ma.validate.Length(max=1000), metadata=FILLED)
    description = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=20000))
    starts_at = ma.fields.AwareDateTime()
    ends_at = ma.fields.AwareDateTime()
    borough_code = ma.fields.String(validate=ma.validate.Length(max=100), metadata=BOROUGH_ENUM)
    venue = ma.fields.String(validate=ma.validate.Length(max=1000), metadata=FILLED)
    host_organisation_id = WholeNumber(allow_none=True)
    facilitator_ids = ma.fields.List(WholeNumber(), validate=ma.validate.Length(max=100))
    capacity = WholeNumber(metadata=CAPACITY)


WorkshopPage = page_schema(WorkshopSchema, "WorkshopPage")


def _visible():
    """The workshops the token's holder may see: every one for staff, a champion's as their pages show them."""
    query = select(Workshop).options(selectinload(Workshop.facilitators))
    if current_user.is_staff:
        return query
    champion = current_user.champion
    if champion is None:
        raise ApiError(403, "This token's holder has no champion record.")
    return query.where(visible_to_champion(champion))


def _with_places(workshops: list[Workshop]) -> list[Workshop]:
    places = places_left_in(workshops)
    for workshop in workshops:
        # For the schema to read; not a column.
        workshop.places_left = places[workshop.id]  # type: ignore[attr-defined]
    return workshops


def _workshop_or_404(workshop_id: int) -> Workshop:
    workshop = db.session.scalar(_visible().where(Workshop.id == workshop_id))
    if workshop is None:
        raise ApiError(404, "No workshop you can see has this id.")
    return _with_places([workshop])[0]


@blp.route("", methods=["GET"])
@blp.arguments(WorkshopFilters, location="query")
@blp.response(200, WorkshopPage)
def list_workshops(args: dict[str, Any]):
    """Workshops, oldest change first (a cancelled one stays, with ``cancelled_at``); filter by type and borough."""
    query = _visible()
    if args.get("type"):
        query = query.where(Workshop.type == args["type"])
    if args.get("borough_code"):
        query = query.where(Workshop.borough_code == args["borough_code"])
    return page(query, args, Workshop.updated_at, Workshop.id, _with_places)


@blp.route("/<int:workshop_id>", methods=["GET"])
@blp.response(200, WorkshopSchema)
@blp.alt_response(404, schema="Problem")
def get_workshop(workshop_id: int):
    """One workshop."""
    return _workshop_or_404(workshop_id)


def _form(data: dict[str, Any]) -> WorkshopForm:
    """The staff form filled from the body (times as the form's local time) and validated, or a 422."""
    values = {**data}
    for name in ("starts_at", "ends_at"):
        if values.get(name) is not None:
            try:
                values[name] = local_input(values[name])
            except OverflowError:  # a time at the very edge of the calendar, past it in UK time
                detail = "Enter a real date and time, like 2027-03-14T18:30:00Z"
                errors = [{"field": name, "detail": detail}]
                raise ApiError(422, "Some values are not valid: see errors.", errors=errors) from None
    form = form_from_json(WorkshopForm, values, NAMES)
    workshop_choices(form)
    return validated(form, NAMES)


def _save(workshop: Workshop, form: WorkshopForm) -> Workshop:
    try:
        return save_workshop(
            workshop, facilitator_ids=[int(i) for i in form.facilitators.data], **workshop_fields(form)
        )
    except WorkshopProblem as problem:
        db.session.rollback()
        field = {"borough": "borough_code"}.get(problem.field or "starts_at", problem.field or "starts_at")
        raise ApiError(422, str(problem), errors=[{"field": field, "detail": str(problem)}]) from None


@blp.route("", methods=["POST"])
@blp.arguments(WorkshopBody)
@blp.response(201, WorkshopSchema, headers={"Location": {"schema": {"type": "string"}}})
@idempotent
def add_workshop(data: dict[str, Any]):
    """Add a workshop, as the staff page does (its checks and messages). Send an ``Idempotency-Key`` to retry
    safely."""
    workshop = _save(Workshop(), _form(data))
    _with_places([workshop])
    return workshop, 201, {"Location": url_for("api_workshops.get_workshop", workshop_id=workshop.id)}


@blp.route("/<int:workshop_id>", methods=["PATCH"])
@blp.arguments(WorkshopChanges)
@blp.response(200, WorkshopSchema)
@blp.alt_response(404, schema="Problem")
def change_workshop(data: dict[str, Any], workshop_id: int):
    """Change a workshop, as the staff page does: people signed up are emailed of a new time or place, an upcoming
    workshop cannot move into the past, nor have fewer places than are booked (422, by the field)."""
    workshop = _workshop_or_404(workshop_id)
    now = workshop_form_data(workshop)
    current = {
        "type": now["type"],
        "title": now["title"],
        "description": now["description"],
        "starts_at": as_utc(workshop.starts_at),
        "ends_at": as_utc(workshop.ends_at),
        "borough_code": now["borough"],
        "venue": now["venue"],
        "host_organisation_id": workshop.host_organisation_id,
        "facilitator_ids": [int(i) for i in now["facilitators"]],
        "capacity": now["capacity"],
    }
    _save(workshop, _form({**current, **data}))
    db.session.commit()
    return _workshop_or_404(workshop_id)


@blp.route("/<int:workshop_id>/signups", methods=["GET"])
@blp.arguments(ListArgs, location="query")
@blp.response(200, page_schema(SignupSchema, "WorkshopSignupPage"))
@blp.alt_response(404, schema="Problem")
def list_workshop_signups(args: dict[str, Any], workshop_id: int):
    """A workshop's sign-ups (booked, waiting and cancelled), oldest change first."""
    if db.session.get(Workshop, workshop_id) is None:
        raise ApiError(404, "No workshop has this id.")
    query = select(WorkshopSignup).where(WorkshopSignup.workshop_id == workshop_id)
    return page(query, args, WorkshopSignup.updated_at, WorkshopSignup.id, signup_items)
