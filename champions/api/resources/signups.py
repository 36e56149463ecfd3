"""``/api/v1/signups``: a champion's own places at workshops: list them, sign up, cancel; staff read any one (a
workshop's list is ``/api/v1/workshops/{id}/signups``).

Signing up and cancelling are ``workshops.services.sign_up`` and ``cancel``, as on the champion's pages: a full
workshop puts the champion on the waiting list, a cancelled place goes to the first person waiting (who is
emailed), and only workshops the champion's pages show them (their borough's, or one they signed up to) can be
signed up to."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import url_for
from flask_login import current_user
from sqlalchemy import select

from champions.api.base import (
    ApiError,
    ListArgs,
    Schema,
    UtcDateTime,
    WholeNumber,
    idempotent,
    own_champion,
    page,
    page_schema,
    resource_blueprint,
)
from champions.core.forms import MAX_INT
from champions.extensions import db
from champions.workshops.models import SignupStatus, Workshop, WorkshopSignup
from champions.workshops.services import WorkshopProblem, cancel, champion_may_see, sign_up, waiting_positions

blp = resource_blueprint("signups", "Places at workshops: a champion's own (sign up, cancel); staff read any.")


class SignupSchema(Schema):
    id = ma.fields.Integer(required=True)
    workshop_id = ma.fields.Integer(required=True)
    champion_id = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True, metadata={"enum": [s.value for s in SignupStatus]})
    waiting_position = ma.fields.Integer(
        required=True, allow_none=True, metadata={"description": "place in the queue, 1 is next (waiting only)"}
    )
    queued_at = UtcDateTime(required=True)
    promoted_at = UtcDateTime(required=True, allow_none=True)
    cancelled_at = UtcDateTime(required=True, allow_none=True)
    checked_in_at = UtcDateTime(required=True, allow_none=True)
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)


class SignUpBody(Schema):
    workshop_id = WholeNumber(required=True, validate=ma.validate.Range(1, MAX_INT))


def signup_items(signups: list[WorkshopSignup]) -> list[WorkshopSignup]:
    """The sign-ups with their place in the queue, for the schema (one query for the page's waiting ones)."""
    places = waiting_positions(signups)
    for signup in signups:
        # For the schema to read; not a column.
        signup.waiting_position = places.get(signup.id)  # type: ignore[attr-defined]
    return signups


def _signup_or_404(signup_id: int) -> WorkshopSignup:
    signup = db.session.get(WorkshopSignup, signup_id)
    if signup is None or (not current_user.is_staff and signup.champion_id != own_champion().id):
        raise ApiError(404, "No sign-up of yours has this id.")
    return signup_items([signup])[0]


@blp.route("/mine", methods=["GET"])
@blp.arguments(ListArgs, location="query")
@blp.response(200, page_schema(SignupSchema, "SignupPage"))
def list_my_signups(args: dict[str, Any]):
    """The champion's own sign-ups (cancelled ones too), oldest change first."""
    query = select(WorkshopSignup).where(WorkshopSignup.champion_id == own_champion().id)
    return page(query, args, WorkshopSignup.updated_at, WorkshopSignup.id, signup_items)


@blp.route("/mine", methods=["POST"])
@blp.arguments(SignUpBody)
@blp.response(201, SignupSchema, headers={"Location": {"schema": {"type": "string"}}})
@blp.alt_response(200, schema=SignupSchema, description="The champion had a place (or a place in the queue) already")
@blp.alt_response(404, schema="Problem")
@blp.alt_response(409, schema="Problem", description="The workshop is cancelled or has started")
@idempotent
def sign_up_to_workshop(data: dict[str, Any]):
    """Sign up to a workshop: a place, or a place on the waiting list when it is full (``status``). Send an
    ``Idempotency-Key`` to retry safely."""
    champion = own_champion()
    workshop = db.session.get(Workshop, data["workshop_id"])
    if workshop is None or not champion_may_see(workshop, champion):
        missing = "No workshop you can see has this id"
        raise ApiError(404, f"{missing}.", errors=[{"field": "workshop_id", "detail": missing}])
    had = _current(workshop.id, champion.id)
    try:
        signup = sign_up(workshop.id, champion.id)
    except WorkshopProblem as problem:
        db.session.rollback()
        raise ApiError(409, str(problem)) from None
    signup_items([signup])
    return signup, 200 if had else 201, {"Location": url_for("api_signups.get_signup", signup_id=signup.id)}


def _current(workshop_id: int, champion_id: int) -> bool:
    """Whether the champion holds a place or a place in the queue now."""
    status = db.session.scalar(
        select(WorkshopSignup.status).where(
            WorkshopSignup.workshop_id == workshop_id, WorkshopSignup.champion_id == champion_id
        )
    )
    return status is not None and status != SignupStatus.CANCELLED.value


@blp.route("/<int:signup_id>", methods=["GET"])
@blp.response(200, SignupSchema)
@blp.alt_response(404, schema="Problem")
def get_signup(signup_id: int):
    """One sign-up: a champion their own, staff any."""
    return _signup_or_404(signup_id)


@blp.route("/<int:signup_id>", methods=["DELETE"])
@blp.response(200, SignupSchema)
@blp.alt_response(404, schema="Problem")
@blp.alt_response(409, schema="Problem", description="The workshop has started: the place is part of its attendance")
def cancel_signup(signup_id: int):
    """Cancel the place (or the place in the queue): the sign-up stays, ``cancelled``; the first person waiting
    moves up and is emailed. Cancelling again changes nothing. A place on a workshop that has started cannot be
    cancelled (409)."""
    signup = _signup_or_404(signup_id)
    try:
        cancel(signup.workshop_id, signup.champion_id)
    except WorkshopProblem as problem:
        db.session.rollback()
        raise ApiError(409, str(problem)) from None
    db.session.commit()
    return _signup_or_404(signup_id)
