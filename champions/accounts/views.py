from __future__ import annotations

import json
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from champions.accounts import bp
from champions.accounts.forms import (
    ChangePasswordForm,
    LoginForm,
    RegistrationForm,
    ResendVerificationForm,
    ResetPasswordForm,
    ResetRequestForm,
)
from champions.accounts.models import User
from champions.accounts.services import (
    EmailTaken,
    authenticate,
    change_password,
    register_champion,
    request_password_reset,
    set_password,
    user_for_reset,
    verify_email,
)
from champions.accounts.tasks import send_verification_email
from champions.accounts.tokens import TokenProblem
from champions.core.celery import enqueue
from champions.core.models import Borough
from champions.core.permissions import Role
from champions.extensions import db, limiter, login_manager
from champions.privacy.services import PRIVACY_NOTICE_VERSION
from champions.roster.postcodes import DISTRICT_BOROUGH

login_manager.login_view = "accounts.login"
login_manager.login_message = "Sign in to see this page."
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None  # deactivated, or every session ended on purpose
    return user


def _borough_choices() -> list[tuple[str, str]]:
    boroughs = db.session.scalars(select(Borough).order_by(Borough.name))
    return [("", "Select a borough")] + [(b.code, b.name) for b in boroughs]


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _rate(name: str):
    return lambda: current_app.config[name]


def _organisation_choices() -> list[tuple[str, str]]:
    from champions.organisations.models import Organisation

    rows = db.session.execute(
        select(Organisation.id, Organisation.name)
        .where(Organisation.merged_into_id.is_(None))
        .order_by(Organisation.name)
    ).all()
    return [("", "Select an organisation")] + [(str(i), name) for i, name in rows]


def registration_form() -> RegistrationForm:
    form = RegistrationForm()
    form.borough.choices = _borough_choices()
    form.organisation_id.choices = _organisation_choices()
    if request.method == "GET" and (ref := request.args.get("ref")):
        form.heard_via.data = "referral"
        form.referral_code.data = ref.strip().upper()[:16]
    return form


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_rate("REGISTER_RATE_LIMIT"), methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.home"))
    form = registration_form()
    if form.validate_on_submit():
        referral = form.referral_code.data if form.heard_via.data == "referral" else None
        try:
            user = register_champion(
                form.data, consent_version=PRIVACY_NOTICE_VERSION, referral_code=referral or request.args.get("ref")
            )
        except EmailTaken:
            db.session.rollback()
            form.email.errors.append(
                "An account with this email address already exists. Sign in, or use a different email address"
            )
        else:
            db.session.commit()
            session.clear()
            login_user(user)
            flash("Your account has been created. We have sent you an email to confirm your address.", "success")
            return redirect(url_for("privacy.equality"))
    return render_template(
        "accounts/register.html", form=form, districts=json.dumps(DISTRICT_BOROUGH)
    ), 200 if not form.errors else 400


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_rate("LOGIN_RATE_LIMIT"), methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.home"))
    form = LoginForm()
    failed = False
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            db.session.commit()
            session.clear()  # a fresh session on sign-in: no fixation
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or url_for("accounts.home"))
        failed = True
    status = 400 if (failed or form.errors) else 200
    return render_template("accounts/login.html", form=form, failed=failed), status


@bp.post("/logout")
def logout():
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return redirect(url_for("accounts.login"))


@bp.get("/home")
def home():
    """Send each role to its own starting page."""
    if current_user.role == Role.CHAMPION:
        return redirect(url_for("roster.champion_home"))
    if current_user.is_staff:
        return redirect(url_for("dashboards.staff_home"))
    homes = {
        Role.APPLICANT: "grants.my_applications",
        Role.REVIEWER: "grants.reviews",
        Role.FUNDER: "grants.funder_home",
    }
    if current_user.role in homes:
        return redirect(url_for(homes[current_user.role]))
    return redirect(url_for("accounts.account"))


@bp.get("/account")
def account():
    return render_template("accounts/account.html")


@bp.get("/verify/<token>")
def verify(token: str):
    try:
        user = verify_email(token)
    except TokenProblem as problem:
        db.session.rollback()
        return render_template("accounts/link_problem.html", reason=problem.reason, kind="verify"), 400
    db.session.commit()
    flash("Thank you. Your email address is confirmed.", "success")
    if current_user.is_authenticated and current_user.id == user.id:
        return redirect(url_for("accounts.home"))
    return redirect(url_for("accounts.login"))


@bp.post("/verify/resend")
@limiter.limit(_rate("VERIFY_RESEND_RATE_LIMIT"))
def resend_verification():
    if ResendVerificationForm().validate_on_submit() and current_user.email_verified_at is None:
        enqueue(send_verification_email, current_user.id)
        db.session.commit()
    flash("We have sent you a new link. Check your inbox (and your spam folder).", "success")
    return redirect(url_for("accounts.home"))


RESET_SENT = (
    "If an account exists for that email address, we have sent a link to reset the password. It works for an hour."
)


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(_rate("RESET_RATE_LIMIT"), methods=["POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        request_password_reset(form.email.data)
        db.session.commit()
        return render_template("accounts/reset_sent.html", message=RESET_SENT)
    return render_template("accounts/reset_request.html", form=form), 200 if not form.errors else 400


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str):
    try:
        user = user_for_reset(token)
    except TokenProblem as problem:
        return render_template("accounts/link_problem.html", reason=problem.reason, kind="reset"), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        set_password(user, form.password.data, "reset")
        db.session.commit()
        logout_user()
        flash("Your password has been changed. Sign in with your new password.", "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", form=form), 200 if not form.errors else 400


@bp.route("/account/password", methods=["GET", "POST"])
def change_password_page():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if change_password(current_user, form.current_password.data, form.password.data):
            db.session.commit()
            login_user(current_user._get_current_object())  # this session carries on; every other one has ended
            flash("Your password has been changed. You have been signed out everywhere else.", "success")
            return redirect(url_for("accounts.account"))
        form.current_password.errors.append("Your current password is not correct")
    return render_template("accounts/change_password.html", form=form), 200 if not form.errors else 400
