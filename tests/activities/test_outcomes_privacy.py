"""Outcomes are personal data: in the person's export, anonymised by erasure, moved by a merge."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from champions.activities.models import Activity, ActivityOutcome, DeletedActivity
from champions.activities.outcomes import OutcomeInput
from champions.activities.services import delete_activity, log_activity, restore_activity
from champions.core.db import now_utc
from champions.privacy.export import export_data
from champions.privacy.services import apply_retention, erase
from champions.profiles.models import StageChange
from champions.roster import duplicates

TALK = {
    "type": "group_talk",
    "occurred_on": date(2026, 1, 2),
    "borough_code": "wigan",
    "topic_code": "screening",
    "people_reached": 12,
    "notes": "Talk at the library",
}


def talk_with_outcomes(db, champion) -> Activity:
    chosen = [OutcomeInput("cervical_screening", 12, 4, 2), OutcomeInput("hpv_vaccination", 3)]
    activity = log_activity(champion, TALK, chosen)
    db.session.commit()
    return activity


def outcome_rows(db) -> list[tuple]:
    query = select(ActivityOutcome.champion_id, ActivityOutcome.outcome_code, ActivityOutcome.signposted)
    return sorted(db.session.execute(query).all(), key=lambda row: (row[1], row[0] is not None, row[0] or 0))


def test_the_export_holds_each_outcome_in_words(db, make):
    champion = make.champion()
    activity = talk_with_outcomes(db, champion)
    talk_with_outcomes(db, make.champion())  # someone else's: not in this export
    rows = export_data(champion.user)["sections"]["what-came-of-your-activities"]["rows"]
    assert [(r["Activity number"], r["Signposted to"], r["People signposted"]) for r in rows] == [
        (activity.id, "Cervical screening", 12),
        (activity.id, "HPV vaccination", 3),
    ]
    assert (rows[0]["Said they would act"], rows[0]["Did act"], rows[1]["Did act"]) == (4, 2, "")


def test_erasure_leaves_the_outcomes_as_anonymous_counts(db, make):
    champion, other = make.champion(), make.champion()
    talk_with_outcomes(db, champion)
    talk_with_outcomes(db, other)
    kept = delete_activity(champion, talk_with_outcomes(db, champion))  # its outcomes kept for Undo
    db.session.commit()
    assert kept.row["outcomes"]
    erase(champion.user)
    db.session.commit()
    assert outcome_rows(db) == [
        (None, "cervical_screening", 12),
        (other.id, "cervical_screening", 12),
        (None, "hpv_vaccination", 3),
        (other.id, "hpv_vaccination", 3),
    ]
    assert db.session.scalar(select(DeletedActivity)) is None  # the deleted one, outcomes and all, is gone


def test_a_merge_moves_the_outcomes_and_a_deletion_undone_afterwards_comes_back_to_the_kept_record(db, make):
    keep, gone = make.champion(), make.champion()
    talk_with_outcomes(db, gone)
    deleted = delete_activity(gone, talk_with_outcomes(db, gone))
    db.session.commit()
    duplicates.merge(keep, gone, None, fingerprint=duplicates.plan_merge(keep, gone).fingerprint)
    db.session.commit()
    assert {row[0] for row in outcome_rows(db)} == {keep.id}
    db.session.refresh(deleted)
    restore_activity(keep, deleted)
    db.session.commit()
    rows = outcome_rows(db)
    assert len(rows) == 4 and {row[0] for row in rows} == {keep.id}


def test_retention_anonymises_the_outcomes_of_a_champion_withdrawn_long_ago(db, make, clock):
    clock.set(datetime(2026, 3, 20, 12, 0))
    gone, staying = make.champion(), make.champion()
    talk_with_outcomes(db, gone)
    talk_with_outcomes(db, staying)
    gone.stage = "withdrawn"
    db.session.add(
        StageChange(
            champion_id=gone.id,
            from_stage="active",
            to_stage="withdrawn",
            reason="left",
            changed_at=now_utc() - timedelta(days=400),
        )
    )
    db.session.commit()
    assert apply_retention(unverified_days=30, withdrawn_days=365)["withdrawn_anonymised"] == 1
    db.session.commit()
    assert [row[0] for row in outcome_rows(db)] == [None, staying.id, None, staying.id]
