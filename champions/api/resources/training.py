"""``/api/v1/training``: the training catalogue, read-only. Champions see what their catalogue page shows (training
not retired); staff see every resource, retired ones with ``retired_at``, as the staff catalogue does."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_login import current_user
from sqlalchemy import select

from champions.api.base import (
    ApiError,
    ListArgs,
    Schema,
    UtcDateTime,
    page,
    page_schema,
    resource_blueprint,
)
from champions.extensions import db
from champions.training.models import ResourceFormat, TrainingResource

blp = resource_blueprint("training", "The training catalogue: champions read what is offered; staff read all.")


class TrainingSchema(Schema):
    id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    summary = ma.fields.String(required=True)
    body = ma.fields.String(required=True, allow_none=True, metadata={"description": "plain text; '- ' starts a list"})
    format = ma.fields.String(required=True, metadata={"enum": [f.value for f in ResourceFormat]})
    url = ma.fields.String(required=True, allow_none=True)
    topic_code = ma.fields.String(required=True, allow_none=True)
    minutes = ma.fields.Integer(required=True)
    is_core = ma.fields.Boolean(required=True)
    position = ma.fields.Integer(required=True, metadata={"description": "the catalogue's order"})
    retired_at = UtcDateTime(required=True, allow_none=True)
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)


def _visible():
    query = select(TrainingResource)
    if current_user.is_staff:
        return query
    return query.where(TrainingResource.retired_at.is_(None))


@blp.route("", methods=["GET"])
@blp.arguments(ListArgs, location="query")
@blp.response(200, page_schema(TrainingSchema, "TrainingPage"))
def list_training(args: dict[str, Any]):
    """The catalogue, oldest change first (a resource retired since ``updated_since`` comes with ``retired_at``
    for staff; for champions it no longer appears)."""
    return page(_visible(), args, TrainingResource.updated_at, TrainingResource.id)


@blp.route("/<int:resource_id>", methods=["GET"])
@blp.response(200, TrainingSchema)
@blp.alt_response(404, schema="Problem")
def get_training(resource_id: int):
    """One training resource."""
    resource = db.session.scalar(_visible().where(TrainingResource.id == resource_id))
    if resource is None:
        raise ApiError(404, "No training you can see has this id.")
    return resource
