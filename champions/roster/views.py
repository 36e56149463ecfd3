from __future__ import annotations

from flask import render_template
from flask_login import current_user

from champions.activities.services import totals
from champions.network.services import recruits_by_degree
from champions.network.views import referral_url
from champions.privacy.forms import ConfirmForm
from champions.roster import bp
from champions.roster.onboarding import progress


@bp.get("/me")
def champion_home():
    champion = current_user.champion
    return render_template(
        "roster/champion_home.html",
        champion=champion,
        progress=progress(champion),
        totals=totals(champion),
        recruits=recruits_by_degree(champion.id)[0],
        referral_url=referral_url(champion.referral_code),
        confirm=ConfirmForm(),
    )
