"""/api/v1/grants and /api/v1/figures: staff read every round, application and award; a funder only their own funds'
rounds, awards and figures (the funder dashboard's tables, never the raw counts), and never a contact's details; an
applicant reads their own applications."""

from __future__ import annotations

from sqlalchemy import select

from champions.api.tokens import resources_for
from champions.core.models import AuditEvent
from champions.dashboards.services import compute_programme_snapshot
from champions.grants.dashboard import compute_fund_snapshot
from tests.api.helpers import bearer, token_for

CONTACT = {"contact_name", "contact_email", "contact_phone"}


def _two_funds(make):
    funder = make.user(role="funder")
    mine = make.application(make.round(make.fund("Mine", funders=[funder])), status="approved")
    theirs = make.application(make.round(make.fund("Theirs")), status="approved")
    return funder, mine, theirs


def test_a_funder_reads_only_their_funds_rounds_and_awards_without_contacts(client, db, make):
    funder, mine, theirs = _two_funds(make)
    headers = bearer(token_for(db, funder))
    assert resources_for("funder") == {"grants": {"read"}, "figures": {"read"}}
    rounds = client.get("/api/v1/grants/rounds", headers=headers).json["items"]
    assert [r["id"] for r in rounds] == [mine.round_id]
    assert client.get(f"/api/v1/grants/rounds/{theirs.round_id}", headers=headers).status_code == 404
    awards = client.get("/api/v1/grants/awards", headers=headers).json["items"]
    assert [a["id"] for a in awards] == [mine.id]
    assert awards[0]["award_pence"] == mine.award_pence and awards[0]["group_name"] == mine.group_name
    assert not CONTACT & set(awards[0])
    assert "jo@example.org" not in client.get(f"/api/v1/grants/awards/{mine.id}", headers=headers).get_data(
        as_text=True
    )
    assert client.get(f"/api/v1/grants/awards/{theirs.id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/grants/awards?fund_id={theirs.round.fund_id}", headers=headers).json["items"] == []
    # Applications, with their contacts, are not a funder's.
    assert client.get("/api/v1/grants/applications", headers=headers).status_code == 403
    assert client.get(f"/api/v1/grants/applications/{mine.id}", headers=headers).status_code == 403


def test_staff_read_everything_and_reading_an_application_is_audited(client, db, make):
    _, mine, theirs = _two_funds(make)
    draft = make.application(status="draft")
    staff = make.user(role="staff")
    headers = bearer(token_for(db, staff))
    assert {a["id"] for a in client.get("/api/v1/grants/awards", headers=headers).json["items"]} == {mine.id, theirs.id}
    listed = client.get(f"/api/v1/grants/applications?round_id={draft.round_id}", headers=headers).json["items"]
    assert [a["id"] for a in listed] == [draft.id] and not CONTACT & set(listed[0])
    assert client.get("/api/v1/grants/applications?status=draft", headers=headers).json["items"][0]["id"] == draft.id
    one = client.get(f"/api/v1/grants/applications/{mine.id}", headers=headers)
    assert one.status_code == 200 and one.json["contact_email"] == "jo@example.org"
    viewed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "grant.application_viewed")).all()
    assert [(e.actor_id, e.target_id) for e in viewed] == [(staff.id, str(mine.id))]
    assert client.get("/api/v1/grants/awards", headers=headers, query_string={"fund_id": "x"}).status_code == 400


def test_an_applicant_reads_their_own_applications_only(client, db, make):
    applicant = make.user(role="applicant")
    own = make.application(applicant=applicant, status="eligible")
    other = make.application(status="eligible")
    headers = bearer(token_for(db, applicant))
    assert resources_for("applicant") == {"grants": {"read"}}
    mine = client.get("/api/v1/grants/applications/mine", headers=headers).json["items"]
    assert [a["id"] for a in mine] == [own.id] and mine[0]["contact_name"] == "Jo Bloggs"
    assert client.get(f"/api/v1/grants/applications/{own.id}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/grants/applications/{other.id}", headers=headers).status_code == 404
    assert client.get("/api/v1/grants/applications", headers=headers).status_code == 403
    assert client.get("/api/v1/grants/awards", headers=headers).status_code == 403
    assert not db.session.scalars(select(AuditEvent).where(AuditEvent.action == "grant.application_viewed")).all()


def test_awards_page_by_cursor_and_updated_since(client, db, make, clock):
    from champions.core.clock import now_utc

    clock.set(now_utc())
    first = make.application(status="approved")
    second = make.application(first.round, status="approved")
    since = clock.advance(hours=1)
    headers = bearer(token_for(db, make.user(role="staff")))
    page = client.get("/api/v1/grants/awards?limit=1", headers=headers).json
    rest = client.get(f"/api/v1/grants/awards?limit=1&cursor={page['next_cursor']}", headers=headers).json
    assert [a["id"] for a in page["items"] + rest["items"]] == [first.id, second.id]
    assert (
        client.get("/api/v1/grants/awards", headers=headers, query_string={"updated_since": since.isoformat()}).json[
            "items"
        ]
        == []
    )
    first.conditions = "Send photos"
    db.session.commit()
    newer = client.get("/api/v1/grants/awards", headers=headers, query_string={"updated_since": since.isoformat()})
    assert [a["id"] for a in newer.json["items"]] == [first.id]
    rounds = client.get("/api/v1/grants/rounds", headers=headers, query_string={"updated_since": since.isoformat()})
    assert rounds.json["items"] == []


def test_figures_come_from_the_newest_snapshot_with_its_time(client, db, make):
    staff = bearer(token_for(db, make.user(role="staff")))
    assert client.get("/api/v1/figures", headers=staff).status_code == 404  # none computed yet
    snapshot = compute_programme_snapshot()
    db.session.commit()
    figures = client.get("/api/v1/figures", headers=staff).json
    assert figures["figures"]["headline"] == snapshot.data["headline"]
    assert figures["computed_at"].startswith(snapshot.computed_at.date().isoformat())
    funder, mine, theirs = _two_funds(make)
    funder_headers = bearer(token_for(db, funder))
    assert client.get("/api/v1/figures", headers=funder_headers).status_code == 403
    assert client.get(f"/api/v1/figures/funds/{mine.round.fund_id}", headers=funder_headers).status_code == 404
    compute_fund_snapshot(mine.round.fund_id)
    compute_fund_snapshot(theirs.round.fund_id)
    db.session.commit()
    fund = client.get(f"/api/v1/figures/funds/{mine.round.fund_id}", headers=funder_headers).json
    assert fund["fund_name"] == "Mine" and fund["tables"]["money"]["rows"][0][0] == "Budget"
    assert client.get(f"/api/v1/figures/funds/{theirs.round.fund_id}", headers=funder_headers).status_code == 404
    assert client.get(f"/api/v1/figures/funds/{theirs.round.fund_id}", headers=staff).status_code == 200
