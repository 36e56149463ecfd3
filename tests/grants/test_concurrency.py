"""The round's budget holds when staff approve at the same moment, from many threads at once."""

from __future__ import annotations

import threading

from champions import create_app
from champions.extensions import db as _db
from champions.grants.models import Application
from champions.grants.services import awards, lifecycle
from champions.grants.services.lifecycle import GrantError
from tests.conftest import only_on_postgres, only_on_sqlite

THREADS = 8


def _approve_all_at_once(app, application_ids: list[int], award: int) -> list[str]:
    barrier = threading.Barrier(len(application_ids))
    outcomes: list[str] = []

    def approve(application_id: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                awards.approve(application_id, award, None, None, few_reviews_reason="Urgent")
                _db.session.commit()
                outcomes.append("approved")
            except GrantError as error:
                _db.session.rollback()
                outcomes.append(error.message)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=approve, args=(i,)) for i in application_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return outcomes


def _round_with_applications(make, db):
    # Room for 3 awards of £1,000 in a £3,000 budget, and 8 groups asking at once.
    round_ = make.round(budget_pence=300_000, max_award_pence=100_000, min_award_pence=10_000)
    ids = [
        make.application(round=round_, status="under_review", amount_requested_pence=100_000).id for _ in range(THREADS)
    ]
    db.session.commit()
    return round_, ids


def _check(db, round_, outcomes):
    db.session.expire_all()
    assert outcomes.count("approved") == 3, outcomes
    assert all("left in the round's budget" in o for o in outcomes if o != "approved"), outcomes
    assert lifecycle.awarded_total(round_.id) == 300_000
    statuses = [a.status for a in db.session.query(Application).filter_by(round_id=round_.id)]
    assert statuses.count("approved") == 3 and statuses.count("under_review") == THREADS - 3


def test_concurrent_approvals_never_exceed_the_budget_on_postgresql(app, make, db):
    only_on_postgres(app)
    round_, ids = _round_with_applications(make, db)
    _check(db, round_, _approve_all_at_once(app, ids, 100_000))


def test_concurrent_approvals_never_exceed_the_budget_on_sqlite(app, make, db):
    only_on_sqlite(app)
    round_, ids = _round_with_applications(make, db)
    # The embedded stack's own setting: immediate transactions, so writers queue for the lock.
    serialised = create_app("testing", SQLITE_IMMEDIATE_TRANSACTIONS=True)
    try:
        _check(db, round_, _approve_all_at_once(serialised, ids, 100_000))
    finally:
        with serialised.app_context():
            _db.engine.dispose()
        app.extensions["celery"].set_default()
