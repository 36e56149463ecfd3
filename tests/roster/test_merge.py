"""Likely duplicates and merging: a preview with every kind of record, nothing lost, the earlier record winning,
the kept record's stage worked out again, the merged-away record read-only and counted nowhere, and refusals
that change nothing."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import Column, ForeignKey, Integer, Table, func, select

from champions.activities.models import Activity
from champions.core import merging
from champions.core.models import AuditEvent
from champions.dashboards.figures import growth, network, onboarding, reach
from champions.extensions import db as _db
from champions.grants.models import ReviewAssignment, Score
from champions.profiles.models import Champion, Stage
from champions.profiles.services import MergedRecord
from champions.roster import duplicates
from champions.roster.duplicates import email_key, likely_duplicates, phone_key, plan_merge
from champions.roster.staff_services import RosterFilters, add_note, count_matches, set_leader, staff_change_stage
from champions.training.models import Pledge, PledgeAcceptance, TrainingCompletion, TrainingResource
from champions.training.onboarding import core_resource_ids
from champions.workshops.models import WorkshopSignup
from tests.roster.race import MERGED, RACES, fail_the_second_move, race_two_merges
from tests.roster.rows import RowMaker, one_row_per_reference, pointing_at
from tests.workshops.helpers import make_workshop

# References that keep pointing at the merged-away record, on purpose. A new one must be added here knowingly.
STAYS = {
    # A change of address belongs to the login it was asked for; closing that login stops its link.
    # A staff member's saved searches are their own shortcuts, kept with the login that saved them.
    # An API token is its holder's, like a session: it stays with the closed login and stops working with it.
    "users": {
        "api_tokens.user_id",
        "audit_events.actor_id",
        "champions.user_id",
        "email_changes.user_id",
        "saved_searches.user_id",
        "user_sessions.user_id",
    },
    "champions": set(),
}


def tables():
    return _db.metadata.tables["champions"], _db.metadata.tables["users"]


def dump(db) -> dict[str, list]:
    """Every row of every table, to show that a refused or failed merge changed nothing."""
    db.session.expire_all()
    return {t.name: sorted(map(repr, db.session.execute(select(t)).all())) for t in _db.metadata.sorted_tables}


def merge(keep, remove, by=None):
    return duplicates.merge(keep, remove, by, fingerprint=plan_merge(keep, remove).fingerprint)


def completed_core_training(db, champion) -> None:
    """Four core courses, each completed by ``champion`` (rows only: the stage is left for the merge to work out)."""
    core = [TrainingResource(title=f"Core {i}", summary="s", format="video", minutes=5, is_core=True) for i in range(4)]
    db.session.add_all(core)
    db.session.flush()
    db.session.add_all(TrainingCompletion(champion_id=champion.id, resource_id=i) for i in core_resource_ids())
    db.session.commit()


def fingerprint_on(page: str) -> str:
    """The fingerprint of the records a merge preview shows, which its form posts back."""
    return re.search(r'name="fingerprint" value="(\w+)"', page).group(1)


def preview_counts(page: str) -> dict[str, int]:
    """The preview's table: each kind of record that will move, and how many."""
    return {k: int(v) for k, v in re.findall(r'<td class="nhsuk-table__cell">([^<]+)</td><td[^>]*>(\d+)</td>', page)}


def test_keys_treat_the_same_address_and_number_alike():
    assert email_key(" Jo.Smith+news@GoogleMail.com ") == email_key("josmith@gmail.com") == "josmith@gmail.com"
    assert email_key("jo.smith@example.org") != email_key("josmith@example.org")
    assert phone_key("+44 (0)7700 900123") == phone_key("07700-900-123") == "07700900123"
    assert phone_key("123") is None


def test_the_duplicates_page_lists_pairs_by_email_name_and_postcode_and_phone(auth, client, make, db):
    a = make.champion(email="jo.smith@gmail.com", first_name="Jo", last_name="Smith", postcode="M1 1AE")
    b = make.champion(email="josmith+x@gmail.com", first_name="Joanne", last_name="Smyth", postcode="M2 2BB")
    c = make.champion(first_name="jo", last_name="SMITH", postcode="m1 1ae")
    d, e = make.champion(first_name="Kim"), make.champion(first_name="Lee")
    d.phone = e.phone = "07700900123"
    db.session.commit()
    pairs = {(p.first.id, p.second.id): p.reasons for p in likely_duplicates()}
    assert pairs[(a.id, b.id)] == ["Same email address"]
    assert pairs[(a.id, c.id)] == ["Same name and postcode"]
    assert pairs[(d.id, e.id)] == ["Same phone number"]
    auth.login_as("staff")
    page = client.get("/staff/duplicates").get_data(as_text=True)
    assert "Same phone number" in page and f"/staff/champions/merge?keep={a.id}&amp;remove={b.id}" in page


# ------------------------------------------------------------------------------------------ every reference


def test_every_reference_to_champions_and_users_is_moved_reconciled_or_declared_to_stay(app):
    for target in tables():
        assert merging.unhandled(target) == [], f"declare in its Feature.merges how {target.name} references merge"
        stays = {r.key for r in merging.references(target) if merging.policy(target, r).kind == "stays"}
        assert stays == STAYS[target.name]


def test_a_new_table_referring_to_champions_is_reported_until_its_feature_declares_a_policy(app):
    champions = tables()[0]
    badges = Table("test_badges", _db.metadata, Column("champion_id", ForeignKey("champions.id"), primary_key=True))
    tokens = Table(
        "test_tokens",
        _db.metadata,
        Column("id", Integer, primary_key=True),
        Column("champion_id", ForeignKey("champions.id")),
    )
    declared = app.extensions["features"].merges
    try:
        assert merging.unhandled(champions) == ["test_badges.champion_id", "test_tokens.champion_id"]
        with pytest.raises(merging.MergeRefused, match="combine test_badges.champion_id, test_tokens.champion_id"):
            merging.plan(champions, 1, 2)
        declared.update(merging.moves("champions", "test_badges.champion_id", "test_tokens.champion_id"))
        assert merging.unhandled(champions) == ["test_badges.champion_id"]  # a plain move would break its key
        assert merging.policy(champions, merging.Reference(tokens.c.champion_id)).kind == "move"
    finally:
        for table in (badges, tokens):
            _db.metadata.remove(table)
            declared.pop(("champions", f"{table.name}.champion_id"), None)


def test_every_declaration_counts(app):
    """Take any one declaration away and the merge no longer knows what to do with that column."""
    policies = app.extensions["features"].merges
    for (target, key), declared in list(policies.items()):
        del policies[(target, key)]
        try:
            assert merging.unhandled(_db.metadata.tables[target]) == [key]
        finally:
            policies[(target, key)] = declared


def test_merge_leaves_no_row_pointing_at_the_merged_away_champion_or_their_login(make, db):
    """A row in every table that refers to champions or users (made from the schema), some held by both."""
    bystander, keep, gone = make.champion(), make.champion(first_name="Keep"), make.champion(first_name="Gone")
    maker = RowMaker({"champions": bystander.id, "users": bystander.user_id})
    champions, users = tables()
    made = {
        **one_row_per_reference(champions, gone.id, maker),
        **one_row_per_reference(users, gone.user_id, maker),
    }
    # The kept record holds a twin of each row a unique rule covers, so every reconciler meets a clash.
    for target, keep_id in ((champions, keep.id), (users, keep.user_id)):
        for ref in merging.references(target):
            if merging.policy(target, ref).kind == "reconcile" and ref.key in made:
                twin = {k: v for k, v in made[ref.key].items() if k != "id"}
                db.session.execute(ref.table.insert().values(**{**twin, ref.column.name: keep_id}))
    db.session.commit()
    missing = {r.key for t in tables() for r in merging.references(t)} - set(made)
    assert missing <= {"champions.user_id"}, f"no row made for {missing}"

    merge(keep, gone)
    db.session.commit()

    left = {**pointing_at(champions, gone.id), **pointing_at(users, gone.user_id)}
    ended = {"user_sessions.user_id"}  # the closed login's sessions are ended, not moved
    assert set(left) == STAYS["users"] - ended, f"still pointing at the merged-away record: {left}"
    assert "user_sessions.user_id" not in pointing_at(users, keep.user_id)
    for target, keep_id in ((champions, keep.id), (users, keep.user_id)):
        held = pointing_at(target, keep_id)
        for ref in merging.references(target):
            if merging.policy(target, ref).kind != "stays" and ref.key in made and ref.table is not target:
                assert held.get(ref.key, 0) >= 1, f"{ref.key} lost in the merge"
    assert db.session.get(Champion, gone.id).merged_into_id == keep.id


def test_the_preview_counts_every_kind_of_record_that_will_move(auth, client, make, db):
    keep, gone = make.champion(), make.champion()
    recruit = make.champion(recruited_by_id=gone.id)
    workshop = make_workshop(db)
    db.session.add(WorkshopSignup(workshop_id=workshop.id, champion_id=gone.id, status="booked"))
    make.activity(gone)
    make.activity(gone)
    db.session.commit()
    plan = plan_merge(keep, gone)
    assert plan.moves["Activities"] == 2 and plan.moves["Workshop signups"] == 1 and plan.moves["Recruits"] == 1
    assert plan.moves["Stage changes"] == 1
    auth.login_as("staff")
    page = client.get(f"/staff/champions/merge?keep={keep.id}&remove={gone.id}").get_data(as_text=True)
    assert preview_counts(page) == plan.moves
    assert _count(db, Activity, Activity.champion_id == gone.id) == 2  # a preview changes nothing
    assert db.session.get(Champion, recruit.id).recruited_by_id == gone.id


# --------------------------------------------------------------------------------------- reconciling clashes


def test_the_earlier_record_wins_where_both_hold_the_same_thing(make, db, clock):
    now = clock.set(datetime(2026, 3, 2, 10, 0))
    keep, gone = make.champion(), make.champion()
    resource = TrainingResource(title="Core", summary="s", format="video", minutes=5, is_core=False)
    pledge = Pledge(version="v-test", text="I pledge")
    db.session.add_all([resource, pledge])
    db.session.flush()
    workshop, other = make_workshop(db), make_workshop(db, title="Other")
    early, late = now - timedelta(days=5), now - timedelta(days=1)
    db.session.add_all(
        [
            TrainingCompletion(champion_id=keep.id, resource_id=resource.id, completed_at=late, reflection="later"),
            TrainingCompletion(champion_id=gone.id, resource_id=resource.id, completed_at=early, reflection="first"),
            PledgeAcceptance(champion_id=keep.id, pledge_id=pledge.id, accepted_at=early),
            PledgeAcceptance(champion_id=gone.id, pledge_id=pledge.id, accepted_at=late),
            WorkshopSignup(workshop_id=workshop.id, champion_id=keep.id, status="booked", created_at=late),
            WorkshopSignup(workshop_id=workshop.id, champion_id=gone.id, status="booked", created_at=early),
            WorkshopSignup(workshop_id=other.id, champion_id=gone.id, status="waiting", created_at=early),
        ]
    )
    db.session.commit()
    merge(keep, gone)
    db.session.commit()
    completions = db.session.scalars(select(TrainingCompletion)).all()
    assert [(c.champion_id, c.reflection) for c in completions] == [(keep.id, "first")]
    accepted = db.session.scalars(select(PledgeAcceptance)).all()
    assert [(a.champion_id, a.accepted_at.date()) for a in accepted] == [(keep.id, early.date())]
    signups = db.session.scalars(select(WorkshopSignup).order_by(WorkshopSignup.workshop_id)).all()
    assert [(s.champion_id, s.workshop_id, s.created_at.date()) for s in signups] == [
        (keep.id, workshop.id, early.date()),
        (keep.id, other.id, early.date()),
    ]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "champion.merged"))
    assert event.details["rows"]["training_completions.champion_id"] == {"moved": 1, "dropped": 1}


def test_recruits_follow_the_kept_record_which_never_recruits_itself(make, db):
    recruiter = make.champion(first_name="Recruiter")
    gone = make.champion(first_name="Gone", recruited_by_id=recruiter.id)
    keep = make.champion(first_name="Keep", recruited_by_id=gone.id)
    recruit = make.champion(first_name="Recruit", recruited_by_id=gone.id)
    merge(keep, gone)
    db.session.commit()
    assert db.session.get(Champion, recruit.id).recruited_by_id == keep.id
    assert db.session.get(Champion, keep.id).recruited_by_id == recruiter.id


# ------------------------------------------------------------------------------------ after the merge


def test_the_kept_record_stage_is_worked_out_from_what_it_now_holds(make, db):
    keep = make.champion(first_name="Keep")  # registered, email not confirmed
    gone = make.champion(first_name="Gone")
    gone.user.email_verified_at = datetime(2026, 1, 1)
    completed_core_training(db, gone)
    assert keep.stage == Stage.REGISTERED.value
    merge(keep, gone)
    db.session.commit()
    keep = db.session.get(Champion, keep.id)
    assert keep.stage == Stage.TRAINED.value
    assert [h.to_stage for h in keep.history][-2:] == ["verified", "trained"]


def test_the_merged_away_record_is_read_only_in_every_route(auth, client, make, db):
    keep, gone = make.champion(), make.champion()
    merge(keep, gone)
    db.session.commit()
    gone = db.session.get(Champion, gone.id)
    for change in (
        lambda: add_note(gone, "hello", None),
        lambda: staff_change_stage(gone, Stage.WITHDRAWN, "test", None),
        lambda: set_leader(gone, True, None),
    ):
        with pytest.raises(MergedRecord, match=f"was merged into champion #{keep.id}"):
            change()
    db.session.rollback()
    auth.login_as("staff")
    before = dump(db)
    for path, data in (
        ("notes", {"body": "A note"}),
        ("stage", {"stage": "withdrawn", "reason": "Test"}),
        ("leader", {"leader": "yes"}),
    ):
        response = client.post(f"/staff/champions/{gone.id}/{path}", data=data)
        assert response.status_code == 409, path
        assert f"Make the change on champion #{keep.id}" in response.get_data(as_text=True)
    after = dump(db)
    assert {k for k in after if after[k] != before[k]} == set()
    page = client.get(f"/staff/champions/{gone.id}").get_data(as_text=True)
    assert "can no longer be changed" in page and "Save note" not in page


def test_the_merged_away_record_is_counted_nowhere(make, db, clock):
    clock.set(datetime(2026, 3, 2, 10, 0))
    recruiter = make.champion()
    people = [make.champion(recruited_by_id=recruiter.id) for _ in range(3)]
    people[0].is_leader = people[1].is_leader = True
    db.session.commit()
    before = _figures()
    merge(people[0], people[1])
    db.session.commit()
    after = _figures()
    assert after["roster"] == before["roster"] - 1
    assert after["headline"] == after["roster"] == 3
    assert after["leaders"] == 1 and after["network"] == (3, 2)
    assert after["boroughs"] == after["roster"] and after["cohorts"] == after["roster"]
    assert after["funnel"] == after["roster"]


def _figures() -> dict:
    today = date(2026, 3, 2)
    headline = growth.headline(today)
    recruitment = network.network()
    return {
        "roster": count_matches(RosterFilters()),
        "headline": headline["champions"],
        "leaders": headline["leaders"],
        "network": (recruitment["champions"], recruitment["recruited"]),
        "boroughs": sum(row["champions"] for row in reach.by_borough()),
        "cohorts": sum(row["joined"] for row in onboarding.cohorts(today)),
        "funnel": onboarding.funnel()["steps"][0]["count"],
    }


# ------------------------------------------------------------------------------------------------ refusals


def test_merging_a_champion_with_themselves_or_an_already_merged_record_is_refused(auth, client, make, db):
    a, b, c = make.champion(), make.champion(), make.champion()
    auth.login_as("staff")
    response = client.post(f"/staff/champions/merge?keep={a.id}&remove={a.id}")
    assert response.status_code == 400 and "cannot be merged with themselves" in response.get_data(as_text=True)
    preview = client.get(f"/staff/champions/merge?keep={a.id}&remove={b.id}").get_data(as_text=True)
    fingerprint = fingerprint_on(preview)
    url = f"/staff/champions/merge?keep={a.id}&remove={b.id}"
    assert client.post(url, data={"fingerprint": fingerprint}).status_code == 302
    before = dump(db)
    for keep, remove in ((c.id, b.id), (b.id, c.id)):
        response = client.post(f"/staff/champions/merge?keep={keep}&remove={remove}", data={"fingerprint": "x"})
        assert response.status_code == 400 and "already been merged" in response.get_data(as_text=True)
    assert dump(db) == before
    assert _count(db, AuditEvent, AuditEvent.action == "champion.merged") == 1


def test_a_stale_or_missing_preview_is_refused_and_changes_nothing(auth, client, make, db):
    keep, gone = make.champion(), make.champion()
    auth.login_as("staff")
    url = f"/staff/champions/merge?keep={keep.id}&remove={gone.id}"
    preview = client.get(url).get_data(as_text=True)
    fingerprint = fingerprint_on(preview)
    make.activity(gone)  # logged after the preview was shown
    before = dump(db)
    for data in ({"fingerprint": fingerprint}, {}):
        response = client.post(url, data=data)
        text = response.get_data(as_text=True)
        assert response.status_code == 400 and "changed since the preview was shown" in text
        assert "Activities" in text  # the fresh preview is shown again
    assert dump(db) == before
    fresh = plan_merge(keep, gone).fingerprint
    gone.phone = "07700900123"  # the record itself edited after the preview
    db.session.commit()
    with pytest.raises(merging.MergeRefused, match="changed since the preview"):
        duplicates.merge(keep, gone, None, fingerprint=fresh)


@pytest.mark.parametrize("where", ["second move", "after every move"])
def test_a_merge_that_fails_half_way_leaves_both_records_as_they_were(make, db, monkeypatch, where):
    keep, gone = make.champion(), make.champion()
    make.activity(gone)
    make.activity(keep)
    make.champion(recruited_by_id=gone.id)
    db.session.commit()
    before = dump(db)

    def fail(*args, **kwargs):
        raise RuntimeError("the database went away")

    if where == "second move":
        fail_the_second_move(monkeypatch)
    else:
        monkeypatch.setattr(duplicates, "_recompute_stage", fail)
    with pytest.raises(RuntimeError):
        merge(db.session.get(Champion, keep.id), db.session.get(Champion, gone.id))
    db.session.commit()  # even committed, the savepoint has undone what was done
    assert dump(db) == before


def _count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


# ------------------------------------------------------------------------------------------ two at once


@pytest.mark.parametrize("race", RACES)
def test_of_two_merges_at_once_one_goes_through_and_the_other_is_refused(app, make, db, monkeypatch, race):
    a, b, c = make.champion(first_name="A"), make.champion(first_name="B"), make.champion(first_name="C")
    make.activity(b)
    outcomes, pairs = race_two_merges(app, monkeypatch, race, (a, b, c), plan_merge, _merge_ids)
    assert outcomes.count(MERGED) == 1, outcomes
    assert "has already been merged into another record" in next(o for o in outcomes if o != MERGED), outcomes
    keep, gone = pairs[outcomes.index(MERGED)]
    db.session.rollback()  # a fresh look at what the other connections committed
    assert db.session.get(Champion, gone.id).merged_into_id == keep.id
    assert db.session.get(Champion, keep.id).merged_into_id is None
    assert db.session.scalars(select(Activity.champion_id)).all() == [keep.id if gone is b else b.id]
    assert _count(db, AuditEvent, AuditEvent.action == "champion.merged") == 1


def _merge_ids(keep_id: int, remove_id: int, fingerprint: str) -> None:
    keep, remove = _db.session.get(Champion, keep_id), _db.session.get(Champion, remove_id)
    duplicates.merge(keep, remove, None, fingerprint=fingerprint)


# ------------------------------------------------------------------------------- what a merge must not lose


def test_a_merge_where_both_submitted_a_review_of_one_application_is_refused(make, db):
    keep, gone = make.champion(), make.champion()
    round_ = make.round()
    application = make.application(round=round_, title="Tea and talk in Tonge")
    criterion = round_.criteria[0]
    reviews = {}
    for champion in (keep, gone):
        review = ReviewAssignment(application_id=application.id, reviewer_id=champion.user_id)
        review.submitted_at = datetime(2026, 3, 2, 10, 0)
        review.scores = [Score(criterion_id=criterion.id, score=4, comment=f"by #{champion.id}")]
        db.session.add(review)
        reviews[champion.id] = review
    db.session.commit()
    before = dump(db)
    with pytest.raises(merging.MergeRefused, match=f"“Tea and talk in Tonge” \\(#{application.id}\\)"):
        merge(keep, gone)
    db.session.rollback()
    assert dump(db) == before
    reviews[keep.id].submitted_at = None  # one review still a draft: the submitted one is kept, with its scores
    db.session.commit()
    merge(db.session.get(Champion, keep.id), db.session.get(Champion, gone.id))
    db.session.commit()
    kept = db.session.scalars(select(ReviewAssignment)).all()
    assert [(r.reviewer_id, [s.comment for s in r.scores]) for r in kept] == [(keep.user_id, [f"by #{gone.id}"])]


def test_a_place_freed_by_a_merge_goes_to_the_waiting_list_and_a_place_beats_a_place_in_the_queue(make, db, clock):
    from champions.core.models import OutboxMessage

    now = clock.set(datetime(2026, 3, 2, 10, 0))
    keep, gone = make.champion(first_name="Keep"), make.champion(first_name="Gone")
    waiting = make.champion(first_name="Waiting", email="waiting@example.org")
    full, small = make_workshop(db, capacity=2, title="Sun safety stall"), make_workshop(db, capacity=1, title="Small")
    db.session.add_all(
        [
            WorkshopSignup(workshop_id=full.id, champion_id=keep.id, status="booked"),
            WorkshopSignup(workshop_id=full.id, champion_id=gone.id, status="booked"),
            WorkshopSignup(workshop_id=full.id, champion_id=waiting.id, status="waiting", queued_at=now),
            WorkshopSignup(workshop_id=small.id, champion_id=keep.id, status="waiting", created_at=now - timedelta(1)),
            WorkshopSignup(workshop_id=small.id, champion_id=gone.id, status="booked", created_at=now),
        ]
    )
    db.session.commit()
    merge(keep, gone)
    db.session.commit()  # the email to the one who moved up is queued after this commit
    db.session.expire_all()
    held = {(s.workshop_id, s.champion_id): s.status for s in db.session.scalars(select(WorkshopSignup))}
    assert held == {(full.id, keep.id): "booked", (full.id, waiting.id): "booked", (small.id, keep.id): "booked"}
    sent = db.session.scalars(select(OutboxMessage)).all()
    assert [(m.to_address, m.subject) for m in sent] == [
        ("waiting@example.org", "You have a place at Sun safety stall")
    ]
