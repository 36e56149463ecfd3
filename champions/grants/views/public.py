"""Pages anyone may see: the open rounds, and signing up to apply."""

from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_login import current_user

from champions.accounts.services import EmailTaken, answer_taken_sign_up, count_sign_up, register_applicant
from champions.accounts.views import check_your_email
from champions.core.notice import PRIVACY_NOTICE_VERSION
from champions.core.throttle import client_address
from champions.grants import bp, forms
from champions.grants.services.rounds import open_rounds


@bp.get("/grants")
def rounds():
    return render_template("grants/rounds.html", rounds=open_rounds())


@bp.route("/grants/register", methods=["GET", "POST"])
def applicant_register():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.home"))
    form = forms.ApplicantRegistrationForm()
    if form.validate_on_submit():
        count_sign_up(client_address())
        try:
            user = register_applicant(form.email.data, form.password.data, consent_version=PRIVACY_NOTICE_VERSION)
        except EmailTaken:
            answer_taken_sign_up(form.email.data, form.password.data)
            user = None
        return check_your_email(user, "grants.applicant_register")
    return render_template("grants/register.html", form=form), 400 if form.errors else 200
