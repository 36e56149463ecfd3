"""Email verification, password reset and password change."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select

from champions import create_app
from champions.accounts import tokens
from champions.accounts.models import User
from champions.accounts.tokens import reset_token, verification_token
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


def follow_sign_up_link(client, link: str):
    """Open the emailed link in the browser that signed up and press 'Continue', as the person does."""
    page = client.get(link)
    assert page.status_code == 200 and 'type="submit">Continue</button>' in page.get_data(as_text=True)
    return client.post(f"{link}/continue")


def signed_in_as(client) -> str | None:
    page = client.get("/account")
    return None if page.status_code != 200 else re.search(r"[\w.]+@example\.org", page.get_data(as_text=True)).group()


def test_someone_elses_link_confirms_their_address_and_signs_nobody_in(app, client, db, make):
    """Login CSRF: an attacker signs up and sends their own unused link. Opening it signs the victim in to
    nothing (else their answers, such as the equality questions, would land in the attacker's account)."""
    attacker = app.test_client()
    attacker.post("/register", data=SIGN_UP)
    link = link_in(db, "ola@example.org", "/verify")
    victim = make.user(role="champion", email="victim@example.org")

    opened = client.get(link)  # the victim, signed out
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/login")
    assert client.post(f"{link}/continue").headers["Location"].endswith("/login")
    assert signed_in_as(client) is None
    db.session.expire_all()
    assert db.session.scalar(select(User).where(User.email == "ola@example.org")).email_verified_at is not None

    client.post("/login", data={"email": victim.email, "password": PASSWORD})  # the victim, signed in
    page = client.get(link)
    assert page.status_code == 200 and "Someone else is signed in on this browser" in page.get_data(as_text=True)
    client.post(f"{link}/continue")
    assert signed_in_as(client) == "victim@example.org"


def test_a_mail_scanner_opening_the_link_first_leaves_the_sign_in_to_the_person(app, client, db):
    client.post("/register", data=SIGN_UP)
    link = link_in(db, "ola@example.org", "/verify")
    scanner = app.test_client()
    scanner.get(link)
    scanner.post(f"{link}/continue")
    assert signed_in_as(scanner) is None
    assert follow_sign_up_link(client, link).status_code == 302 and signed_in_as(client) == "ola@example.org"


def test_the_link_signs_in_once_and_only_with_the_continue_button(client, db):
    client.post("/register", data=SIGN_UP)
    link = link_in(db, "ola@example.org", "/verify")
    assert client.get(link).status_code == 200 and signed_in_as(client) is None  # opening it signs nobody in
    follow_sign_up_link(client, link)
    assert signed_in_as(client) == "ola@example.org"
    client.post("/logout")
    client.get(link)
    assert client.post(f"{link}/continue").headers["Location"].endswith("/login") and signed_in_as(client) is None


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


def test_after_sending_the_link_again_only_the_newest_link_works(client, db):
    client.post("/register", data=SIGN_UP)
    first = link_in(db, "ola@example.org", "/verify")
    for _ in range(3):  # "send the email again" on the check-your-email page, three times
        client.post("/register/check-your-email")
    newest = link_in(db, "ola@example.org", "/verify")
    assert newest != first
    old = client.get(first)
    assert old.status_code == 400 and "replaced by a newer link" in old.get_data(as_text=True)
    assert client.post(f"{first}/continue").status_code == 400 and signed_in_as(client) is None
    assert db.session.scalar(select(User.email_verified_at)) is None  # the old link confirmed nothing
    assert follow_sign_up_link(client, newest).status_code == 302 and signed_in_as(client) == "ola@example.org"
    assert db.session.scalar(select(User.email_verified_at)) is not None


def test_a_signed_in_resend_also_retires_the_link_sent_before(client, auth, db):
    user = auth.login_as("champion")
    before = verification_token(user)
    client.post("/verify/resend")
    assert client.get(f"/verify/{before}").status_code == 400
    assert client.get(link_in(db, user.email, "/verify"), follow_redirects=True).status_code == 200
    db.session.refresh(user)
    assert user.email_verified_at is not None


def test_the_welcome_email_leads_with_the_confirmation_link_not_a_page_that_needs_a_sign_in(client, db):
    client.post("/register", data=SIGN_UP)
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_address == "ola@example.org"))
    for body in (message.text_body, message.html_body):
        links = re.findall(r"http://[^\s\"<]+", body)
        assert links and all("/verify/" in link for link in links), links
    assert "Confirm your email address" in message.html_body


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
