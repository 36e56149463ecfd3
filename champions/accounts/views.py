from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user

from champions.accounts import bp, sessions
from champions.accounts.email_change import AddressTaken, change_for_link
from champions.accounts.email_change import confirm_email_change as confirm_email_change_now
from champions.accounts.forms import (
    ChangePasswordForm,
    ContinueForm,
    LoginForm,
    ResendVerificationForm,
    ResetPasswordForm,
    ResetRequestForm,
)
from champions.accounts.models import User
from champions.accounts.services import (
    VERIFY_EMAILS_BY_ACCOUNT,
    change_password,
    request_password_reset,
    resend_sign_up_email,
    send_new_verification_link,
    set_password,
    sign_in_attempt,
    sign_up_marker,
    signed_up_here,
    user_for_reset,
    verify_email,
)
from champions.accounts.tokens import TokenProblem, reset_token
from champions.core.permissions import Role
from champions.core.throttle import client_address, refuse_if_over
from champions.extensions import db, login_manager

login_manager.login_view = "accounts.login"
login_manager.login_message = "Sign in to see this page."
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    return sessions.load(session_id)  # None once signed out, deactivated, or every session ended on purpose


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    # Browsers read a backslash as a slash ("/\\evil.example" is "//evil.example"), and drop tabs and newlines.
    cleaned = "".join(ch for ch in target.replace("\\", "/") if ch not in "\t\r\n")
    parts = urlsplit(cleaned)
    if parts.scheme or parts.netloc or not cleaned.startswith("/") or cleaned.startswith("//"):
        return None
    return target


def check_your_email(user: User | None, form_endpoint: str = "roster.register"):
    """How every sign-up ends, given the new account or None when the address already had one: the same redirect
    to the same page and a session that looks the same (a random marker, not the address), so the answer tells
    nobody which addresses have accounts. The link in the email signs them in, in this browser."""
    session["sign_up"] = sign_up_marker(user)
    session["sign_up_form"] = form_endpoint  # for "wrong email address? sign up again"
    db.session.commit()
    return redirect(url_for("accounts.sign_up_sent"))


@bp.get("/register/check-your-email")
def sign_up_sent():
    if current_user.is_authenticated or not session.get("sign_up"):
        return redirect(url_for("accounts.home" if current_user.is_authenticated else "roster.register"))
    again = session.get("sign_up_form", "roster.register")
    return render_template("accounts/sign_up_sent.html", again=again)


@bp.post("/register/check-your-email")
def resend_sign_up():
    marker = session.get("sign_up")
    if ResendVerificationForm().validate_on_submit() and marker and not current_user.is_authenticated:
        resend_sign_up_email(marker)
        db.session.commit()
        flash("If we can, we have sent the email again. Check your inbox and your spam or junk folder.", "success")
    return redirect(url_for("accounts.sign_up_sent"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.home"))
    form = LoginForm()
    failed = False
    if form.validate_on_submit():
        user = sign_in_attempt(form.email.data, form.password.data, client_address())
        if user is not None:
            sessions.sign_in(user)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")) or url_for("accounts.home"))
        db.session.commit()  # the failure stays counted
        failed = True
    status = 400 if (failed or form.errors) else 200
    return render_template("accounts/login.html", form=form, failed=failed), status


@bp.post("/logout")
def logout():
    sessions.end_this_session(current_user)
    db.session.commit()
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


CONFIRMED = "Thank you. Your email address is confirmed."


@bp.get("/verify/<token>")
def verify(token: str):
    """Opening the link confirms the address, and nothing else: a mail scanner following it signs nobody in, nor
    does a link someone sends you to their own account. The browser that signed up is offered 'Continue'."""
    user = _confirm(token)
    if user is None:
        return render_template("accounts/link_problem.html", reason=g.link_problem, kind="verify"), 400
    if not user.has_password and user.active:
        # Made for them by a partner (the API): the next step is choosing a password, through a reset link of its
        # own, which stops working once a password is set.
        flash(f"{CONFIRMED} Now choose a password, to sign in with.", "success")
        return redirect(url_for("accounts.reset", token=reset_token(user)))
    if current_user.is_authenticated and current_user.id == user.id:
        flash(CONFIRMED, "success")
        return redirect(url_for("accounts.home"))
    if current_user.is_authenticated:  # someone else is signed in here: they stay signed in
        return render_template("accounts/verified.html", form=None, other_account=True)
    if _may_sign_in_from_link(user):
        return render_template("accounts/verified.html", form=ContinueForm(), token=token, other_account=False)
    flash(f"{CONFIRMED} Sign in to carry on.", "success")
    return redirect(url_for("accounts.login"))


@bp.post("/verify/<token>/continue")
def verify_continue(token: str):
    """Sign-up does not sign anyone in (that would tell whether the address was new); its emailed link does, once,
    in the browser that signed up, when nobody is signed in there: the link proves the inbox is theirs, and the
    marker the sign-up left in this browser's session proves the account is the one made here."""
    user = _confirm(token)
    if user is None:
        return render_template("accounts/link_problem.html", reason=g.link_problem, kind="verify"), 400
    if not (ContinueForm().validate_on_submit() and _may_sign_in_from_link(user)):
        return redirect(url_for("accounts.home" if current_user.is_authenticated else "accounts.login"))
    user.sign_up_marker_hash = None  # the link signs in once
    sessions.sign_in(user)  # also clears this browser's session, and with it the marker
    db.session.commit()
    flash(CONFIRMED, "success")
    # A new champion's next step, as it was straight after signing up: the optional equality questions.
    return redirect(url_for("privacy.equality" if user.champion else "accounts.home"))


def _confirm(token: str) -> User | None:
    """The link's user, their address now confirmed (committed); None for a tampered, expired or stale link,
    with the reason in ``g.link_problem``."""
    try:
        user = verify_email(token)
    except TokenProblem as problem:
        db.session.rollback()
        g.link_problem = problem.reason
        return None
    db.session.commit()
    return user


def _may_sign_in_from_link(user: User) -> bool:
    return not current_user.is_authenticated and user.active and signed_up_here(user, session.get("sign_up"))


@bp.post("/verify/resend")
def resend_verification():
    if ResendVerificationForm().validate_on_submit() and current_user.email_verified_at is None:
        refuse_if_over(VERIFY_EMAILS_BY_ACCOUNT.hit(str(current_user.id)))
        send_new_verification_link(current_user._get_current_object())
        db.session.commit()
    flash("We have sent you a new link. Check your inbox (and your spam folder).", "success")
    return redirect(url_for("accounts.home"))


RESET_SENT = (
    "If an account exists for that email address, we have sent a link to reset the password. It works for an hour."
)


@bp.route("/reset", methods=["GET", "POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        request_password_reset(form.email.data, client_address())
        db.session.commit()
        return render_template("accounts/reset_sent.html", message=RESET_SENT)
    return render_template("accounts/reset_request.html", form=form), 200 if not form.errors else 400


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str):
    try:
        user = user_for_reset(token)
    except TokenProblem as problem:
        return render_template("accounts/link_problem.html", reason=problem.reason, kind="reset"), 400
    form, first = ResetPasswordForm(), not user.has_password
    if form.validate_on_submit():
        set_password(user, form.password.data, "reset")
        db.session.commit()
        logout_user()
        flash(
            "Your password is set. Sign in with it."
            if first
            else "Your password has been changed. Sign in with your new password.",
            "success",
        )
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", form=form, first=first), 200 if not form.errors else 400


@bp.route("/account/password", methods=["GET", "POST"])
def change_password_page():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if change_password(current_user, form.current_password.data, form.password.data):
            sessions.sign_in(current_user._get_current_object())  # this browser carries on; every other one ends
            db.session.commit()
            flash("Your password has been changed. You have been signed out everywhere else.", "success")
            return redirect(url_for("accounts.account"))
        db.session.commit()  # the failure stays counted
        form.current_password.errors.append("Your current password is not correct")
    return render_template("accounts/change_password.html", form=form), 200 if not form.errors else 400


@bp.route("/account/email/confirm/<token>", methods=["GET", "POST"])
def confirm_email_change(token: str):
    """The link sent to a new address. Opening it shows the address and a button (a mail scanner opening it
    changes nothing); pressing the button, signed in as the person who asked, makes the change."""
    form, me = ContinueForm(), current_user._get_current_object()
    try:
        change = change_for_link(me, token)
        if form.validate_on_submit():
            confirm_email_change_now(me, token)
            db.session.commit()
            flash(f"Your email address is now {change.new_email}. Use it to sign in from now on.", "success")
            return redirect(url_for("accounts.home"))
    except TokenProblem as problem:
        db.session.rollback()
        return render_template("accounts/link_problem.html", reason=problem.reason, kind="email_change"), 400
    except AddressTaken:
        db.session.rollback()
        return render_template("accounts/email_change_taken.html"), 409
    return render_template("accounts/confirm_email_change.html", form=form, change=change)
