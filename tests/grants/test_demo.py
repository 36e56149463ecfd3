"""The demo's Small Sparks data: the first round as reported, and every state of the lifecycle."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from champions.accounts.models import User
from champions.core.snapshots import latest_snapshot
from champions.demo.seed import seed
from champions.grants.dashboard import snapshot_kind
from champions.grants.models import Application, Fund, ReviewAssignment, Round, Status
from champions.grants.services import lifecycle


# The demo's seeded data and what it shows are the same on either database, and each figure's own query is tested
# on both: seeding it again for the PostgreSQL pass (seconds each) would check nothing new.
@pytest.mark.once
def test_the_demo_has_the_first_round_as_reported_and_every_state(db):
    seed(count=120)
    db.session.commit()
    first = db.session.scalar(select(Round).where(Round.name == "Small Sparks round 1"))
    awarded = db.session.scalars(
        select(Application).where(Application.round_id == first.id, Application.award_pence.is_not(None))
    ).all()
    assert first.budget_pence == 6_000_000 == lifecycle.awarded_total(first.id)
    assert len(awarded) == 47
    assert 125_000 <= 6_000_000 // 47 <= 130_000  # about £1,300 a grant
    states = set(db.session.scalars(select(Application.status).distinct()))
    assert states == {s.value for s in Status}
    by_email = {u.email: u for u in db.session.scalars(select(User))}
    fund = db.session.scalar(select(Fund))
    assert by_email["funder@champions.example"] in fund.funders
    assert by_email["reviewer@champions.example"] in first.reviewers
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(ReviewAssignment)
            .where(
                ReviewAssignment.reviewer_id == by_email["reviewer@champions.example"].id,
                ReviewAssignment.submitted_at.is_(None),
            )
        )
        > 0
    )
    mine = db.session.scalars(
        select(Application.status).where(Application.applicant_id == by_email["applicant@champions.example"].id)
    ).all()
    assert "paid_full" in mine and "draft" in mine
    snapshot = latest_snapshot(snapshot_kind(fund.id))
    assert snapshot.data["money"]["budget"] == 9_000_000 and snapshot.data["overdue"]
