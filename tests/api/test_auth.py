"""Who the API answers: a valid token's holder, within its scopes and the access table; problem documents
otherwise, never a page of HTML, and never on the strength of a session cookie."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from champions.api.models import ApiToken
from champions.api.tokens import create_token, find_token
from champions.core.clock import now_utc
from champions.core.errors import Refused
from champions.core.models import AuditEvent
from tests.api.helpers import bearer, token_for

PROBLEM = "application/problem+json"


def test_no_token_is_a_401_problem_not_a_login_page(client):
    response = client.get("/api/v1/champions")
    assert response.status_code == 401
    assert response.mimetype == PROBLEM
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json["status"] == 401 and response.json["title"]


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer chp_abcdefgh_wrong", "Basic dXNlcjpwYXNz", "chp_x"])
def test_a_wrong_token_is_a_401(client, header):
    response = client.get("/api/v1/champions", headers={"Authorization": header})
    assert response.status_code == 401 and response.mimetype == PROBLEM


def test_the_session_cookie_counts_for_nothing(client, auth):
    auth.login_as("staff")
    assert client.get("/api/v1/champions").status_code == 401
    post = client.post("/api/v1/champions", json={"first_name": "A"})
    assert post.status_code == 401


def test_staff_token_reads_champions(client, db, make):
    staff = make.user(role="staff")
    champion = make.champion()
    response = client.get("/api/v1/champions", headers=bearer(token_for(db, staff)))
    assert response.status_code == 200
    assert [item["id"] for item in response.json["items"]] == [champion.id]


def test_outside_its_scope_is_403(client, db, make):
    staff = make.user(role="staff")
    secret = token_for(db, staff, {"activities": "read"})
    response = client.get("/api/v1/champions", headers=bearer(secret))
    assert response.status_code == 403 and response.mimetype == PROBLEM
    read_only = token_for(db, staff, {"champions": "read"})
    assert client.get("/api/v1/champions", headers=bearer(read_only)).status_code == 200
    write = client.post("/api/v1/champions", json={}, headers=bearer(read_only))
    assert write.status_code == 403


def test_the_access_table_decides_for_tokens_too(client, db, make):
    """A champion's token cannot reach the staff list, whatever it claims: it could not be given that scope,
    and a champion's role is refused by the table."""
    champion = make.champion()
    with pytest.raises(Refused):
        create_token(champion.user, "Sneaky", {"champions": "read"}, now_utc() + timedelta(days=1))
    secret = token_for(db, champion.user)
    assert client.get("/api/v1/champions", headers=bearer(secret)).status_code == 403
    assert client.get("/api/v1/activities", headers=bearer(secret)).status_code == 403
    assert client.get("/api/v1/activities/mine", headers=bearer(secret)).status_code == 200


def test_only_a_hash_is_stored_and_the_prefix_finds_it(db, make):
    staff = make.user(role="staff")
    secret = token_for(db, staff)
    token = db.session.scalar(select(ApiToken))
    assert secret.startswith(f"chp_{token.prefix}_")
    assert secret not in (token.secret_hash, token.prefix) and len(secret) > 50
    assert find_token(secret).id == token.id
    assert find_token(secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None


def test_a_revoked_token_stops_working(client, db, make, auth):
    staff = auth.login_as("staff")
    secret = token_for(db, staff)
    token = db.session.scalar(select(ApiToken))
    page = client.get("/account/api-tokens")
    assert b"chp_" + token.prefix.encode() in page.data and secret.encode() not in page.data
    assert client.post(f"/account/api-tokens/{token.id}/revoke").status_code == 302
    assert client.get("/api/v1/champions", headers=bearer(secret)).status_code == 401


def test_someone_elses_token_cannot_be_revoked(client, db, make, auth):
    other = make.user(role="staff")
    token_for(db, other)
    token = db.session.scalar(select(ApiToken))
    auth.login_as("staff")
    assert client.post(f"/account/api-tokens/{token.id}/revoke").status_code == 404
    assert db.session.get(ApiToken, token.id).revoked_at is None


def test_a_token_expires(client, db, make, clock):
    clock.set(now_utc())
    staff = make.user(role="staff")
    secret = token_for(db, staff, days=30)
    assert client.get("/api/v1/champions", headers=bearer(secret)).status_code == 200
    clock.advance(days=30, seconds=1)
    assert client.get("/api/v1/champions", headers=bearer(secret)).status_code == 401


def test_a_deactivated_holders_token_stops_working(client, db, make):
    staff = make.user(role="staff")
    secret = token_for(db, staff)
    staff.active = False
    db.session.commit()
    assert client.get("/api/v1/champions", headers=bearer(secret)).status_code == 401


def test_use_is_noted_once_a_minute(client, db, make, clock):
    clock.set(now_utc())
    staff = make.user(role="staff")
    secret = token_for(db, staff)
    for _ in range(3):
        assert client.get("/api/v1/champions", headers=bearer(secret)).status_code == 200
    used = lambda: db.session.scalars(select(AuditEvent).where(AuditEvent.action == "api.token_used")).all()  # noqa: E731
    assert len(used()) == 1
    assert db.session.scalar(select(ApiToken)).last_used_at is not None
    clock.advance(minutes=1, seconds=1)
    client.get("/api/v1/champions", headers=bearer(secret))
    assert len(used()) == 2


def test_a_token_is_rate_limited(app, client, db, make, monkeypatch):
    staff = make.user(role="staff")
    secret = token_for(db, staff)
    # Set for this test only: the app is shared by the whole session.
    monkeypatch.setitem(app.config, "THROTTLE_ENABLED", True)
    monkeypatch.setitem(app.config, "API_REQUESTS_PER_TOKEN_RATE", "2 per hour")
    answers = [client.get("/api/v1/champions", headers=bearer(secret)) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].mimetype == PROBLEM and "Retry-After" in answers[2].headers


def test_making_a_token_in_the_browser_shows_it_once(client, db, auth):
    auth.login_as("staff")
    response = client.post(
        "/account/api-tokens",
        data={"name": "Partner CRM", "scope_champions": "write", "scope_activities": "none", "lifetime": "30"},
    )
    assert response.status_code == 200
    token = db.session.scalar(select(ApiToken))
    assert token.scopes == {"champions": "write"} and token.name == "Partner CRM"
    secret = response.get_data(as_text=True).split('id="secret"')[1].split('value="')[1].split('"')[0]
    assert client.get("/api/v1/champions", headers=bearer(secret)).status_code == 200
    assert secret not in client.get("/account/api-tokens").get_data(as_text=True)


def test_a_champion_cannot_make_a_staff_scope_in_the_browser(client, db, auth):
    auth.login_as("champion")
    page = client.get("/account/api-tokens").get_data(as_text=True)
    assert 'name="scope_activities"' in page and 'name="scope_champions"' not in page
    response = client.post("/account/api-tokens", data={"name": "X", "scope_champions": "write", "lifetime": "30"})
    assert response.status_code == 400
    assert db.session.scalar(select(ApiToken)) is None
