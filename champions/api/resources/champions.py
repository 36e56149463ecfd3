"""``/api/v1/champions``: staff list, read, sign up (a partner's sign-up) and correct champions.

A sign-up goes through the public form's own checks (``RegistrationForm``, without the password: the person sets
one from the welcome email's link), records the same consents and sends the same welcome email with its
verification link (``roster.services.register_champion``). An address that already has an account is a 409: its
owner is told someone tried to sign them up, as the public form tells them. Corrections go through the staff
details form and ``roster.corrections.correct_details``, audited as on the page."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import url_for
from flask_login import current_user
from sqlalchemy import select

from champions.accounts.email_change import AddressTaken
from champions.accounts.models import User
from champions.accounts.services import EmailTaken, find_user, notify_owner_of_sign_up
from champions.api.base import (
    BOROUGH_ENUM,
    FILLED,
    TOPIC_ENUM,
    ApiError,
    Flag,
    ListArgs,
    Schema,
    UtcDateTime,
    WholeNumber,
    current_token,
    form_from_json,
    idempotent,
    page,
    page_schema,
    patched,
    resource_blueprint,
    validated,
)
from champions.core import audit
from champions.core.errors import Refused
from champions.core.notice import PRIVACY_NOTICE_VERSION
from champions.core.places import borough_choices
from champions.extensions import db
from champions.profiles.models import Champion, Stage
from champions.roster.corrections import correct_details, details_version
from champions.roster.forms import RegistrationForm
from champions.roster.services import register_champion
from champions.roster.staff_forms import StaffDetailsForm

blp = resource_blueprint("champions", "Champions: staff list, read, sign up and correct them.")

NAMES = {"borough_code": "borough", "topic_codes": "topics"}


class ChampionSchema(Schema):
    id = ma.fields.Integer(required=True)
    first_name = ma.fields.String(required=True)
    last_name = ma.fields.String(required=True)
    email = ma.fields.String(required=True, attribute="user.email")
    phone = ma.fields.String(required=True, allow_none=True)
    postcode = ma.fields.String(required=True)
    borough_code = ma.fields.String(required=True)
    topic_codes = ma.fields.Method("_topics", required=True, metadata={"type": "array", "items": {"type": "string"}})
    stage = ma.fields.String(required=True, metadata={"enum": [s.value for s in Stage]})
    is_leader = ma.fields.Boolean(required=True)
    source = ma.fields.String(required=True)
    recruited_by_id = ma.fields.Integer(required=True, allow_none=True)
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)

    def _topics(self, champion: Champion) -> list[str]:
        return [topic.code for topic in champion.topics]


class ChampionFilters(ListArgs):
    stage = ma.fields.String(validate=ma.validate.OneOf([s.value for s in Stage]))
    borough_code = ma.fields.String(validate=ma.validate.Length(max=40))


class SignUpSchema(Schema):
    """A partner's sign-up of someone who asked to join: the public sign-up form's questions, less the password."""

    first_name = ma.fields.String(required=True, validate=ma.validate.Length(max=1000), metadata=FILLED)
    last_name = ma.fields.String(required=True, validate=ma.validate.Length(max=1000), metadata=FILLED)
    email = ma.fields.String(required=True, validate=ma.validate.Length(max=1000), metadata=FILLED)
    postcode = ma.fields.String(required=True, validate=ma.validate.Length(max=1000), metadata=FILLED)
    borough_code = ma.fields.String(required=True, validate=ma.validate.Length(max=1000), metadata=BOROUGH_ENUM)
    topic_codes = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(max=100), metadata=TOPIC_ENUM), load_default=list
    )
    heard_via = ma.fields.String(load_default=None, validate=ma.validate.OneOf(["referral", "organisation", "other"]))
    referral_code = ma.fields.String(load_default=None, validate=ma.validate.Length(max=1000))
    organisation_id = WholeNumber(load_default=None)
    heard_other = ma.fields.String(load_default=None, validate=ma.validate.Length(max=1000))
    privacy_consent = Flag(
        required=True,
        metadata={"description": "the person read and agreed to the privacy notice (the form asks)", "enum": [True]},
    )
    email_consent = Flag(load_default=False)


class CorrectionSchema(Schema):
    """Only the fields sent change; the others stay as they are."""

    first_name = ma.fields.String(validate=ma.validate.Length(max=1000))
    last_name = ma.fields.String(validate=ma.validate.Length(max=1000))
    email = ma.fields.String(validate=ma.validate.Length(max=1000))
    phone = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=1000))
    postcode = ma.fields.String(validate=ma.validate.Length(max=1000))
    borough_code = ma.fields.String(validate=ma.validate.Length(max=1000), metadata=BOROUGH_ENUM)
    topic_codes = ma.fields.List(ma.fields.String(validate=ma.validate.Length(max=100), metadata=TOPIC_ENUM))


def live_champions():
    """Champions the API shows: not merged away, not erased (those are in the deletions feed)."""
    return (
        select(Champion)
        .join(User, User.id == Champion.user_id)
        .where(Champion.merged_into_id.is_(None), User.erased_at.is_(None))
    )


def _champion_or_404(champion_id: int) -> Champion:
    champion = db.session.scalar(live_champions().where(Champion.id == champion_id))
    if champion is None:
        raise ApiError(404, "No champion has this id (or their record was merged or erased: see /api/v1/deletions).")
    return champion


@blp.route("", methods=["GET"])
@blp.arguments(ChampionFilters, location="query")
@blp.response(200, page_schema(ChampionSchema, "ChampionPage"))
def list_champions(args: dict[str, Any]):
    """List champions, oldest change first; filter by stage and borough; follow ``next_cursor``."""
    query = live_champions()
    if args.get("stage"):
        query = query.where(Champion.stage == args["stage"])
    if args.get("borough_code"):
        query = query.where(Champion.borough_code == args["borough_code"])
    return page(query, args, Champion.updated_at, Champion.id)


@blp.route("", methods=["POST"])
@blp.arguments(SignUpSchema)
@blp.response(201, ChampionSchema, headers={"Location": {"schema": {"type": "string"}}})
@blp.alt_response(409, schema="Problem", description="An account with this email address exists already")
@idempotent
def sign_up_champion(data: dict[str, Any]):
    """Sign someone up as a champion (a partner's sign-up form): as the public form checks, records consent and
    sends the welcome email with its verification link. Send an ``Idempotency-Key`` to retry safely."""
    form = form_from_json(RegistrationForm, data, NAMES)
    del form["password"]  # the person sets one from the welcome email's link
    form.borough.choices = borough_choices("Select a borough")
    form.organisation_id.choices = []  # checked against the database (RegistrationForm.validate_organisation_id)
    validated(form, NAMES)
    referral = form.referral_code.data if form.heard_via.data == "referral" else None
    try:  # no password: the welcome email's link confirms the address, then asks the person to choose one
        user = register_champion(
            form.data, consent_version=PRIVACY_NOTICE_VERSION, referral_code=referral, source="api"
        )
    except EmailTaken:
        existing = find_user(form.email.data)
        if existing is not None and existing.active and existing.erased_at is None:
            notify_owner_of_sign_up(existing)
            db.session.commit()
        raise ApiError(
            409,
            "An account with this email address exists already; its owner has been told someone tried to sign them up.",
            errors=[{"field": "email", "detail": "An account with this email address exists already"}],
        ) from None
    champion = user.champion
    champion.source = "api"
    champion.source_detail = f"API token: {current_token().name}"[:200]
    db.session.flush()
    audit.record("champion.signed_up_through_api", champion, actor_id=current_user.id, token=current_token().prefix)
    return champion, 201, {"Location": url_for("api_champions.get_champion", champion_id=champion.id)}


@blp.route("/<int:champion_id>", methods=["GET"])
@blp.response(200, ChampionSchema)
@blp.alt_response(404, schema="Problem")
def get_champion(champion_id: int):
    """One champion."""
    return _champion_or_404(champion_id)


@blp.route("/<int:champion_id>", methods=["PATCH"])
@blp.arguments(CorrectionSchema)
@blp.response(200, ChampionSchema)
@blp.alt_response(404, schema="Problem")
@blp.alt_response(409, schema="Problem")
def correct_champion(data: dict[str, Any], champion_id: int):
    """Correct a champion's details, as staff do on the champion's page (audited: which fields changed)."""
    champion = _champion_or_404(champion_id)
    form = form_from_json(StaffDetailsForm, patched(champion, ChampionSchema, CorrectionSchema, data), NAMES)
    form.borough.choices = borough_choices("Select a borough")
    validated(form, NAMES)
    try:
        correct_details(champion, form.correction(), version=details_version(champion), by_user_id=current_user.id)
    except AddressTaken:
        db.session.rollback()
        raise ApiError(
            409, errors=[{"field": "email", "detail": "Another account signs in with this address"}]
        ) from None
    except Refused as refused:
        db.session.rollback()
        raise ApiError(409, str(refused)) from None
    db.session.commit()
    return champion
