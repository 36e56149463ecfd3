from __future__ import annotations

import pytest
from sqlalchemy import select

from champions.accounts.models import User
from champions.core.models import AuditEvent
from tests.factories import PASSWORD


def test_login_sends_each_role_home_and_records_the_time(client, db, make):
    for role, landing in [
        ("champion", "/me"),
        ("staff", "/staff"),
        ("admin", "/staff"),
        ("funder", "/grants/funder"),
        ("reviewer", "/grants/reviews"),
        ("applicant", "/grants/my"),
    ]:
        user = make.user(role=role)
        client = client.application.test_client()
        response = client.post(
            "/login", data={"email": user.email.upper(), "password": PASSWORD}, follow_redirects=True
        )
        assert response.status_code == 200 and response.request.path == landing
        db.session.refresh(user)
        assert user.last_login_at is not None
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "login").limit(1)) == "login"


def test_unknown_email_and_wrong_password_get_the_same_answer(client, make):
    user = make.user()
    wrong = client.post("/login", data={"email": user.email, "password": "not the password"})
    unknown = client.post("/login", data={"email": "nobody@example.org", "password": "not the password"})
    assert wrong.status_code == unknown.status_code == 400
    strip = lambda r: r.get_data(as_text=True).replace(user.email, "").replace("nobody@example.org", "")  # noqa: E731
    assert strip(wrong) == strip(unknown)
    assert "Enter a correct email address and password" in strip(wrong)


def test_a_deactivated_user_cannot_sign_in_and_loses_open_sessions(client, db, make):
    user = make.user()
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    assert client.get("/staff").status_code == 200
    db.session.get(User, user.id).active = False
    db.session.commit()
    assert client.get("/staff").status_code == 302  # back to sign-in
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 400


def test_bumping_the_session_version_ends_other_sessions(client, db, make):
    user = make.user()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    db.session.get(User, user.id).session_version += 1
    db.session.commit()
    assert client.get("/staff").headers["Location"].startswith("/login")


def test_next_only_goes_to_local_pages(client, make):
    user = make.user()
    response = client.post("/login?next=https://evil.example/", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/home"
    client.post("/logout")
    response = client.post("/login?next=/staff/outbox", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/staff/outbox"


def test_logout_needs_a_post_and_ends_the_session(client, auth):
    auth.login_as("staff")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 302
    assert client.get("/staff").status_code == 302


@pytest.mark.parametrize("target", ["/\\evil.example/", "/\t/evil.example/", "\\/evil.example/", "//evil.example/"])
def test_next_refuses_what_a_browser_reads_as_another_site(client, make, target):
    user = make.user()
    response = client.post("/login", query_string={"next": target}, data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/home"
