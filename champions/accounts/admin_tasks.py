"""The invitation email: a one-off email (core/pending_email.py), recorded as due with the invitation and sent
after the request that created it has committed."""

from __future__ import annotations

from sqlalchemy import update

from champions.accounts.admin_models import Invitation
from champions.accounts.tokens import INVITATION_DAYS, invitation_token
from champions.core.db import now_utc
from champions.core.email import external_url, template_message
from champions.core.pending_email import Outgoing, one_off_email
from champions.extensions import db


@one_off_email("invitation")
def invitation_email(invitation_id: int) -> Outgoing | None:
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.sent_at is not None or invitation.accepted_at is not None:
        return None
    msg = template_message(
        invitation.email,
        "invitation",
        role=invitation.role,
        days=INVITATION_DAYS,
        accept_url=external_url("accounts.accept_invitation", token=invitation_token(invitation)),
    )
    unsent = (Invitation.id == invitation_id, Invitation.sent_at.is_(None))
    return Outgoing(msg, update(Invitation).where(*unsent).values(sent_at=now_utc()))
