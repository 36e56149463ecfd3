from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from champions.accounts import bp
from champions.accounts.forms import LoginForm, RegistrationForm
from champions.accounts.models import User
from champions.accounts.services import EmailTaken, authenticate, register_champion
from champions.core.models import Borough
from champions.core.permissions import Role
from champions.extensions import db, limiter, login_manager
from champions.privacy.services import PRIVACY_NOTICE_VERSION

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


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_rate("REGISTER_RATE_LIMIT"), methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.home"))
    form = RegistrationForm()
    form.borough.choices = _borough_choices()
    if form.validate_on_submit():
        try:
            user = register_champion(
                form.data, consent_version=PRIVACY_NOTICE_VERSION, referral_code=request.args.get("ref")
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
            flash("Your account has been created. We have sent you a welcome email.", "success")
            return redirect(url_for("roster.champion_home"))
    return render_template("accounts/register.html", form=form), 200 if not form.errors else 400


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
