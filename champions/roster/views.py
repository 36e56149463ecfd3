from __future__ import annotations

from flask import render_template
from flask_login import current_user

from champions.core.email import external_url
from champions.roster import bp


@bp.get("/me")
def champion_home():
    champion = current_user.champion
    return render_template(
        "roster/champion_home.html",
        champion=champion,
        referral_url=external_url("accounts.register", ref=champion.referral_code),
    )
