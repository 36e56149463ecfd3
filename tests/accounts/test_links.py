"""Email verification, password reset and password change."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select

from champions import create_app
from champions.accounts import tokens
from champions.accounts.models import User
from champions.accounts.services import reset_token, verification_token
from champions.core.models import OutboxMessage
from tests.factories import PASSWORD

SIGN_UP = {
    "first_name": "Ola",
    "last_name": "Nowak",
    "email": "ola@example.org",
    "password": "plenty of long words",
    "postcode": "SK1 1AA",
    "borough": "stockport",
    "privacy_consent": "y",
}


def link_in(db, to: str, path: str) -> str:
    body = db.session.scalar(
        select(OutboxMessage.text_body).where(OutboxMessage.to_address == to).order_by(OutboxMessage.id.desc())
    )
    return re.search(rf"http://[^\s]+({path}/[^\s]+)", body).group(1)


def test_the_welcome_email_link_verifies_the_email_once(client, db):
    client.post("/register", data=SIGN_UP)
    link = link_in(db, "ola@example.org", "/verify")
    response = client.get(link, follow_redirects=True)
    assert "Your email address is confirmed" in response.get_data(as_text=True)
    user = db.session.scalar(select(User))
    assert user.email_verified_at is not None and user.champion.stage == "verified"
    assert [h.to_stage for h in user.champion.history] == ["registered", "verified"]
    again = client.get(link, follow_redirects=True)  # a second click changes nothing
    assert again.status_code == 200 and [h.to_stage for h in user.champion.history] == ["registered", "verified"]


def test_a_tampered_or_expired_verification_link_changes_nothing(client, db, make, monkeypatch):
    user = make.user(role="champion")
    token = verification_token(user)
    tampered = client.get(f"/verify/{token[:-2]}xx")
    assert tampered.status_code == 400 and "This link does not work" in tampered.get_data(as_text=True)
    monkeypatch.setattr(tokens, "VERIFY_MAX_AGE", -1)
    expired = client.get(f"/verify/{token}")
    assert expired.status_code == 400 and "This link has expired" in expired.get_data(as_text=True)
    db.session.refresh(user)
    assert user.email_verified_at is None and user.champion.stage == "registered"


def test_a_link_for_an_old_email_address_does_not_verify_the_new_one(client, db, make):
    user = make.user(role="champion")
    token = verification_token(user)
    user.email = "changed@example.org"
    db.session.commit()
    assert client.get(f"/verify/{token}").status_code == 400


def test_resending_the_link_is_limited_per_account(app, client, db, make, clock, monkeypatch):
    clock.set(datetime(2025, 3, 4, 10, 5))
    monkeypatch.setitem(app.config, "THROTTLE_ENABLED", True)
    monkeypatch.setitem(app.config, "VERIFY_EMAILS_PER_ACCOUNT_RATE", "2 per hour")
    user = make.user(role="champion")
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    codes = [client.post("/verify/resend").status_code for _ in range(3)]
    assert codes == [302, 302, 429]
    assert "We have already sent you several emails" in client.post("/verify/resend").get_data(as_text=True)
    clock.advance(hours=1)
    assert client.post("/verify/resend").status_code == 302


def test_resend_sends_a_fresh_link(client, auth, db):
    user = auth.login_as("champion")
    client.post("/verify/resend")
    assert link_in(db, user.email, "/verify")


def test_password_reset_answers_the_same_for_unknown_emails_and_works_once(client, db, make):
    user = make.user(role="champion", email="known@example.org")
    known = client.post("/reset", data={"email": "known@example.org"}).get_data(as_text=True)
    unknown = client.post("/reset", data={"email": "unknown@example.org"}).get_data(as_text=True)
    assert known == unknown and "If an account exists for that email address" in known
    assert db.session.scalar(select(OutboxMessage.to_address)) == "known@example.org"  # only the real one is mailed

    other_session = create_app("testing").test_client()
    other_session.post("/login", data={"email": user.email, "password": PASSWORD})
    link = link_in(db, "known@example.org", "/reset")
    assert client.post(link, data={"password": "short"}).status_code == 400
    assert client.post(link, data={"password": "a brand new passphrase"}).status_code == 302
    assert client.post(link, data={"password": "yet another passphrase"}).status_code == 400  # used up
    assert other_session.get("/me").status_code == 302  # every other session ended
    login = client.post("/login", data={"email": user.email, "password": "a brand new passphrase"})
    assert login.status_code == 302


def test_an_expired_reset_link_is_refused(client, db, make, monkeypatch):
    user = make.user()
    monkeypatch.setattr(tokens, "RESET_MAX_AGE", -1)
    response = client.get(f"/reset/{reset_token(user)}")
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)


def test_changing_a_password_needs_the_current_one_and_ends_other_sessions(client, db, make):
    user = make.user(role="champion")
    elsewhere = create_app("testing").test_client()
    for c in (client, elsewhere):
        c.post("/login", data={"email": user.email, "password": PASSWORD})
    wrong = client.post("/account/password", data={"current_password": "nope", "password": "a fresh passphrase"})
    assert wrong.status_code == 400 and "Your current password is not correct" in wrong.get_data(as_text=True)
    ok = client.post("/account/password", data={"current_password": PASSWORD, "password": "a fresh passphrase"})
    assert ok.status_code == 302
    assert client.get("/me").status_code == 200  # this session carries on
    assert elsewhere.get("/me").status_code == 302  # the other one has ended
