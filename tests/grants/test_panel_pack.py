"""The panel pack: a round's submitted applications with their scores, as a spreadsheet for the panel meeting."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from sqlalchemy import select

from champions.core.models import AuditEvent
from champions.grants.services import reviews
from tests.grants.helpers import login

NOW = datetime(2027, 2, 10, 10, 30)


@pytest.fixture(autouse=True)
def _frozen(clock):
    clock.set(NOW)



def score(application, reviewer_id: int, by_criterion: dict[str, int] | None, conflict: bool = False) -> None:
    assignment = next(a for a in application.assignments if a.reviewer_id == reviewer_id)
    reviews.declare_conflict(assignment, conflict, "I chair the group" if conflict else None)
    if by_criterion is not None:
        criteria = application.round.criteria
        reviews.submit_scores(assignment, {c.id: (by_criterion[c.name], "") for c in criteria})


def pack(client, round_id: int) -> list[dict[str, str]]:
    response = client.get(f"/grants/staff/rounds/{round_id}/panel.csv")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def scored_round(make, db, anonymise=False):
    panel = [make.user(role="reviewer") for _ in range(3)]
    round_ = make.round(reviewers=panel, anonymise_reviews=anonymise)
    best = make.application(
        round=round_, status="under_review", title='=HYPERLINK("http://x.example")', contact_name="Philippa Quarmby"
    )
    reviews.assign_reviewers(best, [p.id for p in panel[1:]])
    score(best, panel[0].id, {"Reach": 5, "Value for money": 3})
    score(best, panel[1].id, {"Reach": 4, "Value for money": 4})
    score(best, panel[2].id, None, conflict=True)
    unscored = make.application(round=round_, status="eligible", title="Walk and talk", theme="Screening")
    unscored.eligibility_problems = ["The group is outside the round's boroughs"]
    make.application(round=round_, title="Still a draft")
    make.application(title="Another round's application", status="eligible")
    db.session.commit()
    return round_, best, unscored


def test_the_panel_pack_has_a_row_per_submitted_application_with_each_criterion_mean(client, make, db):
    round_, best, unscored = scored_round(make, db)
    login(client, make.user(role="staff"))
    page = client.get(f"/grants/staff/rounds/{round_.id}/panel").get_data(as_text=True)
    assert f"/grants/staff/rounds/{round_.id}/panel.csv" in page
    rows = pack(client, round_.id)
    assert [r["Id"] for r in rows] == [str(best.id), str(unscored.id)]  # best score first; no draft, no other round
    first, second = rows
    assert first["Title"] == '\'=HYPERLINK("http://x.example")'  # a formula is written as text
    assert first["Group"] == best.group_display and first["Amount requested"] == "£1,300"
    assert first["Theme"] == "Social isolation" and first["Boroughs"] == "Bolton"
    assert first["Mean score: Reach (weight 3)"] == "4.5" and first["Mean score: Value for money (weight 1)"] == "3.5"
    # (5x3 + 3x1 + 4x3 + 4x1) / (3 + 1 + 3 + 1)
    assert first["Weighted score"] == "4.25" and first["Reviews"] == "2" and first["Reviews asked for"] == "2"
    assert first["Conflicts declared"] == "1" and first["Eligibility problems"] == ""
    assert first["Status"] == "Under review"
    assert second["Weighted score"] == "" and second["Reviews"] == "0" and second["Mean score: Reach (weight 3)"] == ""
    assert second["Eligibility problems"] == "The group is outside the round's boroughs"
    assert second["Status"] == "Eligible" and second["Theme"] == "Screening"
    assert not any("Philippa Quarmby" in value or "@" in value for row in rows for value in row.values())
    exported = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "grant.round_exported"))
    assert exported.target_id == str(round_.id) and exported.details == {"export": "panel pack", "applications": 2}


def test_the_panel_pack_of_an_anonymised_round_names_no_group(client, make, db):
    round_, best, unscored = scored_round(make, db, anonymise=True)
    login(client, make.user(role="staff"))
    rows = pack(client, round_.id)
    assert [r["Group"] for r in rows] == [f"Applicant A-{best.id}", f"Applicant A-{unscored.id}"]
    body = client.get(f"/grants/staff/rounds/{round_.id}/panel.csv").get_data(as_text=True)
    assert best.group_display not in body and unscored.group_display not in body


def test_the_panel_pack_of_a_round_that_does_not_exist_is_a_404(client, make, db):
    login(client, make.user(role="staff"))
    assert client.get("/grants/staff/rounds/999999/panel.csv").status_code == 404


def test_only_staff_may_download_the_panel_pack(client, make, db):
    round_, _, _ = scored_round(make, db)
    url = f"/grants/staff/rounds/{round_.id}/panel.csv"
    assert client.get(url).status_code == 302  # to sign in
    for role in ("reviewer", "funder", "applicant", "champion"):
        login(client, make.user(role=role))
        assert client.get(url).status_code == 403, role
        client.post("/logout")
    assert not db.session.scalar(select(AuditEvent).where(AuditEvent.action == "grant.round_exported"))
