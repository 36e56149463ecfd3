"""Writes through the API: a partner's sign-up as the public form makes it, Idempotency-Key, refused bodies that
change nothing, problem documents, and cursor pagination with updated_since."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from champions.accounts.models import ConsentRecord, User
from champions.activities.models import Activity
from champions.api.models import IdempotentRequest
from champions.core.clock import now_utc, today_uk
from champions.core.models import OutboxMessage
from champions.profiles.models import Champion
from tests.api.helpers import bearer, token_for

PROBLEM = "application/problem+json"
SIGN_UP = {
    "first_name": "Pat",
    "last_name": "Partner",
    "email": "pat@example.org",
    "postcode": "BL1 1AA",
    "borough_code": "bolton",
    "topic_codes": [],
    "privacy_consent": True,
    "email_consent": True,
}


def _staff(db, make):
    return bearer(token_for(db, make.user(role="staff")))


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_partner_sign_up_is_the_public_forms(client, db, make):
    headers = _staff(db, make)
    response = client.post("/api/v1/champions", json=SIGN_UP, headers=headers)
    assert response.status_code == 201, response.json
    champion = db.session.get(Champion, response.json["id"])
    assert response.headers["Location"] == f"/api/v1/champions/{champion.id}"
    assert champion.source == "api" and champion.user.role == "champion"
    consents = {
        c.purpose: c.granted
        for c in db.session.scalars(select(ConsentRecord).where(ConsentRecord.user_id == champion.user_id))
    }
    assert consents == {"privacy_notice": True, "email_contact": True}
    sources = db.session.scalars(select(ConsentRecord.source).where(ConsentRecord.user_id == champion.user_id))
    assert set(sources) == {"api"}  # given on the partner's form, not ours
    assert champion.user.welcome_sent_at is not None  # the welcome email with its verification link went


def test_a_partner_sign_up_chooses_a_password_from_the_welcome_email_then_signs_in(client, db, make):
    from tests.accounts.test_links import link_in, signed_in_as

    assert client.post("/api/v1/champions", json=SIGN_UP, headers=_staff(db, make)).status_code == 201
    new_password = "a partner made my account"
    made = db.session.scalar(select(User).where(User.email == SIGN_UP["email"]))
    assert not made.has_password  # nobody can sign in to it until the person has chosen one
    body = db.session.scalar(select(OutboxMessage.text_body).where(OutboxMessage.to_address == SIGN_UP["email"]))
    assert "choose your password" in body
    assert "(it works for 3 days):\nhttp" in body  # the link on a line of its own, not run into the sentence

    opened = client.get(link_in(db, SIGN_UP["email"], "/verify"))
    assert opened.status_code == 302 and "/reset/" in opened.headers["Location"]
    page = client.get(opened.headers["Location"])
    assert "Choose your password" in page.get_data(as_text=True)
    assert client.post(opened.headers["Location"], data={"password": new_password}).status_code == 302
    db.session.expire_all()
    user = db.session.scalar(select(User).where(User.email == SIGN_UP["email"]))
    assert user.email_verified_at is not None and user.has_password

    # The link has done its work: opened again it confirms and no longer offers to set the password.
    again = client.get(link_in(db, SIGN_UP["email"], "/verify"))
    assert "/reset/" not in again.headers.get("Location", "")
    assert client.get(opened.headers["Location"]).status_code == 400  # the set-password link is spent
    assert client.post("/login", data={"email": SIGN_UP["email"], "password": new_password}).status_code == 302
    assert signed_in_as(client) == SIGN_UP["email"]


def test_a_sign_up_gets_the_forms_messages(client, db, make):
    headers = _staff(db, make)
    bad = {**SIGN_UP, "first_name": "", "postcode": "nowhere", "privacy_consent": False}
    response = client.post("/api/v1/champions", json=bad, headers=headers)
    assert response.status_code == 422 and response.mimetype == PROBLEM
    fields = {e["field"]: e["detail"] for e in response.json["errors"]}
    assert fields["first_name"] == "Enter your first name"
    assert "privacy notice" in fields["privacy_consent"] and "postcode" in fields
    assert _count(db, User) == 1  # only the staff member


def test_a_taken_address_is_a_409_and_changes_nothing(client, db, make):
    headers = _staff(db, make)
    make.user(role="champion", email="pat@example.org")
    before = _count(db, Champion)
    response = client.post("/api/v1/champions", json=SIGN_UP, headers=headers)
    assert response.status_code == 409 and response.json["errors"][0]["field"] == "email"
    assert _count(db, Champion) == before


def test_unknown_fields_that_would_set_role_stage_or_owner_are_refused(client, db, make):
    headers = _staff(db, make)
    for extra in ({"role": "admin"}, {"stage": "active"}, {"owner_id": 1}):
        response = client.post("/api/v1/champions", json={**SIGN_UP, **extra}, headers=headers)
        assert response.status_code == 422 and response.mimetype == PROBLEM
        assert list(extra) == [e["field"] for e in response.json["errors"]]
    assert _count(db, Champion) == 0


def test_bad_json_wrong_types_wrong_media_and_huge_bodies_are_problems(client, db, make):
    headers = _staff(db, make)
    bad_json = client.post("/api/v1/champions", data="{not json", content_type="application/json", headers=headers)
    assert bad_json.status_code == 400 and bad_json.mimetype == PROBLEM
    wrong_type = client.post("/api/v1/champions", json={**SIGN_UP, "first_name": 5}, headers=headers)
    assert wrong_type.status_code == 422 and wrong_type.json["errors"][0]["field"] == "first_name"
    form = client.post("/api/v1/champions", data=SIGN_UP, headers=headers)
    assert form.status_code == 415 and form.mimetype == PROBLEM
    huge = client.post("/api/v1/champions", json={**SIGN_UP, "heard_other": "x" * 200_000}, headers=headers)
    assert huge.status_code == 413 and huge.mimetype == PROBLEM
    assert huge.json["detail"] == "The request body is too large: the limit is 64 KB."
    nul = client.post("/api/v1/champions", json={**SIGN_UP, "first_name": "A\x00B"}, headers=headers)
    assert nul.status_code == 422
    deep = '{"first_name": ' + "[" * 5000 + "]" * 5000 + "}"  # past what Python's JSON reader can nest
    nested = client.post("/api/v1/champions", data=deep, content_type="application/json", headers=headers)
    assert nested.status_code == 400 and nested.mimetype == PROBLEM and "nested too deeply" in nested.json["detail"]
    for loose in ("yes", "on", "1", 1, "true"):  # consent is the JSON value true, nothing that looks like it
        refused = client.post("/api/v1/champions", json={**SIGN_UP, "privacy_consent": loose}, headers=headers)
        assert refused.status_code == 422 and refused.json["errors"][0]["field"] == "privacy_consent", loose
    assert _count(db, Champion) == 0
    assert client.delete("/api/v1/champions", headers=headers).mimetype == PROBLEM  # 405, as a problem


def test_a_repeated_idempotency_key_answers_as_before_and_makes_nothing(client, db, make):
    headers = {**_staff(db, make), "Idempotency-Key": "retry-1"}
    first = client.post("/api/v1/champions", json=SIGN_UP, headers=headers)
    again = client.post("/api/v1/champions", json=SIGN_UP, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers["Location"] == first.headers["Location"]
    assert _count(db, Champion) == 1 and _count(db, IdempotentRequest) == 1
    other_body = client.post("/api/v1/champions", json={**SIGN_UP, "first_name": "Sam"}, headers=headers)
    assert other_body.status_code == 422 and _count(db, Champion) == 1


def test_a_key_is_per_token(client, db, make):
    one = {**_staff(db, make), "Idempotency-Key": "k"}
    two = {**_staff(db, make), "Idempotency-Key": "k"}
    assert client.post("/api/v1/champions", json=SIGN_UP, headers=one).status_code == 201
    assert client.post("/api/v1/champions", json={**SIGN_UP, "email": "b@example.org"}, headers=two).status_code == 201


def test_a_champion_logs_their_own_activity(client, db, make):
    champion = make.champion()
    headers = {**bearer(token_for(db, champion.user)), "Idempotency-Key": "a1"}
    body = {
        "type": "conversation",
        "occurred_on": today_uk().isoformat(),
        "borough_code": "bolton",
        "topic_code": db.session.scalar(select(Activity.topic_code).limit(1)) or "smoking",
        "people_reached": 3,
    }
    response = client.post("/api/v1/activities/mine", json=body, headers=headers)
    assert response.status_code == 201, response.json
    assert client.post("/api/v1/activities/mine", json=body, headers=headers).status_code == 201
    assert db.session.scalar(select(func.count()).where(Activity.champion_id == champion.id)) == 1
    future = {**body, "occurred_on": (today_uk() + timedelta(days=2)).isoformat()}
    refused = client.post("/api/v1/activities/mine", json=future, headers=bearer(token_for(db, champion.user)))
    assert refused.status_code == 422
    assert refused.json["errors"] == [{"field": "occurred_on", "detail": "The date cannot be in the future"}]


def test_cursor_pages_follow_changes_and_updated_since(client, db, make, clock):
    start = clock.set(now_utc())
    headers = _staff(db, make)
    ids = [make.champion().id for _ in range(5)]
    clock.advance(hours=1)
    seen, cursor = [], None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/champions", query_string=query, headers=headers).json
        seen += [item["id"] for item in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert seen == ids
    later = db.session.get(Champion, ids[1])
    later.first_name = "Changed"
    db.session.commit()
    since = (start + timedelta(minutes=30)).isoformat()
    changed = client.get("/api/v1/champions", query_string={"updated_since": since}, headers=headers).json
    assert [item["id"] for item in changed["items"]] == [ids[1]]
    for bad in ("yesterday", "2026-01-01T00:00:00", "2026-13-01T00:00:00Z"):
        refused = client.get("/api/v1/champions", query_string={"updated_since": bad}, headers=headers)
        assert refused.status_code == 400 and refused.mimetype == PROBLEM
        assert refused.json["errors"][0]["field"] == "updated_since"
    forged = client.get("/api/v1/champions", query_string={"cursor": "bm90IGEgY3Vyc29y"}, headers=headers)
    assert forged.status_code == 400 and forged.json["errors"][0]["field"] == "cursor"


def test_the_document_is_as_strict_as_the_server(client, db, make):
    """What the document allows the server takes, and what the server refuses the document does not allow."""
    document = client.get("/api/v1/openapi.json").json
    params = {p["name"]: p for p in document["paths"]["/api/v1/workshops"]["get"]["parameters"]}
    pattern = params["cursor"]["schema"]["pattern"]
    body = document["components"]["schemas"]["NewActivity"]["properties"]
    assert "wigan" in body["borough_code"]["enum"] and "smoking" in body["topic_code"]["enum"]

    staff = bearer(token_for(db, make.user(role="staff")))
    for cursor in ("0.0", "9" * 16 + "." + "9" * 18, "1767225600000000.12"):  # any the pattern allows is a position
        assert re.fullmatch(pattern.strip("^$"), cursor)
        assert client.get(f"/api/v1/workshops?cursor={cursor}", headers=staff).status_code == 200, cursor
    for cursor in ("nonsense", "1.", "9" * 17 + ".1", "1.1\n"):
        assert not re.fullmatch(pattern.strip("^$"), cursor)
        assert client.get("/api/v1/workshops", query_string={"cursor": cursor}, headers=staff).status_code == 400

    # JSON Schema's integer includes 3.0: so does the server's; a fraction or a boolean is refused.
    champion = make.champion()
    headers = bearer(token_for(db, champion.user))
    logged = {"type": "conversation", "occurred_on": today_uk().isoformat(), "borough_code": "bolton"}
    logged |= {"topic_code": "smoking"}
    for reached, status in ((3.0, 201), (3.5, 422), (True, 422), ("3", 422)):
        answer = client.post("/api/v1/activities/mine", json={**logged, "people_reached": reached}, headers=headers)
        assert answer.status_code == status, (reached, answer.json)
    assert db.session.scalars(select(Activity.people_reached).where(Activity.champion_id == champion.id)).all() == [3]


def test_a_partner_sign_up_names_only_an_organisation_working_with_us(client, db, make):
    """Checked against the register itself, as the public form checks it, without listing every organisation."""
    from champions.organisations.services import create_organisation

    engaged = create_organisation("Leigh Walkers", type="grassroots", engagement_level="engaged")
    aware = create_organisation("Leigh Quiet Group", type="grassroots", engagement_level="aware")
    db.session.commit()
    headers = _staff(db, make)
    for refused_id in (aware.id, 999_999):
        body = {**SIGN_UP, "heard_via": "organisation", "organisation_id": refused_id}
        refused = client.post("/api/v1/champions", json=body, headers=headers)
        assert refused.status_code == 422, refused.json
        assert "Select the organisation or group" in str(refused.json)
    assert _count(db, Champion) == 0
    body = {**SIGN_UP, "heard_via": "organisation", "organisation_id": engaged.id}
    response = client.post("/api/v1/champions", json=body, headers=headers)
    assert response.status_code == 201, response.json
    assert db.session.get(Champion, response.json["id"]).heard_via_organisation_id == engaged.id
