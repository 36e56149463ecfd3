"""``/api/v1/activities``: staff read every champion's activities; ``/api/v1/activities/mine``: a champion lists,
logs and changes their own, through the page's form (``ActivityForm``) and ``activities.services`` (``log_activity``,
``update_activity``)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import url_for
from flask_login import current_user
from sqlalchemy import select

from champions.activities.forms import ActivityForm
from champions.activities.models import Activity, ActivityType
from champions.activities.outcomes import OutcomeProblems
from champions.activities.services import earliest_day, log_activity, own_activity, update_activity
from champions.api.base import (
    BOROUGH_ENUM,
    TOPIC_ENUM,
    ApiError,
    ListArgs,
    Schema,
    UtcDateTime,
    WholeNumber,
    form_from_json,
    idempotent,
    own_champion,
    page,
    page_schema,
    patched,
    resource_blueprint,
    validated,
)
from champions.core.errors import Refused
from champions.core.forms import MAX_INT
from champions.extensions import db

blp = resource_blueprint(
    "activities", "Activities champions log: staff read all; a champion lists, logs and changes their own."
)


class ActivitySchema(Schema):
    id = ma.fields.Integer(required=True)
    champion_id = ma.fields.Integer(required=True, allow_none=True)
    type = ma.fields.String(required=True, metadata={"enum": [t.value for t in ActivityType]})
    occurred_on = ma.fields.Date(required=True)
    borough_code = ma.fields.String(required=True)
    topic_code = ma.fields.String(required=True)
    people_reached = ma.fields.Integer(required=True)
    notes = ma.fields.String(required=True, allow_none=True)
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)


class ActivityFilters(ListArgs):
    champion_id = ma.fields.Integer(validate=ma.validate.Range(1, MAX_INT))


class NewActivitySchema(Schema):
    type = ma.fields.String(required=True, validate=ma.validate.OneOf([t.value for t in ActivityType]))
    occurred_on = ma.fields.Date(required=True)
    borough_code = ma.fields.String(required=True, validate=ma.validate.Length(max=100), metadata=BOROUGH_ENUM)
    topic_code = ma.fields.String(required=True, validate=ma.validate.Length(max=100), metadata=TOPIC_ENUM)
    people_reached = WholeNumber(required=True, validate=ma.validate.Range(0, MAX_INT))
    notes = ma.fields.String(load_default=None, validate=ma.validate.Length(max=10000))


class ActivityChanges(Schema):
    """Only the fields sent change; the others stay as they are."""

    type = ma.fields.String(validate=ma.validate.OneOf([t.value for t in ActivityType]))
    occurred_on = ma.fields.Date()
    borough_code = ma.fields.String(validate=ma.validate.Length(max=100), metadata=BOROUGH_ENUM)
    topic_code = ma.fields.String(validate=ma.validate.Length(max=100), metadata=TOPIC_ENUM)
    people_reached = WholeNumber(validate=ma.validate.Range(0, MAX_INT))
    notes = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=10000))


ActivityPage = page_schema(ActivitySchema, "ActivityPage")


@blp.route("", methods=["GET"])
@blp.arguments(ActivityFilters, location="query")
@blp.response(200, ActivityPage)
def list_activities(args: dict[str, Any]):
    """Every champion's activities (staff), oldest change first; filter by champion."""
    query = select(Activity)
    if args.get("champion_id"):
        query = query.where(Activity.champion_id == args["champion_id"])
    return page(query, args, Activity.updated_at, Activity.id)


@blp.route("/<int:activity_id>", methods=["GET"])
@blp.response(200, ActivitySchema)
@blp.alt_response(404, schema="Problem")
def get_activity(activity_id: int):
    """One activity: staff read any; a champion only their own."""
    activity = db.session.get(Activity, activity_id)
    if activity is None or (current_user.role == "champion" and activity.champion_id != own_champion().id):
        raise ApiError(404, "No activity of yours has this id.")
    return activity


@blp.route("/mine", methods=["GET"])
@blp.arguments(ListArgs, location="query")
@blp.response(200, ActivityPage)
def list_my_activities(args: dict[str, Any]):
    """The champion's own activities, oldest change first."""
    query = select(Activity).where(Activity.champion_id == own_champion().id)
    return page(query, args, Activity.updated_at, Activity.id)


@blp.route("/mine", methods=["POST"])
@blp.arguments(NewActivitySchema)
@blp.response(201, ActivitySchema, headers={"Location": {"schema": {"type": "string"}}})
@blp.alt_response(409, schema="Problem", description="The champion is not taking part (withdrawn)")
@idempotent
def log_my_activity(data: dict[str, Any]):
    """Log an activity, as the 'Log an activity' page does (its checks and messages). Send an ``Idempotency-Key``
    to retry safely."""
    champion = own_champion()
    form = form_from_json(ActivityForm, data)
    form.earliest = earliest_day(champion)
    validated(form)
    try:
        activity = log_activity(champion, form.data)
    except Refused as refused:
        db.session.rollback()
        raise ApiError(409, str(refused)) from None
    return activity, 201, {"Location": url_for("api_activities.get_activity", activity_id=activity.id)}


@blp.route("/mine/<int:activity_id>", methods=["PATCH"])
@blp.arguments(ActivityChanges)
@blp.response(200, ActivitySchema)
@blp.alt_response(404, schema="Problem")
@blp.alt_response(409, schema="Problem", description="The champion is not taking part (withdrawn)")
def change_my_activity(data: dict[str, Any], activity_id: int):
    """Change one of the champion's activities, as its edit page does (its checks and messages). What came of it
    stays as recorded, so while it has outcomes a type that cannot have them, or fewer people reached than were
    signposted, is refused (422, by the field)."""
    champion = own_champion()
    activity = own_activity(champion, activity_id)
    if activity is None:
        raise ApiError(404, "No activity of yours has this id.")
    form = form_from_json(ActivityForm, patched(activity, ActivitySchema, ActivityChanges, data))
    form.earliest = earliest_day(champion)
    validated(form)
    try:
        update_activity(champion, activity, form.data)
    except OutcomeProblems as refused:
        db.session.rollback()
        errors = [{"field": field, "detail": detail} for field, detail in refused.problems.items()]
        raise ApiError(422, "Some values are not valid: see errors.", errors=errors) from None
    except Refused as refused:
        db.session.rollback()
        raise ApiError(409, str(refused)) from None
    db.session.commit()
    return activity
