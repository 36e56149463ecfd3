"""Acting on many champions at once from the roster: stage, tag, workshop. All or nothing, confirmed, audited."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from champions.core.db import now_utc
from champions.core.models import AuditEvent
from champions.privacy.services import erase
from champions.profiles.models import Champion, Stage, StageChange
from champions.roster import bulk, staff_services
from champions.roster.models import Tag, champion_tags
from champions.workshops.models import WorkshopSignup
from tests.workshops.helpers import make_workshop


def confirm_token(response) -> str:
    found = re.search(r'name="checked" value="([0-9a-f]+)"', response.get_data(as_text=True))
    assert found, response.get_data(as_text=True)[:3000]
    return found.group(1)


def text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def stages(db, ids) -> list[str]:
    db.session.expire_all()
    return [db.session.get(Champion, i).stage for i in ids]


def bulk_events(db, action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_change_stage_of_all_that_match_a_filter_after_confirming_the_count(auth, client, make, db):
    wigan = [make.champion(first_name=f"W{i}", borough_code="wigan") for i in range(3)]
    bolton = make.champion(first_name="Bo", borough_code="bolton")
    wigan[0].stage = Stage.ACTIVE.value
    db.session.commit()
    staff = auth.login_as("staff")
    form = {"scope": "all", "borough": "wigan", "action": "stage", "new_stage": "active", "reason": "Met at the fair"}

    shown = client.get("/staff/champions/bulk", query_string={"scope": "all", "borough": "wigan", "action": "stage"})
    assert shown.status_code == 200 and "3 champions selected: all that match the filter" in text(shown)
    preview = client.post("/staff/champions/bulk", data=form)
    assert "The stage will change to Active for 2 champions. 1 champion is already Active." in text(preview), text(
        preview
    )[-4000:]
    assert stages(db, [c.id for c in wigan]) == ["active", "registered", "registered"]  # nothing yet

    done = client.post("/staff/champions/bulk", data=form | {"checked": confirm_token(preview)})
    assert done.status_code == 302 and "borough=wigan" in done.location
    assert "Stage changed for 2 champions. 1 champion is already Active." in text(client.get(done.location))
    assert stages(db, [c.id for c in wigan]) == ["active"] * 3
    assert stages(db, [bolton.id]) == ["registered"]
    of_second = select(StageChange).where(StageChange.champion_id == wigan[1].id)
    history = db.session.scalars(of_second.order_by(StageChange.id)).all()
    assert [(h.from_stage, h.to_stage, h.reason, h.changed_by_id) for h in history][-1] == (
        "registered",
        "active",
        "Met at the fair",
        staff.id,
    )
    (event,) = bulk_events(db, "champions.bulk_stage_changed")
    assert event.actor_id == staff.id
    assert event.details["count"] == 2 and event.details["ids"] == [wigan[1].id, wigan[2].id]
    assert event.details["chosen"] == "filter" and "borough" in event.details["filters"]


def test_one_record_that_cannot_change_refuses_the_whole_batch_naming_it(auth, client, make, db):
    keep = [make.champion(first_name=f"Keep{i}") for i in range(3)]
    gone = make.champion(first_name="Gone", last_name="Person")
    erase(gone.user, reason="asked to be forgotten")
    db.session.commit()
    auth.login_as("staff")
    ids = [c.id for c in keep] + [gone.id]
    form = {"id": ids, "action": "stage", "new_stage": "active", "reason": "Busy"}
    response = client.post("/staff/champions/bulk", data=form)
    assert response.status_code == 400
    assert f"(#{gone.id}, erased)" in text(response) and "Nothing was changed" in text(response)
    assert stages(db, [c.id for c in keep]) == ["registered"] * 3
    assert bulk_events(db, "champions.bulk_stage_changed") == []


def test_a_failure_while_applying_rolls_back_every_record(app, make, db, monkeypatch):
    champions = [make.champion(first_name=f"C{i}") for i in range(4)]
    tagged_before = db.session.scalar(select(func.count()).select_from(champion_tags))
    selection = bulk.Selection([c.id for c in champions])
    plan = bulk.plan_stage(selection, "active", "Training day")
    real_record = bulk.audit.record

    def fail_after_the_updates(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(bulk.audit, "record", fail_after_the_updates)
    with pytest.raises(RuntimeError):
        bulk.run(plan, plan.fingerprint, by_user_id=None)
    db.session.rollback()
    monkeypatch.setattr(bulk.audit, "record", real_record)
    assert stages(db, [c.id for c in champions]) == ["registered"] * 4
    assert db.session.scalar(select(func.count()).select_from(StageChange).where(StageChange.to_stage == "active")) == 0
    assert db.session.scalar(select(func.count()).select_from(champion_tags)) == tagged_before


def test_a_confirmation_for_other_records_is_asked_again_not_applied(auth, client, make, db):
    first = make.champion(first_name="First", borough_code="wigan")
    db.session.commit()
    auth.login_as("staff")
    form = {"scope": "all", "borough": "wigan", "action": "stage", "new_stage": "trained", "reason": "Course"}
    token = confirm_token(client.post("/staff/champions/bulk", data=form))
    second = make.champion(first_name="Second", borough_code="wigan")  # matches the filter since the count was shown
    db.session.commit()
    response = client.post("/staff/champions/bulk", data=form | {"checked": token})
    assert response.status_code == 409
    assert "different from what you confirmed" in text(response) and "for 2 champions" in text(response)
    assert stages(db, [first.id, second.id]) == ["registered", "registered"]


def test_add_a_tag_new_or_existing_whatever_its_case_then_filter_and_show_it(auth, client, make, db):
    a, b, c = (make.champion(first_name=n) for n in ("Ann", "Ben", "Cat"))
    db.session.commit()
    staff = auth.login_as("staff")
    form = {"id": [a.id, b.id], "action": "tag", "tag_name": "  Walking   group "}
    preview = client.post("/staff/champions/bulk", data=form)
    assert "The tag “Walking group” (a new tag) will be added to 2 champions." in text(preview)
    assert client.post("/staff/champions/bulk", data=form | {"checked": confirm_token(preview)}).status_code == 302
    again = {"id": [b.id, c.id], "action": "tag", "tag_name": "WALKING GROUP"}
    preview = client.post("/staff/champions/bulk", data=again)
    assert "The tag “Walking group” will be added to 1 champion. 1 champion already has it." in text(preview)
    client.post("/staff/champions/bulk", data=again | {"checked": confirm_token(preview)})

    (tag,) = db.session.scalars(select(Tag)).all()
    assert tag.name == "Walking group" and tag.created_by_id == staff.id
    page = client.get(f"/staff/champions?tag={tag.id}")
    assert "3 champions match" in text(page) and text(page).count(">Walking group</a>") == 3
    assert "1 champion matches" in text(client.get(f"/staff/champions?tag={tag.id}&q=Cat"))
    assert "Walking group" in text(client.get(f"/staff/champions/{a.id}"))
    events = bulk_events(db, "champions.bulk_tagged")
    assert [(e.details["count"], e.details["ids"]) for e in events] == [(2, [a.id, b.id]), (1, [c.id])]


def test_staff_remove_a_tag_from_one_champion(auth, client, make, db):
    champion = make.champion()
    tag = bulk.tag_or_new("Spoke at the mosque open day", None)
    db.session.execute(champion_tags.insert().values(champion_id=champion.id, tag_id=tag.id, added_at=now_utc()))
    db.session.commit()
    auth.login_as("staff")
    response = client.post(f"/staff/champions/{champion.id}/tags/{tag.id}/remove")
    assert response.status_code == 302
    assert staff_services.tags_of([champion.id]) == {}
    assert bulk_events(db, "champion.tag_removed")[0].target_id == str(champion.id)


def test_the_roster_export_lists_each_champions_tags(app, make, db):
    from champions.roster.exporter import build, start_export
    from champions.roster.staff_services import parse_filters

    tagged, plain = make.champion(first_name="Tagged"), make.champion(first_name="Plain")
    staff = make.user(role="staff")
    for name in ("Walkers", "Bolton fair"):
        tag = bulk.tag_or_new(name, None)
        db.session.execute(champion_tags.insert().values(champion_id=tagged.id, tag_id=tag.id, added_at=now_utc()))
    job = start_export(parse_filters({}), include_special=False, by_user=staff)
    list(build(job))
    lines = job.content.splitlines()
    header = lines[0].split(",")
    rows = {line.split(",")[0]: line.split(",") for line in lines[1:]}
    assert rows[str(tagged.id)][header.index("tags")] == "Bolton fair; Walkers"
    assert rows[str(plain.id)][header.index("tags")] == ""


def test_add_to_a_workshop_fills_the_places_then_the_waiting_list_refusing_withdrawn(auth, client, make, db):
    workshop = make_workshop(db, capacity=2)
    people = [make.champion(first_name=f"P{i}") for i in range(3)]
    withdrawn = make.champion(first_name="Left", last_name="Early")
    withdrawn.stage = Stage.WITHDRAWN.value
    db.session.commit()
    auth.login_as("staff")
    form = {"id": [p.id for p in people] + [withdrawn.id], "action": "workshop", "workshop": workshop.id}
    refused = client.post("/staff/champions/bulk", data=form | {"when_full": "waiting"})
    assert refused.status_code == 400 and f"Left Early (#{withdrawn.id}, withdrawn from the programme)" in text(refused)
    assert db.session.scalar(select(func.count()).select_from(WorkshopSignup)) == 0

    form["id"] = [p.id for p in people]
    preview = client.post("/staff/champions/bulk", data=form | {"when_full": "waiting"})
    assert "2 with a place and 1 champion on the waiting list (2 places left)" in text(preview)
    token = confirm_token(preview)
    assert (
        client.post("/staff/champions/bulk", data=form | {"when_full": "waiting", "checked": token}).status_code == 302
    )
    signups = db.session.scalars(select(WorkshopSignup).order_by(WorkshopSignup.champion_id)).all()
    assert [s.status for s in signups] == ["booked", "booked", "waiting"]
    (event,) = bulk_events(db, "workshop.champions_added_in_bulk")
    assert (event.details["count"], event.details["booked"], event.details["waiting"]) == (3, 2, 1)
    assert event.details["ids"] == [p.id for p in people] and event.target_id == str(workshop.id)


def test_add_to_a_workshop_over_capacity_when_asked_and_never_twice(auth, client, make, db):
    workshop = make_workshop(db, capacity=1)
    people = [make.champion(first_name=f"P{i}") for i in range(2)]
    db.session.commit()
    auth.login_as("staff")
    first = {"id": [people[0].id], "action": "workshop", "workshop": workshop.id, "when_full": "over"}
    client.post(
        "/staff/champions/bulk",
        data=first | {"checked": confirm_token(client.post("/staff/champions/bulk", data=first))},
    )
    both = first | {"id": [p.id for p in people]}
    preview = client.post("/staff/champions/bulk", data=both)
    assert "1 champion will be added" in text(preview) and "1 champion already has a place or is waiting" in text(
        preview
    )
    assert "over its capacity of 1" in text(preview)
    client.post("/staff/champions/bulk", data=both | {"checked": confirm_token(preview)})
    signups = db.session.scalars(select(WorkshopSignup).order_by(WorkshopSignup.champion_id)).all()
    assert [(s.status, s.capacity_override) for s in signups] == [("booked", False), ("booked", True)]


def test_a_past_or_cancelled_workshop_is_refused(auth, client, make, db):
    past = make_workshop(db, starts=now_utc() - timedelta(days=2))
    cancelled = make_workshop(db, title="Called off")
    cancelled.cancelled_at = now_utc()
    champion = make.champion()
    db.session.commit()
    auth.login_as("staff")
    for workshop, why in ((past, "has already started"), (cancelled, "was cancelled")):
        form = {"id": [champion.id], "action": "workshop", "workshop": workshop.id, "when_full": "waiting"}
        response = client.post("/staff/champions/bulk", data=form)
        assert response.status_code == 400 and why in text(response), why
        assert why in str(
            pytest.raises(
                bulk.BulkRefused, bulk.plan_workshop, bulk.Selection([champion.id]), workshop.id, "waiting"
            ).value
        )
    assert db.session.scalar(select(func.count()).select_from(WorkshopSignup)) == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "stage", "new_stage": "active", "reason": "x"}, "Select at least one champion"),
        ({"id": ["1", "abc"], "action": "stage", "new_stage": "active", "reason": "x"}, "not records we hold"),
        ({"id": ["999999"], "action": "stage", "new_stage": "active", "reason": "x"}, "not records we hold"),
        ({"id": ["99999999999999999999"], "action": "tag", "tag_name": "x"}, "not records we hold"),
        ({"id": "{me}", "action": "stage", "new_stage": "superhero", "reason": "x"}, "Select the new stage"),
        ({"id": "{me}", "action": "stage", "new_stage": "active", "reason": ""}, "Enter the reason for the change"),
        ({"id": "{me}", "action": "tag", "tag_name": "bad\x00tag"}, "Remove the control characters"),
        ({"id": "{me}", "action": "tag", "tag_name": "x" * 100_000}, "60 characters or fewer"),
        ({"id": "{me}", "action": "tag", "tag_name": "   "}, "Enter a tag"),
        ({"scope": "all", "registered_from": "31/31/2020", "action": "tag", "tag_name": "x"}, "must be a real date"),
        ({"id": "{me}", "action": "workshop", "workshop": "12x", "when_full": "waiting"}, "Choose a workshop"),
        ({"id": "{me}", "action": "workshop", "workshop": "", "when_full": "sideways"}, "Choose what happens"),
    ],
)
def test_bad_input_is_explained_and_changes_nothing(auth, client, make, db, data, message):
    me = make.champion(first_name="Solo")
    db.session.commit()
    auth.login_as("staff")
    data = {k: (str(me.id) if v == "{me}" else v) for k, v in data.items()}
    response = client.post("/staff/champions/bulk", data=data)
    assert response.status_code == 400
    assert message in text(response)
    assert stages(db, [me.id]) == ["registered"]
    assert db.session.scalar(select(func.count()).select_from(Tag)) == 0


def test_a_merged_record_in_the_selection_is_named_and_nothing_changes(auth, client, make, db):
    keep, merged = make.champion(first_name="Kept"), make.champion(first_name="Merged", last_name="Away")
    merged.merged_into_id = keep.id
    db.session.commit()
    auth.login_as("staff")
    response = client.post(
        "/staff/champions/bulk", data={"id": [keep.id, merged.id], "action": "tag", "tag_name": "Fair"}
    )
    assert response.status_code == 400 and f"Merged Away (#{merged.id}, merged into another record)" in text(response)
    assert db.session.scalar(select(func.count()).select_from(Tag)) == 0


def test_too_many_for_one_batch_says_how_many_and_what_to_do(auth, client, make, db, monkeypatch):
    for i in range(4):
        make.champion(first_name=f"M{i}")
    db.session.commit()
    monkeypatch.setattr(bulk, "MAX_BATCH", 3)
    auth.login_as("staff")
    response = client.get("/staff/champions/bulk", query_string={"scope": "all", "action": "stage"})
    assert response.status_code == 400
    assert "4 champions are selected, and at most 3 can be changed at once" in text(response)


def test_the_roster_offers_the_actions_without_javascript(auth, client, make, db):
    champion = make.champion(first_name="Boxed")
    db.session.commit()
    auth.login_as("staff")
    page = text(client.get("/staff/champions?stage=registered&q=boxed"))
    assert 'form="bulk"' in page and 'id="bulk"' in page
    page = text(client.get("/staff/champions"))
    assert f'name="id" value="{champion.id}" id="pick-{champion.id}" form="bulk"' in page
    assert 'name="scope" value="all">Continue with all 1 that match' in page
    chooser = client.get("/staff/champions/bulk", query_string={"id": champion.id, "action": "nonsense"})
    assert chooser.status_code == 200 and "What do you want to do?" in text(chooser)


def test_merging_two_champions_moves_the_tags_to_the_survivor_once_each(make, db):
    from champions.roster import duplicates

    keep, gone = make.champion(first_name="Keep"), make.champion(first_name="Gone")
    shared, own = bulk.tag_or_new("Bolton fair", None), bulk.tag_or_new("Walkers", None)
    rows = [(keep.id, shared.id), (gone.id, shared.id), (gone.id, own.id)]
    for champion_id, tag_id in rows:
        db.session.execute(champion_tags.insert().values(champion_id=champion_id, tag_id=tag_id, added_at=now_utc()))
    db.session.commit()
    duplicates.merge(keep, gone, None, fingerprint=duplicates.plan_merge(keep, gone).fingerprint)
    db.session.commit()
    tags = staff_services.tags_of([keep.id, gone.id])
    assert [t.name for t in tags[keep.id]] == ["Bolton fair", "Walkers"] and gone.id not in tags


def test_erasing_a_champion_removes_their_tags(make, db):
    from champions.privacy.services import erase

    champion = make.champion()
    tag = bulk.tag_or_new("Walkers", None)
    db.session.execute(champion_tags.insert().values(champion_id=champion.id, tag_id=tag.id, added_at=now_utc()))
    db.session.commit()
    erase(champion.user)
    db.session.commit()
    assert staff_services.tags_of([champion.id]) == {}
    assert db.session.get(Tag, tag.id) is not None  # the tag itself stays for the others who have it


def test_assign_an_owner_to_the_ticked_champions_all_or_nothing(auth, client, make, db):
    owner = make.user(role="staff", email="olu@example.org")
    funder = make.user(role="funder")
    a, b = make.champion(first_name="Ann"), make.champion(first_name="Ben")
    b.owner_id = owner.id
    db.session.commit()
    staff = auth.login_as("staff")
    form = {"id": [a.id, b.id], "action": "owner", "owner": str(owner.id)}
    preview = client.post("/staff/champions/bulk", data=form)
    assert "1 champion will be owned by olu@example.org. 1 champion already has that owner." in text(preview)
    done = client.post("/staff/champions/bulk", data=form | {"checked": confirm_token(preview)})
    assert "Owner changed for 1 champion" in text(client.get(done.location))
    db.session.expire_all()
    assert (db.session.get(Champion, a.id).owner_id, db.session.get(Champion, b.id).owner_id) == (owner.id, owner.id)
    (event,) = bulk_events(db, "champions.bulk_owner_assigned")
    assert (event.actor_id, event.details["ids"], event.details["owner_id"]) == (staff.id, [a.id], owner.id)

    refused = client.post("/staff/champions/bulk", data=form | {"owner": str(funder.id)})
    assert refused.status_code == 400 and "Choose a member of staff from the list" in text(refused)
    cleared = {"id": [a.id, b.id], "action": "owner", "owner": "none"}
    client.post(
        "/staff/champions/bulk",
        data=cleared | {"checked": confirm_token(client.post("/staff/champions/bulk", data=cleared))},
    )
    db.session.expire_all()
    assert db.session.get(Champion, a.id).owner_id is None and db.session.get(Champion, b.id).owner_id is None


@pytest.mark.parametrize("value", ["", "a\x00b", "x" * 100_000, "100000000000000000000000", "-1", "\u202eevil 🎉"])
def test_hostile_query_values_on_the_first_step_are_refused_not_a_500(auth, client, make, db, value):
    make.champion()
    db.session.commit()
    auth.login_as("staff")
    for name in ("id", "scope", "action", "registered_from", "tag", "q"):
        response = client.get("/staff/champions/bulk", query_string={name: value, "id": "1"})
        assert response.status_code in (200, 400), (name, response.status_code)
    response = client.get("/staff/champions/bulk", query_string={"scope": "all", "q": value, "action": "tag"})
    assert response.status_code in (200, 400)
