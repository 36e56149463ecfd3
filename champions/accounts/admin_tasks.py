"""The invitation email, sent after the request that created the invitation has committed."""

from __future__ import annotations

from champions.accounts.admin_models import Invitation
from champions.core.db import now_utc
from champions.core.email import email_task, external_url, send_template
from champions.extensions import db


@email_task
def send_invitation(invitation_id: int) -> str:
    from champions.accounts.admin_services import INVITATION_DAYS, invitation_token

    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None:
        return "gone"
    if invitation.sent_at is not None or invitation.accepted_at is not None:
        return "already sent"
    send_template(
        invitation.email,
        "invitation",
        role=invitation.role,
        days=INVITATION_DAYS,
        accept_url=external_url("accounts.accept_invitation", token=invitation_token(invitation)),
    )
    invitation.sent_at = now_utc()
    db.session.commit()
    return "sent"
