"""Sample ids for the API's routes (tests/feature_samples.py)."""

from __future__ import annotations

from datetime import date

from champions.core.clock import today_uk
from champions.moments.models import Moment
from champions.training.models import TrainingResource
from champions.workshops.services import sign_up
from tests.workshops.helpers import make_org, make_workshop


def route_args(db, make) -> dict[str, dict]:
    champion = make.champion()
    activity = make.activity(champion, occurred_on=today_uk(), borough_code="bolton", people_reached=1)
    db.session.commit()
    workshop = make_workshop(db)
    signup = sign_up(workshop.id, champion.id)
    organisation = make_org(db, "Sample Organisation")
    moment = Moment(name="Sample moment", start_date=date(2026, 1, 1), end_date=date(2026, 1, 2))
    db.session.add(moment)
    resource = TrainingResource(title="Sample training", summary="S", format="video", minutes=5)
    db.session.add(resource)
    db.session.commit()
    award = make.application(status="approved")
    return {
        "api_workshops.get_workshop": {"workshop_id": workshop.id},
        "api_workshops.change_workshop": {"workshop_id": workshop.id},
        "api_workshops.list_workshop_signups": {"workshop_id": workshop.id},
        "api_signups.get_signup": {"signup_id": signup.id},
        "api_signups.cancel_signup": {"signup_id": signup.id},
        "api_organisations.get_organisation": {"organisation_id": organisation.id},
        "api_organisations.change_organisation": {"organisation_id": organisation.id},
        "api_moments.get_moment": {"moment_id": moment.id},
        "api_moments.change_moment": {"moment_id": moment.id},
        "api_training.get_training": {"resource_id": resource.id},
        "api_grants.get_round": {"round_id": award.round_id},
        "api_grants.get_award": {"application_id": award.id},
        "api_grants.get_application": {"application_id": award.id},
        "api_figures.fund_figures": {"fund_id": award.round.fund_id},
        "api_champions.get_champion": {"champion_id": champion.id},
        "api_champions.correct_champion": {"champion_id": champion.id},
        "api_activities.get_activity": {"activity_id": activity.id},
        "api_activities.change_my_activity": {"activity_id": activity.id},
        "api.revoke_token": {"token_id": 1},
    }
