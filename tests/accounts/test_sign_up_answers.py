"""Sign-up answers the same for an address that already has an account as for a new one (issue 13 item 9).

Both end on the same "check your email" page and neither signs anyone in; for a known address nothing changes,
and its owner is told (at most once an hour) that someone tried.
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from flask import g
from sqlalchemy import select

from champions.accounts.models import User
from champions.core.models import OutboxMessage
from tests.accounts.test_register import GOOD

APPLICANT = {"email": GOOD["email"], "password": GOOD["password"], "privacy_consent": "y"}
FORMS = {"/register": GOOD, "/grants/register": APPLICANT}
# Headers that may differ between two identical answers: the cookie carries each visitor's own CSRF token.
OWN_TO_EACH_VISITOR = {"Set-Cookie", "Date"}
NOTICE = "Someone tried to create a Champions account with your email address"


def without_token(body: bytes) -> bytes:
    return re.sub(rb'name="csrf_token"( type="hidden")? value="[^"]+"', b"", body)


def answer(response) -> tuple:
    headers = sorted((k, v) for k, v in response.headers.items() if k not in OWN_TO_EACH_VISITOR)
    return response.status_code, headers, without_token(response.get_data())


def cookie_of(app, response) -> dict:
    """What the session cookie holds: it is signed, not encrypted, so anyone can read it."""
    cookie = next(v for k, v in response.headers.items() if k == "Set-Cookie" and v.startswith("session="))
    return app.session_interface.get_signing_serializer(app).loads(cookie.split(";")[0].removeprefix("session="))


def session_of(app, response) -> dict:
    """The session but for the CSRF token, with the sign-up's random marker as its length."""
    data = cookie_of(app, response)
    return {k: len(v) if k == "sign_up" else v for k, v in data.items() if k != "csrf_token"}


def sign_up(app, path: str, data: dict) -> list:
    """One visitor, with CSRF on as in production: the form, the sign-up, the page it leads to, 'send it again'."""
    g.pop("csrf_token", None)  # the test clients share the test's app context: each visitor gets a token of its own
    client = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(path).get_data(as_text=True))
    posted = client.post(path, data={**data, "csrf_token": token.group(1)})
    if posted.status_code != 302:
        return [posted]  # refused (as an address with an account once was): compared as it is
    page = client.get(posted.headers["Location"])
    again = client.post(posted.headers["Location"], data={"csrf_token": token.group(1)})
    return [posted, page, again, client.get(again.headers["Location"])]


def table_rows(db) -> dict[str, list]:
    with db.engine.connect() as conn:
        return {t.name: sorted(map(tuple, conn.execute(t.select()))) for t in db.metadata.sorted_tables}


@pytest.mark.parametrize("path", FORMS)
def test_a_known_and_an_unknown_address_get_the_same_answer(app, db, monkeypatch, path):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    monkeypatch.setitem(app.config, "THROTTLE_ENABLED", True)
    db.session.commit()
    new = sign_up(app, path, FORMS[path])  # creates the account
    taken = sign_up(app, path, FORMS[path])  # the same address again: now it has an account
    assert [answer(r) for r in new] == [answer(r) for r in taken]
    assert session_of(app, new[0]) == session_of(app, taken[0])
    assert all(GOOD["email"].lower() not in str(cookie_of(app, r)).lower() for r in (new[0], taken[0]))
    assert new[0].status_code == 302 and new[1].status_code == 200
    page = new[1].get_data(as_text=True)
    assert "Check your email" in page and "already exists" not in page
    assert all(b"Sign out" not in r.get_data() for r in new + taken)  # neither signs anyone in


@pytest.mark.parametrize("path", FORMS)
def test_a_known_address_changes_nothing_but_its_owner_is_told(client, db, make, path):
    owner = make.user(role="champion", email="priya.shah@example.org")
    before = table_rows(db)
    response = client.post(path, data={**FORMS[path], "email": "PRIYA.Shah@example.org", "password": "x" * 20})
    assert response.status_code == 302
    after = table_rows(db)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"users", "outbox_messages", "pending_emails"}  # the notice, recorded as due, then sent
    [user_before], [user_after] = before["users"], after["users"]
    notice_at = User.__table__.c.keys().index("sign_up_notice_at")
    assert [v for i, v in enumerate(user_before) if i != notice_at] == [
        v for i, v in enumerate(user_after) if i != notice_at
    ]  # only the time of the notice: not the password, not the verification
    [mail] = db.session.scalars(select(OutboxMessage))
    assert (mail.to_address, mail.subject) == (owner.email, NOTICE)
    assert "/login" in mail.text_body and "/reset" in mail.text_body and "x" * 20 not in mail.text_body


def test_the_owner_is_told_at_most_once_an_hour(client, db, make, clock):
    clock.set(datetime(2025, 6, 2, 9, 0))
    make.user(role="champion", email="priya.shah@example.org")

    def notices() -> int:
        return len(db.session.scalars(select(OutboxMessage).where(OutboxMessage.subject == NOTICE)).all())

    for _ in range(3):
        client.post("/register", data=GOOD)
    client.post("/register/check-your-email")  # "send the email again"
    client.post("/grants/register", data=APPLICANT)
    assert notices() == 1
    clock.advance(minutes=59)
    client.post("/register", data=GOOD)
    assert notices() == 1
    clock.advance(minutes=1)
    client.post("/register", data=GOOD)
    client.post("/register", data=GOOD)
    assert notices() == 2


@pytest.mark.parametrize("path", FORMS)
def test_a_known_address_costs_one_password_hash_as_a_new_one_does(client, db, make, monkeypatch, path):
    from champions.accounts import services

    hashed = []
    monkeypatch.setattr(services, "hash_password", lambda password: hashed.append(password) or "x")
    assert client.post(path, data=FORMS[path]).status_code == 302  # a new address: its account is made
    new, hashed[:] = list(hashed), []
    assert client.post(path, data=FORMS[path]).status_code == 302  # the same address, now taken
    assert new == hashed == [GOOD["password"]]


def test_send_it_again_sends_a_fresh_link_to_an_unconfirmed_account_only(client, db, make):
    client.post("/register", data=GOOD)
    client.post("/register/check-your-email")
    links = db.session.scalars(select(OutboxMessage.text_body).where(OutboxMessage.to_address == GOOD["email"].lower()))
    assert sum("/verify/" in body for body in links) == 2  # the welcome email and the one sent again

    fresh = make.user(role="champion", email="someone@example.org")
    fresh.email_verified_at = fresh.created_at
    db.session.commit()
    other = client.application.test_client()
    other.post("/register", data={**GOOD, "email": "someone@example.org"})
    other.post("/register/check-your-email")
    sent = db.session.scalars(select(OutboxMessage.subject).where(OutboxMessage.to_address == "someone@example.org"))
    assert list(sent) == [NOTICE]  # a confirmed account gets no link that would sign anyone in


def test_the_check_your_email_page_needs_a_sign_up_first(client):
    response = client.get("/register/check-your-email")
    assert response.status_code == 302 and response.headers["Location"].endswith("/register")
