"""Throttling sign-in, sign-up and password reset by account and by address (champions/core/throttle.py)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from champions import create_app
from champions.accounts import services, tokens
from champions.accounts.models import User
from champions.core.models import OutboxMessage
from champions.core.throttle import ThrottleCounter
from tests.accounts.test_register import GOOD
from tests.factories import PASSWORD

PAUSED = "Signing in is paused for this email address"


@pytest.fixture
def throttled(app, monkeypatch, clock):
    clock.set(datetime(2025, 3, 4, 10, 1))  # windows of 15 minutes and of an hour start at 10:00
    monkeypatch.setitem(app.config, "THROTTLE_ENABLED", True)
    return app


def sign_in(client, email, password, address="203.0.113.1"):
    return client.post(
        "/login", data={"email": email, "password": password}, environ_overrides={"REMOTE_ADDR": address}
    )


def test_failed_sign_ins_per_account_stop_guessing_from_many_addresses(throttled, client, make, clock):
    user = make.user()
    codes = {sign_in(client, user.email, f"guess number {n}", f"198.51.100.{n}").status_code for n in range(10)}
    assert codes == {400}
    refused = [sign_in(client, user.email, f"guess number {n}", f"198.51.100.{n}") for n in range(10, 40)]
    assert {r.status_code for r in refused} == {429}
    right = sign_in(client, user.email, PASSWORD, "192.0.2.200")  # the right password is refused too
    page = right.get_data(as_text=True)
    assert right.status_code == 429 and PAUSED in page and "/reset" in page and "after 10:15am" in page
    clock.advance(minutes=14)
    assert sign_in(client, user.email, PASSWORD, "192.0.2.200").status_code == 302  # the window has passed


def test_the_pause_says_nothing_about_whether_the_account_exists(throttled, client, make):
    user = make.user()
    for email in (user.email, "nobody@example.org"):
        for _ in range(10):
            sign_in(client, email, "not the password")
    known = sign_in(client, user.email, PASSWORD).get_data(as_text=True)
    unknown = sign_in(client, "nobody@example.org", PASSWORD).get_data(as_text=True)
    assert known.replace(user.email, "") == unknown.replace("nobody@example.org", "")


def test_a_success_is_not_counted_as_a_failure(throttled, app, make):
    user = make.user()
    client = app.test_client()
    for _ in range(9):
        sign_in(client, user.email, "not the password")
    assert sign_in(client, user.email, PASSWORD).status_code == 302
    client.post("/logout")
    assert sign_in(client, user.email, "not the password").status_code == 400  # the tenth failure, not the eleventh
    assert sign_in(client, user.email, "not the password").status_code == 429


def test_many_successful_sign_ins_from_one_office_are_never_refused(throttled, app, make):
    # 37 sign-ins in half an hour were refused before: now only failures count, per account and per address.
    staff = [make.user(role="staff") for _ in range(5)]
    client = app.test_client()
    for n in range(40):
        assert sign_in(client, staff[n % 5].email, PASSWORD).status_code == 302
        client.post("/logout")


def test_failed_sign_ins_per_address_are_limited(throttled, client, make, monkeypatch):
    monkeypatch.setitem(throttled.config, "SIGN_IN_FAILURES_PER_ADDRESS_RATE", "5 per 15 minutes")
    codes = [sign_in(client, f"person{n}@example.org", "not the password").status_code for n in range(6)]
    assert codes == [400] * 5 + [429]
    assert "Signing in is paused on this internet connection" in sign_in(client, "x@example.org", "y").text
    assert sign_in(client, "x@example.org", "y", address="192.0.2.9").status_code == 400  # another address


def test_failure_counts_are_shared_by_every_web_process(throttled, db, make):
    user = make.user()
    processes = [create_app("testing", THROTTLE_ENABLED=True).test_client() for _ in range(2)]
    codes = [sign_in(processes[n % 2], user.email, "wrong", f"198.51.100.{n}").status_code for n in range(11)]
    assert codes == [400] * 10 + [429]
    db.session.commit()
    assert db.session.scalar(select(func.sum(ThrottleCounter.hits))) > 0  # in the database, not in a process


def test_a_workshop_room_signs_up_together(throttled, client, db):
    for n in range(30):
        client.set_cookie("session", "")  # each person on their own phone, on the room's one Wi-Fi
        response = client.post("/register", data={**GOOD, "email": f"person{n}@example.org"})
        assert response.status_code == 302, response.text[:300]


def test_sign_ups_per_address_are_limited_on_both_sign_up_forms(throttled, client, monkeypatch):
    monkeypatch.setitem(throttled.config, "SIGN_UPS_PER_ADDRESS_RATE", "2 per hour")
    codes = []
    for n in range(2):
        client.set_cookie("session", "")
        codes.append(client.post("/register", data={**GOOD, "email": f"person{n}@example.org"}).status_code)
    client.set_cookie("session", "")
    applicant = {"email": "group@example.org", "password": "knitting every tuesday", "privacy_consent": "y"}
    refused = client.post("/grants/register", data=applicant)
    assert codes == [302, 302] and refused.status_code == 429
    assert "Signing up is paused on this internet connection" in refused.text
    elsewhere = client.post(
        "/register", data={**GOOD, "email": "p@example.org"}, environ_overrides={"REMOTE_ADDR": "192.0.2.9"}
    )
    assert elsewhere.status_code == 302


def test_reset_emails_to_one_address_are_limited_and_the_answer_stays_the_same(throttled, client, db, make):
    make.user(email="known@example.org")
    answers = {
        client.post(
            "/reset", data={"email": "known@example.org"}, environ_overrides={"REMOTE_ADDR": f"198.51.100.{n}"}
        ).text
        for n in range(32)
    }
    assert len(answers) == 1 and "If an account exists for that email address" in answers.pop()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 3


def test_reset_requests_per_address_are_limited(throttled, client, monkeypatch):
    monkeypatch.setitem(throttled.config, "RESET_REQUESTS_PER_ADDRESS_RATE", "3 per hour")
    codes = [client.post("/reset", data={"email": f"p{n}@example.org"}).status_code for n in range(4)]
    assert codes == [200, 200, 200, 429]


def test_the_refusal_does_not_blame_the_person(throttled, client, make):
    user = make.user()
    for _ in range(11):
        response = sign_in(client, user.email, "not the password")
    page = response.text
    assert response.status_code == 429 and response.headers["Retry-After"] == str(14 * 60)
    assert "<h1>Signing in is paused for this email address</h1>" in page
    assert "to keep the account safe" in page and "You can try again after 10:15am (in 14 minutes)." in page
    assert "you have tried" not in page.lower() and "too many times" not in page.lower()


def test_a_password_reset_ends_the_pause_on_signing_in_with_that_address(throttled, client, make):
    """Whoever keeps guessing at an address cannot lock its owner out: the reset link gets them back in."""
    user = make.user()
    for n in range(11):
        sign_in(client, user.email, f"guess number {n}", f"198.51.100.{n}")
    assert sign_in(client, user.email, PASSWORD).status_code == 429
    new = "a new password for spring"
    reset = client.post(f"/reset/{tokens.reset_token(user)}", data={"password": new})
    assert reset.status_code == 302
    assert sign_in(client, user.email, new).status_code == 302


@pytest.mark.parametrize(("path", "field"), [("/account/password", "current_password"), ("/me/erase", "password")])
def test_asking_for_the_password_again_counts_with_failed_sign_ins(throttled, db, make, path, field):
    """Changing the password and erasing the account ask for it again: an unattended session cannot be used to
    guess it faster than signing in can. Past the limit, even the right one waits."""
    user = make.user(role="champion")
    client = throttled.test_client()
    assert sign_in(client, user.email, PASSWORD).status_code == 302
    new = {"password": "a new password for spring"} if field == "current_password" else {}
    codes = [client.post(path, data={field: f"guess number {n}", **new}).status_code for n in range(11)]
    assert codes == [400] * 10 + [429]
    assert client.post(path, data={field: PASSWORD, **new}).status_code == 429
    assert "Signing in is paused for this email address" in client.post(path, data={field: PASSWORD, **new}).text
    db.session.expire_all()
    assert services.verify_password(db.session.get(User, user.id), PASSWORD)  # nothing changed, nothing erased
    assert sign_in(throttled.test_client(), user.email, PASSWORD, "192.0.2.7").status_code == 429
