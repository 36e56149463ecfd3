"""Admin pages: the list of users, invitations, role changes, deactivation; and accepting an invitation."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from champions.accounts import bp
from champions.accounts.admin_forms import AcceptInvitationForm, ActiveForm, InviteForm, RoleForm
from champions.accounts.admin_models import Invitation
from champions.accounts.admin_services import (
    AdminRefused,
    InvitationProblem,
    accept,
    change_role,
    invitation_from_token,
    invite,
    set_active,
)
from champions.accounts.models import User
from champions.accounts.services import EmailTaken
from champions.core.forms import db_id, search_text
from champions.core.pagination import keyset_page
from champions.core.permissions import Role
from champions.extensions import db


@bp.get("/admin/users")
def admin_users():
    query = select(User)
    role = request.args.get("role", "")
    if role in {r.value for r in Role}:
        query = query.where(User.role == role)
    if email := search_text(request.args.get("email")).lower():
        query = query.where(User.email.contains(email))
    page = keyset_page(query, User.id, request.args.get("before", type=db_id))
    invitations = db.session.scalars(
        select(Invitation).where(Invitation.accepted_at.is_(None)).order_by(Invitation.id.desc()).limit(20)
    )
    return render_template(
        "accounts/admin/users.html", page=page, role=role, email=email, roles=list(Role), invitations=list(invitations)
    )


@bp.route("/admin/users/invite", methods=["GET", "POST"])
def admin_invite():
    form = InviteForm()
    if form.validate_on_submit():
        try:
            invite(form.email.data, Role(form.role.data), current_user.id)
        except AdminRefused as refused:
            form.email.errors.append(str(refused))
        else:
            db.session.commit()
            flash(f"Invitation sent to {form.email.data}.", "success")
            return redirect(url_for("accounts.admin_users"))
    return render_template("accounts/admin/invite.html", form=form), 400 if form.errors else 200


def _user_page(user: User, status: int = 200, role_form: RoleForm | None = None, problem: str | None = None):
    role_form = role_form or RoleForm(formdata=None, data={"role": user.role})
    return render_template(
        "accounts/admin/user.html",
        user=user,
        role_form=role_form,
        active_form=ActiveForm(formdata=None),
        problem=problem,
    ), status


@bp.get("/admin/users/<int:user_id>")
def admin_user(user_id: int):
    return _user_page(db.get_or_404(User, user_id))


@bp.post("/admin/users/<int:user_id>/role")
def admin_change_role(user_id: int):
    user = db.get_or_404(User, user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        return _user_page(user, 400, role_form=form)
    try:
        change_role(user, Role(form.role.data), current_user.id)
    except AdminRefused as refused:
        db.session.rollback()
        form.role.errors = [str(refused)]
        return _user_page(user, 400, role_form=form)
    db.session.commit()
    flash(f"{user.email} is now {user.role}.", "success")
    return redirect(url_for("accounts.admin_user", user_id=user.id))


@bp.post("/admin/users/<int:user_id>/active")
def admin_set_active(user_id: int):
    user = db.get_or_404(User, user_id)
    if not ActiveForm().validate_on_submit():
        abort(400)
    try:
        set_active(user, request.form.get("active") == "yes", current_user.id)
    except AdminRefused as refused:
        db.session.rollback()
        return _user_page(user, 400, problem=str(refused))
    db.session.commit()
    flash(
        f"{user.email} {'can sign in again' if user.active else 'is deactivated and signed out everywhere'}.", "success"
    )
    return redirect(url_for("accounts.admin_user", user_id=user.id))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    try:
        invitation = invitation_from_token(token)
    except InvitationProblem as problem:
        return render_template("accounts/admin/invitation_problem.html", problem=str(problem)), 400
    form = AcceptInvitationForm()
    if form.validate_on_submit():
        try:
            accept(invitation, form.password.data)
        except EmailTaken:
            db.session.rollback()
            return render_template(
                "accounts/admin/invitation_problem.html", problem="An account with this email address already exists."
            ), 400
        db.session.commit()
        flash("Your password is set. Sign in with your email address and new password.", "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/admin/accept.html", form=form, invitation=invitation), 400 if form.errors else 200
