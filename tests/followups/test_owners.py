"""Owners of champions, organisations and grant applications: who may own, all or nothing, audited, merges."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from champions.core.models import AuditEvent
from champions.followups.services import FollowUpRefused, owner_choices, set_owner
from champions.organisations.services import create_organisation, merge_organisations, plan_organisation_merge
from champions.profiles.models import Champion
from champions.roster import duplicates
from champions.roster.duplicates import plan_merge


def owners(db, model, ids):
    db.session.expire_all()
    return [db.session.get(model, i).owner_id for i in ids]


def events(db) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "owner.changed"))


def test_owner_choices_are_active_staff_and_admins_only(db, make):
    staff, admin = make.user(role="staff"), make.user(role="admin")
    gone = make.user(role="staff")
    gone.active = False
    for role in ("champion", "funder", "reviewer", "applicant"):
        make.user(role=role)
    db.session.commit()
    assert {u.id for u in owner_choices()} == {staff.id, admin.id}


def test_set_owner_changes_each_record_once_and_audits_it(db, make):
    actor, owner = make.user(role="staff"), make.user(role="admin")
    a, b = make.champion(), make.champion()
    assert set_owner("champion", [a.id, b.id, a.id], owner, actor) == 2
    db.session.commit()
    assert owners(db, Champion, [a.id, b.id]) == [owner.id, owner.id]
    assert events(db) == 2
    # Already theirs: nothing changes, nothing is counted or audited.
    assert set_owner("champion", [a.id], owner, actor) == 0
    assert set_owner("champion", [a.id], None, actor) == 1
    db.session.commit()
    assert owners(db, Champion, [a.id, b.id]) == [None, owner.id] and events(db) == 3
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.target_type, event.target_id, event.actor_id) == ("Champion", str(a.id), actor.id)
    assert event.details == {"owner_id": None, "previous_owner_id": owner.id}


@pytest.mark.parametrize("role", ["champion", "funder", "reviewer", "applicant"])
def test_only_staff_may_own_and_a_refusal_changes_nothing(db, make, role):
    actor, owner = make.user(role="staff"), make.user(role="staff")
    a = make.champion()
    set_owner("champion", [a.id], owner, actor)
    db.session.commit()
    with pytest.raises(FollowUpRefused, match="member of staff"):
        set_owner("champion", [a.id], make.user(role=role), actor)
    db.session.rollback()
    assert owners(db, Champion, [a.id]) == [owner.id] and events(db) == 1


def test_an_inactive_staff_member_cannot_own_and_a_non_staff_actor_cannot_assign(db, make):
    actor, owner = make.user(role="staff"), make.user(role="staff")
    owner.active = False
    db.session.commit()
    a = make.champion()
    with pytest.raises(FollowUpRefused):
        set_owner("champion", [a.id], owner, actor)
    with pytest.raises(FollowUpRefused, match="programme team"):
        set_owner("champion", [a.id], actor, make.user(role="champion"))


def test_one_missing_or_merged_record_refuses_them_all(db, make):
    actor, owner = make.user(role="staff"), make.user(role="staff")
    a, b = make.champion(), make.champion()
    with pytest.raises(FollowUpRefused, match="1 champion could not be found"):
        set_owner("champion", [a.id, b.id, 999_999], owner, actor)
    db.session.rollback()
    assert owners(db, Champion, [a.id, b.id]) == [None, None] and events(db) == 0
    c = make.champion()
    duplicates.merge(b, c, actor.id, fingerprint=plan_merge(b, c).fingerprint)
    db.session.commit()
    with pytest.raises(FollowUpRefused, match="1 champion was merged"):
        set_owner("champion", [a.id, c.id], owner, actor)
    db.session.rollback()
    assert owners(db, Champion, [a.id]) == [None]


def test_unknown_kind_is_a_programming_error(db, make):
    staff = make.user(role="staff")
    with pytest.raises(ValueError):
        set_owner("workshop", [1], staff, staff)


def test_organisations_and_applications_have_owners_too(db, make):
    actor, owner = make.user(role="staff"), make.user(role="staff")
    org = create_organisation("Bolton Lads and Dads", type="grassroots")
    application = make.application()
    db.session.commit()
    assert set_owner("organisation", [org.id], owner, actor) == 1
    assert set_owner("application", [application.id], owner, actor) == 1
    db.session.commit()
    db.session.expire_all()
    assert (org.owner_id, application.owner_id) == (owner.id, owner.id)


def test_merging_champions_keeps_the_survivors_owner_or_takes_the_others(db, make):
    actor, mine, theirs = make.user(), make.user(), make.user()
    keep, gone = make.champion(), make.champion()
    set_owner("champion", [gone.id], theirs, actor)
    db.session.commit()
    duplicates.merge(keep, gone, actor.id, fingerprint=plan_merge(keep, gone).fingerprint)
    db.session.commit()
    assert owners(db, Champion, [keep.id]) == [theirs.id]
    other = make.champion()
    set_owner("champion", [keep.id], mine, actor)
    set_owner("champion", [other.id], theirs, actor)
    db.session.commit()
    duplicates.merge(keep, other, actor.id, fingerprint=plan_merge(keep, other).fingerprint)
    db.session.commit()
    assert owners(db, Champion, [keep.id]) == [mine.id]


def test_merging_organisations_keeps_the_survivors_owner_or_takes_the_others(db, make):
    from champions.organisations.models import Organisation

    actor, mine, theirs = make.user(), make.user(), make.user()
    keep = create_organisation("Wigan Walkers", type="grassroots")
    gone = create_organisation("Wigan Walkers Ltd", type="grassroots")
    other = create_organisation("The Wigan Walkers", type="grassroots")
    db.session.commit()
    set_owner("organisation", [gone.id], theirs, actor)
    db.session.commit()
    merge_organisations(keep, gone, actor.id, fingerprint=plan_organisation_merge(keep, gone).fingerprint)
    db.session.commit()
    assert owners(db, Organisation, [keep.id]) == [theirs.id]
    set_owner("organisation", [keep.id], mine, actor)
    set_owner("organisation", [other.id], theirs, actor)
    db.session.commit()
    merge_organisations(keep, other, actor.id, fingerprint=plan_organisation_merge(keep, other).fingerprint)
    db.session.commit()
    assert owners(db, Organisation, [keep.id]) == [mine.id]
