"""User administration: invitations by signed link, roles, deactivation that ends sessions at once."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select

from champions.accounts.admin_models import Invitation
from champions.accounts.models import User
from champions.accounts.tokens import invitation_token
from champions.core.models import AuditEvent, OutboxMessage
from tests.factories import PASSWORD


def _invite_link(db, email: str) -> str:
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_address == email))
    return re.search(r"http://[^/]+(/invitation/\S+)", message.text_body).group(1)


def test_an_admin_invites_a_reviewer_who_sets_their_own_password(auth, client, app, db):
    auth.login_as("admin")
    response = client.post("/admin/users/invite", data={"email": " New.Reviewer@Example.org ", "role": "reviewer"})
    assert response.status_code == 302
    link = _invite_link(db, "new.reviewer@example.org")
    invitee = app.test_client()
    assert invitee.get(link).status_code == 200
    weak = invitee.post(link, data={"password": "short"})
    assert weak.status_code == 400 and "8 characters or more" in weak.get_data(as_text=True)
    assert invitee.post(link, data={"password": "a long and private passphrase"}).status_code == 302
    user = db.session.scalar(select(User).where(User.email == "new.reviewer@example.org"))
    assert user.role == "reviewer"
    assert (
        invitee.post("/login", data={"email": user.email, "password": "a long and private passphrase"}).status_code
        == 302
    )
    used = app.test_client().get(link)
    assert used.status_code == 400 and "already been used" in used.get_data(as_text=True)
    assert "user.invited" in set(db.session.scalars(select(AuditEvent.action)))


def test_an_invitation_link_expires_and_a_tampered_one_is_refused(client, db, clock):
    invitation = Invitation(email="late@example.org", role="staff")
    db.session.add(invitation)
    db.session.commit()
    clock.set(datetime(2027, 5, 3, 9, 0))
    link = "/invitation/" + invitation_token(invitation)
    clock.advance(days=8)  # invitations last a week
    response = client.get(link)
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)
    response = client.get("/invitation/" + invitation_token(invitation)[:-3] + "abc")
    assert response.status_code == 400 and "not valid" in response.get_data(as_text=True)


def test_inviting_an_existing_email_or_a_champion_role_is_refused(auth, client, make, db):
    existing = make.user(role="staff")
    auth.login_as("admin")
    response = client.post("/admin/users/invite", data={"email": existing.email, "role": "staff"})
    assert response.status_code == 400 and "already exists" in response.get_data(as_text=True)
    response = client.post("/admin/users/invite", data={"email": "x@example.org", "role": "champion"})
    assert response.status_code == 400 and "Select the role" in response.get_data(as_text=True)
    assert db.session.scalar(select(OutboxMessage.id)) is None


def test_deactivating_a_user_ends_their_sessions_at_once(app, auth, client, make, db):
    victim = make.user(role="staff")
    their_browser = app.test_client()
    assert their_browser.post("/login", data={"email": victim.email, "password": PASSWORD}).status_code == 302
    assert their_browser.get("/staff/champions").status_code == 200
    auth.login_as("admin")
    assert client.post(f"/admin/users/{victim.id}/active", data={"active": "no"}).status_code == 302
    response = their_browser.get("/staff/champions")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert their_browser.post("/login", data={"email": victim.email, "password": PASSWORD}).status_code == 400
    assert "user.deactivated" in set(db.session.scalars(select(AuditEvent.action)))


def test_an_admin_changes_a_role_but_not_their_own(auth, client, make, db):
    user = make.user(role="staff")
    admin = auth.login_as("admin")
    assert client.post(f"/admin/users/{user.id}/role", data={"role": "funder"}).status_code == 302
    db.session.refresh(user)
    assert user.role == "funder"
    response = client.post(f"/admin/users/{admin.id}/role", data={"role": "staff"})
    assert response.status_code == 400 and "cannot change your own role" in response.get_data(as_text=True)
    response = client.post(f"/admin/users/{admin.id}/active", data={"active": "no"})
    assert response.status_code == 400
    db.session.refresh(admin)
    assert admin.role == "admin" and admin.active
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.role_changed"))
    assert event.details == {"from": "staff", "to": "funder"}


def test_the_user_list_shows_last_sign_in_and_filters(auth, client, make):
    make.user(role="funder", email="fiona.funder@example.org")
    auth.login_as("admin")
    page = client.get("/admin/users?role=funder").get_data(as_text=True)
    assert "fiona.funder@example.org" in page and "Never" in page
    assert "fiona.funder" not in client.get("/admin/users?role=staff").get_data(as_text=True)
