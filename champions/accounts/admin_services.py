"""User administration: invitations by signed link, role changes, deactivation. Services flush; the request commits."""

from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired

from champions.accounts.admin_models import Invitation
from champions.accounts.admin_tasks import invitation_email
from champions.accounts.models import User
from champions.accounts.services import create_user, find_user, normalise_email
from champions.accounts.sessions import end_every_session
from champions.accounts.tokens import INVITATION_DAYS, invitation_serializer
from champions.core import audit
from champions.core.db import now_utc
from champions.core.permissions import Role
from champions.extensions import db

INVITABLE = [Role.STAFF, Role.ADMIN, Role.FUNDER, Role.REVIEWER, Role.APPLICANT]


class InvitationProblem(Exception):
    """The link cannot be used; the message says why."""


class AdminRefused(Exception):
    """An admin action that is not allowed (for example on one's own account)."""


def invite(email: str, role: Role, by_user_id: int) -> Invitation:
    if find_user(email) is not None:
        raise AdminRefused("An account with this email address already exists")
    invitation = Invitation(email=normalise_email(email), role=role.value, invited_by_id=by_user_id)
    db.session.add(invitation)
    db.session.flush()
    audit.record("user.invited", invitation, actor_id=by_user_id, email=invitation.email, role=role.value)
    invitation_email.queue(invitation.id)
    return invitation


def invitation_from_token(token: str) -> Invitation:
    try:
        data = invitation_serializer().loads(token, max_age=INVITATION_DAYS * 86400)
    except SignatureExpired:
        raise InvitationProblem("This invitation has expired. Ask the programme team to invite you again.") from None
    except BadSignature:
        raise InvitationProblem("This invitation link is not valid. Check you copied all of it.") from None
    invitation = db.session.get(Invitation, data.get("id")) if isinstance(data, dict) else None
    if invitation is None or invitation.email != data.get("email"):
        raise InvitationProblem("This invitation link is not valid. Check you copied all of it.")
    if invitation.accepted_at is not None:
        raise InvitationProblem("This invitation has already been used. Sign in with your email address and password.")
    return invitation


def accept(invitation: Invitation, password: str) -> User:
    user = create_user(invitation.email, password, Role(invitation.role))
    invitation.accepted_at = now_utc()
    invitation.user_id = user.id
    user.email_verified_at = now_utc()  # the link came to this address
    audit.record("user.invitation_accepted", user, actor_id=user.id, role=invitation.role)
    db.session.flush()
    return user


def change_role(user: User, role: Role, by_user_id: int) -> None:
    if user.id == by_user_id:
        raise AdminRefused("You cannot change your own role: ask another admin")
    if user.role == role.value:
        return
    before = user.role
    user.role = role.value
    end_every_session(user)  # sessions restart with the new powers
    audit.record("user.role_changed", user, actor_id=by_user_id, to=role.value, **{"from": before})
    db.session.flush()


def set_active(user: User, active: bool, by_user_id: int) -> None:
    if user.id == by_user_id:
        raise AdminRefused("You cannot deactivate your own account")
    if user.active == active:
        return
    user.active = active
    if not active:
        end_every_session(user)  # every session of theirs ends at once
    audit.record("user.activated" if active else "user.deactivated", user, actor_id=by_user_id)
    db.session.flush()


def create_first_admin(email: str, password: str) -> User:
    """An admin account made on the command line, for the first login on a new installation; audited. Raises
    EmailTaken when the address has an account already."""
    user = create_user(email, password, Role.ADMIN)
    audit.record("user.created_by_cli", user, role=Role.ADMIN.value)
    return user
