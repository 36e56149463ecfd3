"""``/api/v1/moments``: the calendar of social moments; staff list, read, add and change them.

Adding and changing go through the staff page's form (``MomentForm``: its date, topic and level checks and
messages) and ``moments.services`` (``add_moment``, ``edit_moment``, audited); a name already on the calendar is
refused by the field, as on the page. ``next_starts_on`` is the next occurrence from today (UK), as the calendar
page shows it."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from champions.api.base import (
    AT_LEAST_ONE,
    FILLED,
    TOPIC_ENUM,
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
from champions.core.clock import today_uk
from champions.extensions import db
from champions.moments.forms import MomentForm
from champions.moments.models import Level, Moment, Recurrence
from champions.moments.services import add_moment, edit_moment, name_taken, occurrence_of
from champions.moments.views import moment_fields, topic_choices

blp = resource_blueprint("moments", "The calendar of social moments: staff list, read, add and change them.")

NAMES = {"topic_codes": "topics"}


class MomentSchema(Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    description = ma.fields.String(required=True, allow_none=True)
    recurrence = ma.fields.String(required=True, metadata={"enum": [r.value for r in Recurrence]})
    level = ma.fields.String(required=True, metadata={"enum": [level.value for level in Level]})
    start_date = ma.fields.Date(required=True)
    end_date = ma.fields.Date(required=True)
    next_starts_on = ma.fields.Method(
        "_next", required=True, allow_none=True, metadata={"type": "string", "format": "date"}
    )
    topic_codes = ma.fields.Method("_topics", required=True, metadata={"type": "array", "items": {"type": "string"}})
    suggested_actions = ma.fields.String(required=True, allow_none=True)
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)

    def _topics(self, moment: Moment) -> list[str]:
        return [topic.code for topic in moment.topics]

    def _next(self, moment: Moment) -> str | None:
        occurrence = occurrence_of(moment, today_uk())
        return occurrence.starts_on.isoformat() if occurrence else None


RECURRENCES = {"enum": [r.value for r in Recurrence]}
LEVELS = {"enum": [level.value for level in Level]}


class MomentChanges(Schema):
    """Only the fields sent change; the others stay as they are. Dates are ISO 8601 (2027-04-01)."""

    name = ma.fields.String(validate=ma.validate.Length(max=1000), metadata=FILLED)
    description = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=20000))
    recurrence = ma.fields.String(validate=ma.validate.Length(max=100), metadata=RECURRENCES)
    level = ma.fields.String(validate=ma.validate.Length(max=100), metadata=LEVELS)
    start_date = ma.fields.Date()
    end_date = ma.fields.Date(allow_none=True)
    topic_codes = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(max=100), metadata=TOPIC_ENUM),
        validate=ma.validate.Length(max=100),
        metadata=AT_LEAST_ONE,
    )
    suggested_actions = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=20000))


class MomentBody(MomentChanges):
    name = ma.fields.String(required=True, validate=ma.validate.Length(max=1000), metadata=FILLED)
    recurrence = ma.fields.String(required=True, validate=ma.validate.Length(max=100), metadata=RECURRENCES)
    level = ma.fields.String(required=True, validate=ma.validate.Length(max=100), metadata=LEVELS)
    start_date = ma.fields.Date(required=True)
    topic_codes = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(max=100), metadata=TOPIC_ENUM),
        required=True,
        validate=ma.validate.Length(max=100),
        metadata=AT_LEAST_ONE,
    )


def _moment_or_404(moment_id: int) -> Moment:
    moment = db.session.get(Moment, moment_id)
    if moment is None:
        raise ApiError(404, "No moment has this id.")
    return moment


@blp.route("", methods=["GET"])
@blp.arguments(ListArgs, location="query")
@blp.response(200, page_schema(MomentSchema, "MomentPage"))
def list_moments(args: dict[str, Any]):
    """The calendar's moments, oldest change first."""
    query = select(Moment).options(selectinload(Moment.topics))
    return page(query, args, Moment.updated_at, Moment.id)


@blp.route("/<int:moment_id>", methods=["GET"])
@blp.response(200, MomentSchema)
@blp.alt_response(404, schema="Problem")
def get_moment(moment_id: int):
    """One moment."""
    return _moment_or_404(moment_id)


def _form(data: dict[str, Any], moment_id: int | None) -> MomentForm:
    form = form_from_json(MomentForm, data, NAMES)
    topic_choices(form)
    validated(form, NAMES)
    if name_taken(form.name.data, moment_id):
        detail = "There is already a moment with that name"
        raise ApiError(422, "Some values are not valid: see errors.", errors=[{"field": "name", "detail": detail}])
    return form


@blp.route("", methods=["POST"])
@blp.arguments(MomentBody)
@blp.response(201, MomentSchema, headers={"Location": {"schema": {"type": "string"}}})
@idempotent
def add_moment_to_calendar(data: dict[str, Any]):
    """Add a moment, as the staff page does (its checks and messages; audited). Send an ``Idempotency-Key`` to
    retry safely."""
    moment = add_moment(**moment_fields(_form(data, None)))
    return moment, 201, {"Location": url_for("api_moments.get_moment", moment_id=moment.id)}


@blp.route("/<int:moment_id>", methods=["PATCH"])
@blp.arguments(MomentChanges)
@blp.response(200, MomentSchema)
@blp.alt_response(404, schema="Problem")
def change_moment(data: dict[str, Any], moment_id: int):
    """Change a moment, as the staff page does (audited: which fields changed)."""
    moment = _moment_or_404(moment_id)
    edit_moment(moment, **moment_fields(_form(patched(moment, MomentSchema, MomentChanges, data), moment.id)))
    db.session.commit()
    return _moment_or_404(moment_id)
