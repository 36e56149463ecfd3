"""The JSON API (/api/v1), its OpenAPI document and reference page, and personal API tokens."""

from __future__ import annotations

from datetime import timedelta

from flask.blueprints import BlueprintSetupState

from champions.api import bp, models, views  # noqa: F401  (importing views adds its routes)
from champions.api.base import authenticate, init_api
from champions.api.resources import BLUEPRINTS
from champions.core.features import Beat, Feature, NavItem
from champions.core.permissions import APPLICANT, CHAMPION, FUNDER, PUBLIC, STAFF

TOKEN_HOLDERS = STAFF | CHAMPION | FUNDER | APPLICANT


@bp.record_once
def _serve_the_api(state: BlueprintSetupState) -> None:
    """Once the feature's own blueprint is registered: the token check before every request (ahead of the access
    table, which core registers later), then flask-smorest's Api with every resource's blueprint."""
    state.app.before_request(authenticate)
    init_api(state.app, BLUEPRINTS)  # type: ignore[arg-type]  # state.app is the Flask app registering it


FEATURE = Feature(
    name="api",
    blueprints=(bp,),
    registers_itself=("api-docs", *(blueprint.name for blueprint in BLUEPRINTS)),  # through flask-smorest: init_api
    access={
        # Pages
        "api.tokens": TOKEN_HOLDERS,
        "api.revoke_token": TOKEN_HOLDERS,
        "api.reference": PUBLIC,
        "api-docs.openapi_json": PUBLIC,
        # Resources: the same table as the pages decides (a token reaches no further than its holder's role)
        "api_champions.list_champions": STAFF,
        "api_champions.sign_up_champion": STAFF,
        "api_champions.get_champion": STAFF,
        "api_champions.correct_champion": STAFF,
        "api_activities.list_activities": STAFF,
        "api_activities.get_activity": STAFF | CHAMPION,
        "api_activities.list_my_activities": CHAMPION,
        "api_activities.log_my_activity": CHAMPION,
        "api_activities.change_my_activity": CHAMPION,
        # Workshops and sign-ups: as the workshop pages (staff the register; a champion their borough's, their places)
        "api_workshops.list_workshops": STAFF | CHAMPION,
        "api_workshops.get_workshop": STAFF | CHAMPION,
        "api_workshops.add_workshop": STAFF,
        "api_workshops.change_workshop": STAFF,
        "api_workshops.list_workshop_signups": STAFF,
        "api_signups.list_my_signups": CHAMPION,
        "api_signups.sign_up_to_workshop": CHAMPION,
        "api_signups.get_signup": STAFF | CHAMPION,
        "api_signups.cancel_signup": CHAMPION,
        # The organisations register and the moments calendar: staff pages only
        "api_organisations.list_organisations": STAFF,
        "api_organisations.get_organisation": STAFF,
        "api_organisations.add_organisation": STAFF,
        "api_organisations.change_organisation": STAFF,
        "api_moments.list_moments": STAFF,
        "api_moments.get_moment": STAFF,
        "api_moments.add_moment_to_calendar": STAFF,
        "api_moments.change_moment": STAFF,
        # Training: a champion's catalogue and the staff catalogue
        "api_training.list_training": STAFF | CHAMPION,
        "api_training.get_training": STAFF | CHAMPION,
        # Grants: staff; a funder their funds' rounds and awards (as the funder pages); an applicant their own
        "api_grants.list_rounds": STAFF | FUNDER,
        "api_grants.get_round": STAFF | FUNDER,
        "api_grants.list_awards": STAFF | FUNDER,
        "api_grants.get_award": STAFF | FUNDER,
        "api_grants.list_applications": STAFF,
        "api_grants.list_my_applications": APPLICANT,
        "api_grants.get_application": STAFF | APPLICANT,
        # Figures: the programme dashboard (staff), a fund's dashboard (staff and its funders)
        "api_figures.programme_figures": STAFF,
        "api_figures.fund_figures": STAFF | FUNDER,
        "api_deletions.list_deletions": STAFF,
    },
    navigation=(NavItem("API tokens", "api.tokens", STAFF, 900),),
    beat=(Beat("forget-idempotency-keys", "champions.api.tasks.forget_idempotency_keys", timedelta(hours=1)),),
    task_modules=("champions.api.tasks",),
    models=(models,),
    merges=models.MERGES,
    not_personal={
        "api_tokens": "A token's name, hashed secret, scopes and times; whose it is is the user id alone",
        "api_idempotent_requests": "A hash of a request and the path of what it made, kept a day: no personal data",
    },
)
