"""``/api/v1/grants``: Small Sparks rounds, applications and awards, read-only.

- Rounds and awards: staff read all; a funder only those of the funds they are a funder of (as their pages show
  them, ``grants.services.funders.funds_visible_to``). An award is an application whose award stands (``AWARDED``,
  the one definition every figure uses), with its group, amount and dates, never its applicant's contact details.
- Applications: staff list a round's (without contact details) and read one in full, recorded in the audit log as
  on the application's page; an applicant lists and reads their own.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from champions.api.base import (
    ApiError,
    ListArgs,
    Schema,
    UtcDateTime,
    page,
    page_schema,
    resource_blueprint,
)
from champions.core import audit
from champions.core.forms import MAX_INT
from champions.core.permissions import Role
from champions.extensions import db
from champions.grants.models import Application, Fund, Round, Status
from champions.grants.services.funders import funds_visible_to
from champions.grants.services.lifecycle import AWARDED

blp = resource_blueprint("grants", "Grant rounds, applications and awards: staff read all, funders their own funds'.")

STATUSES = [s.value for s in Status]
ID = ma.fields.Integer(validate=ma.validate.Range(1, MAX_INT))


def _codes(record: Round | Application) -> list[str]:
    return [borough.code for borough in record.boroughs]


CODES = {"type": "array", "items": {"type": "string"}}


class RoundSchema(Schema):
    id = ma.fields.Integer(required=True)
    fund_id = ma.fields.Integer(required=True)
    fund_name = ma.fields.String(required=True, attribute="fund.name")
    funder_organisation = ma.fields.String(required=True, attribute="fund.funder_organisation")
    name = ma.fields.String(required=True)
    budget_pence = ma.fields.Integer(required=True)
    min_award_pence = ma.fields.Integer(required=True)
    max_award_pence = ma.fields.Integer(required=True)
    themes = ma.fields.List(ma.fields.String(), required=True)
    borough_codes = ma.fields.Function(_codes, required=True, metadata=CODES)
    opens_at = UtcDateTime(required=True)
    closes_at = UtcDateTime(required=True)
    closed_at = UtcDateTime(required=True, allow_none=True)
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)


class AwardSchema(Schema):
    """A grant awarded: the group and the money, no person's details."""

    id = ma.fields.Integer(required=True, metadata={"description": "the application's id"})
    round_id = ma.fields.Integer(required=True)
    fund_id = ma.fields.Integer(required=True, attribute="round.fund_id")
    title = ma.fields.String(required=True)
    summary = ma.fields.String(required=True)
    group_name = ma.fields.String(required=True)
    group_number = ma.fields.String(
        required=True, allow_none=True, metadata={"description": "the group's charity or company number"}
    )
    organisation_id = ma.fields.Integer(required=True, allow_none=True)
    theme = ma.fields.String(required=True, allow_none=True)
    borough_codes = ma.fields.Function(_codes, required=True, metadata=CODES)
    status = ma.fields.String(required=True, metadata={"enum": STATUSES})
    award_pence = ma.fields.Integer(required=True)
    decided_at = UtcDateTime(required=True, allow_none=True)
    start_on = ma.fields.Date(required=True, allow_none=True)
    end_on = ma.fields.Date(required=True, allow_none=True)
    updated_at = UtcDateTime(required=True)


class ApplicationSummarySchema(Schema):
    """An application in a list: its group, project and where it stands (contact details are on its own GET)."""

    id = ma.fields.Integer(required=True)
    round_id = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True, metadata={"enum": STATUSES})
    title = ma.fields.String(required=True)
    group_name = ma.fields.String(required=True)
    group_number = ma.fields.String(required=True, allow_none=True)
    organisation_id = ma.fields.Integer(required=True, allow_none=True)
    theme = ma.fields.String(required=True, allow_none=True)
    amount_requested_pence = ma.fields.Integer(required=True)
    award_pence = ma.fields.Integer(required=True, allow_none=True)
    submitted_at = UtcDateTime(required=True, allow_none=True)
    decided_at = UtcDateTime(required=True, allow_none=True)
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)


class ApplicationSchema(ApplicationSummarySchema):
    """An application in full, as its page shows it, with its contact's details."""

    group_type = ma.fields.String(required=True, allow_none=True)
    group_postcode = ma.fields.String(required=True, allow_none=True)
    group_website = ma.fields.String(required=True, allow_none=True)
    contact_name = ma.fields.String(required=True)
    contact_email = ma.fields.String(required=True)
    contact_phone = ma.fields.String(required=True)
    summary = ma.fields.String(required=True)
    activities = ma.fields.String(required=True)
    beneficiaries = ma.fields.String(required=True)
    people_expected = ma.fields.Integer(required=True, allow_none=True)
    borough_codes = ma.fields.Function(_codes, required=True, metadata=CODES)
    start_on = ma.fields.Date(required=True, allow_none=True)
    end_on = ma.fields.Date(required=True, allow_none=True)
    conditions = ma.fields.String(required=True, allow_none=True)
    decline_reason = ma.fields.String(required=True, allow_none=True)
    report_due_on = ma.fields.Date(required=True, allow_none=True)


class RoundFilters(ListArgs):
    fund_id = ID


class AwardFilters(ListArgs):
    fund_id = ID
    round_id = ID


class ApplicationFilters(ListArgs):
    round_id = ID
    status = ma.fields.String(validate=ma.validate.OneOf(STATUSES))


def _is_funder() -> bool:
    return current_user.role == Role.FUNDER


def _visible_awards():
    query = (
        select(Application)
        .join(Round, Round.id == Application.round_id)
        .where(AWARDED)
        .options(selectinload(Application.round), selectinload(Application.boroughs))
    )
    if _is_funder():
        query = query.where(Round.fund_id.in_(_fund_ids()))
    return query


def _fund_ids():
    return funds_visible_to(current_user).with_only_columns(Fund.id).order_by(None)


@blp.route("/rounds", methods=["GET"])
@blp.arguments(RoundFilters, location="query")
@blp.response(200, page_schema(RoundSchema, "RoundPage"))
def list_rounds(args: dict[str, Any]):
    """Grant rounds, oldest change first: staff every round, a funder their funds'."""
    query = select(Round).options(selectinload(Round.fund), selectinload(Round.boroughs))
    if _is_funder():
        query = query.where(Round.fund_id.in_(_fund_ids()))
    if args.get("fund_id"):
        query = query.where(Round.fund_id == args["fund_id"])
    return page(query, args, Round.updated_at, Round.id)


@blp.route("/rounds/<int:round_id>", methods=["GET"])
@blp.response(200, RoundSchema)
@blp.alt_response(404, schema="Problem")
def get_round(round_id: int):
    """One grant round (a funder: only their funds')."""
    query = select(Round).where(Round.id == round_id)
    if _is_funder():
        query = query.where(Round.fund_id.in_(_fund_ids()))
    round_ = db.session.scalar(query)
    if round_ is None:
        raise ApiError(404, "No grant round you can see has this id.")
    return round_


@blp.route("/awards", methods=["GET"])
@blp.arguments(AwardFilters, location="query")
@blp.response(200, page_schema(AwardSchema, "AwardPage"))
def list_awards(args: dict[str, Any]):
    """Grants awarded, oldest change first: staff every fund's, a funder their funds'. No contact details."""
    query = _visible_awards()
    if args.get("fund_id"):
        query = query.where(Round.fund_id == args["fund_id"])
    if args.get("round_id"):
        query = query.where(Application.round_id == args["round_id"])
    return page(query, args, Application.updated_at, Application.id)


@blp.route("/awards/<int:application_id>", methods=["GET"])
@blp.response(200, AwardSchema)
@blp.alt_response(404, schema="Problem")
def get_award(application_id: int):
    """One grant awarded (by its application's id)."""
    award = db.session.scalar(_visible_awards().where(Application.id == application_id))
    if award is None:
        raise ApiError(404, "No grant you can see was awarded with this id.")
    return award


@blp.route("/applications", methods=["GET"])
@blp.arguments(ApplicationFilters, location="query")
@blp.response(200, page_schema(ApplicationSummarySchema, "ApplicationPage"))
def list_applications(args: dict[str, Any]):
    """Applications (drafts too), oldest change first; filter by round and status. Without contact details."""
    query = select(Application)
    if args.get("round_id"):
        query = query.where(Application.round_id == args["round_id"])
    if args.get("status"):
        query = query.where(Application.status == args["status"])
    return page(query, args, Application.updated_at, Application.id)


@blp.route("/applications/mine", methods=["GET"])
@blp.arguments(ListArgs, location="query")
@blp.response(200, page_schema(ApplicationSchema, "MyApplicationPage"))
def list_my_applications(args: dict[str, Any]):
    """The applicant's own applications, in full, oldest change first."""
    query = select(Application).where(Application.applicant_id == current_user.id)
    query = query.options(selectinload(Application.boroughs))
    return page(query, args, Application.updated_at, Application.id)


@blp.route("/applications/<int:application_id>", methods=["GET"])
@blp.response(200, ApplicationSchema)
@blp.alt_response(404, schema="Problem")
def get_application(application_id: int):
    """One application in full: staff any (recorded in the audit log, as on its page), an applicant their own."""
    application = db.session.get(Application, application_id)
    if application is None or (not current_user.is_staff and application.applicant_id != current_user.id):
        raise ApiError(404, "No application you can see has this id.")
    if current_user.is_staff:
        audit.viewed("grant.application_viewed", application, subject_user_ids=(application.applicant_id,))
    return application
