"""bulk_insert: COPY on PostgreSQL, one multi-row INSERT elsewhere; the same rows either way."""

from __future__ import annotations

from sqlalchemy import func, select

from champions.accounts.models import User
from champions.core.db import bulk_insert


def test_rows_get_their_python_defaults_and_ids_come_back_in_order(db, make):
    make.user(email="before@example.org")  # the sequence has moved on: ids are not simply 1..n
    db.session.commit()
    rows = [{"email": f"bulk{i}@example.org", "password_hash": "!x"} for i in range(7)]
    ids = bulk_insert(db.session, User.__table__, rows, return_ids=True)
    db.session.commit()
    assert len(set(ids)) == 7
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
    assert [users[i].email for i in ids] == [r["email"] for r in rows]
    for user in users.values():
        assert user.role == "champion" and user.active is True and user.session_version == 1
        assert user.created_at is not None
    assert bulk_insert(db.session, User.__table__, []) == []


def test_rolled_back_rows_are_gone(db):
    bulk_insert(db.session, User.__table__, [{"email": "gone@example.org", "password_hash": "!x"}], return_ids=True)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_json_values_and_json_defaults_are_stored_as_json(db):
    from champions.roster.models import ImportJob

    row = {
        "filename": "f.csv",
        "content": "Email\n",
        "encoding": "utf-8",
        "source": "Partner",
        "lawful_basis": "consent",
        "headers": ["Email", "Name"],
        "mapping": {"email": "Email"},
    }
    (job_id,) = bulk_insert(db.session, ImportJob.__table__, [row], return_ids=True)
    db.session.commit()
    job = db.session.get(ImportJob, job_id)
    assert job.headers == ["Email", "Name"] and job.mapping == {"email": "Email"}
    assert job.counts == {} and job.status == "waiting" and job.created_at is not None  # filled-in defaults


def test_rows_with_unknown_or_uneven_columns_are_refused_and_nothing_is_written(db):
    import pytest

    with pytest.raises(ValueError, match="same columns"):
        bulk_insert(db.session, User.__table__, [{"email": "a@example.org", "password_hash": "!x", "colour": "red"}])
    with pytest.raises(ValueError, match="same columns"):
        bulk_insert(
            db.session,
            User.__table__,
            [{"email": "a@example.org", "password_hash": "!x"}, {"email": "b@example.org"}],
        )
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(User)) == 0
