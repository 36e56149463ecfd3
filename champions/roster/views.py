from __future__ import annotations

import json

from flask import jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from champions.accounts.services import EmailTaken, answer_taken_sign_up, count_sign_up, referral_code
from champions.accounts.views import check_your_email
from champions.activities.services import totals
from champions.core.forms import ConfirmForm, search_text
from champions.core.notice import PRIVACY_NOTICE_VERSION
from champions.core.places import DISTRICT_BOROUGH, borough_choices
from champions.core.throttle import client_address
from champions.network.services import recruits_by_degree, referral_url
from champions.organisations.services import WORKING_WITH_US, organisation_names, working_with_us_containing
from champions.roster import bp
from champions.roster.forms import RegistrationForm
from champions.roster.services import recruiter_for, register_champion
from champions.training.onboarding import progress
from champions.training.services import pledge_update


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
        pledge_update=None if champion.withdrawn else pledge_update(champion),
        confirm=ConfirmForm(),
    )


#: The sign-up form lists the organisations working with the programme while there are at most this many; beyond, it
#: asks for a name and suggests names as it is typed. At national scale 25,000 do: listed, the form was 1.4 MB, took
#: 0.74 s to make, and could not be used on a phone.
LISTED_UP_TO = 50


def registration_form() -> RegistrationForm:
    form = RegistrationForm()
    form.borough.choices = borough_choices("Select a borough")
    listed = organisation_names(LISTED_UP_TO + 1, levels=WORKING_WITH_US)
    form.by_name = len(listed) > LISTED_UP_TO
    form.organisation_id.choices = [("", "Select an organisation")] + [
        (str(i), name) for i, name in ([] if form.by_name else listed)
    ]
    ref = referral_code(request.args.get("ref"))
    if request.method == "GET" and ref and recruiter_for(ref) is not None:  # a withdrawn champion's link: a blank form
        form.heard_via.data = "referral"
        form.referral_code.data = ref
    return form


@bp.get("/register/organisations")
def organisation_suggestions():
    """Names of organisations working with the programme that contain ``q`` (two characters or more): what the
    sign-up form suggests as someone types. Public, as the form is: only names the form would list."""
    q = search_text(request.args.get("q"), 200)
    names = working_with_us_containing(q) if len(q) >= 2 else []
    return jsonify(names=names)


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.home"))
    form = registration_form()
    if form.validate_on_submit():
        count_sign_up(client_address())
        referral = form.referral_code.data if form.heard_via.data == "referral" else None
        try:
            user = register_champion(
                form.data, consent_version=PRIVACY_NOTICE_VERSION, referral_code=referral or request.args.get("ref")
            )
        except EmailTaken:
            answer_taken_sign_up(form.email.data, form.password.data)
            user = None
        return check_your_email(user)
    return render_template(
        "roster/register.html", form=form, districts=json.dumps(DISTRICT_BOROUGH)
    ), 200 if not form.errors else 400
