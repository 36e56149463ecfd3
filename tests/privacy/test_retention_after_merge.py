"""Retention after a merge: the daily sweep deletes sign-ups never verified, but a record that holds a merged-away
login which was confirmed is a confirmed person (the merge counts it as verified), not an abandoned sign-up.

Found in a browser walk: staff kept the older, never-confirmed record of a person who had signed up twice, the
merge moved the confirmed record's training onto it (stage "trained"), and the next retention run deleted the
kept record with everything moved to it, while the merged-away record came back as unmerged.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from champions.accounts.models import User
from champions.core.db import now_utc
from champions.privacy.services import apply_retention
from champions.profiles.models import Champion, Stage
from champions.training.models import TrainingCompletion
from champions.training.onboarding import core_resource_ids
from tests.roster.test_merge import completed_core_training, merge


def test_retention_keeps_a_record_that_a_confirmed_login_was_merged_into(make, db):
    keep = make.champion(first_name="Keep")  # signed up first and never confirmed the address
    gone = make.champion(first_name="Gone")  # signed up again, confirmed and trained
    long_ago = now_utc() - timedelta(days=90)
    keep.user.created_at = gone.user.created_at = long_ago
    gone.user.email_verified_at = long_ago + timedelta(days=1)
    completed_core_training(db, gone)
    keep_id, gone_id, keep_user = keep.id, gone.id, keep.user_id
    trained = len(core_resource_ids())
    merge(keep, gone)
    db.session.commit()
    assert db.session.get(Champion, keep_id).stage == Stage.TRAINED.value

    counts = apply_retention(unverified_days=30, withdrawn_days=365)
    db.session.commit()
    db.session.expire_all()

    assert counts["unverified_deleted"] == 0
    assert db.session.get(User, keep_user) is not None
    kept = db.session.get(Champion, keep_id)
    assert kept is not None and kept.stage == Stage.TRAINED.value
    completions = select(func.count()).select_from(TrainingCompletion).where(TrainingCompletion.champion_id == keep_id)
    assert db.session.scalar(completions) == trained
    assert db.session.get(Champion, gone_id).merged_into_id == keep_id


def test_retention_still_deletes_a_record_when_neither_merged_login_was_confirmed(make, db):
    keep, gone = make.champion(first_name="Keep"), make.champion(first_name="Gone")
    keep.user.created_at = gone.user.created_at = now_utc() - timedelta(days=90)
    db.session.commit()
    keep_user, gone_user = keep.user_id, gone.user_id
    merge(keep, gone)
    db.session.commit()

    counts = apply_retention(unverified_days=30, withdrawn_days=365)
    db.session.commit()
    db.session.expire_all()

    assert counts["unverified_deleted"] == 2
    assert db.session.get(User, keep_user) is None and db.session.get(User, gone_user) is None


def test_retention_keeps_imported_champions_who_were_never_asked_to_confirm(make, db):
    # A partner's import dates each person from the partner's "registered" date and asks them to confirm nothing:
    # they are not abandoned sign-ups, however old the date.
    imported = make.champion(first_name="Imported")
    imported.source = "import"
    abandoned = make.champion(first_name="Abandoned")
    imported.user.created_at = abandoned.user.created_at = now_utc() - timedelta(days=400)
    db.session.commit()
    imported_user, abandoned_user = imported.user_id, abandoned.user_id

    counts = apply_retention(unverified_days=30, withdrawn_days=365)
    db.session.commit()
    db.session.expire_all()

    assert counts["unverified_deleted"] == 1
    assert db.session.get(User, imported_user) is not None
    assert db.session.get(User, abandoned_user) is None
