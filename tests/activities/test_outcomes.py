"""What came of an activity: recorded with it in a few taps, checked field by field, shown back with the champion's
own totals, and put back with the activity when a deletion is undone."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import func, select

from champions.activities import outcomes
from champions.activities.models import Activity, ActivityOutcome, DeletedActivity, OutcomeKind
from champions.activities.outcomes import OutcomeInput, OutcomeProblems, check_outcomes
from champions.activities.services import log_activity
from champions.core.db import now_utc
from tests.factories import PASSWORD

DAY = "2026-03-19"
STALL = {
    "type": "stall_or_event",
    "occurred_on": DAY,
    "borough_code": "wigan",
    "topic_code": "screening",
    "people_reached": "20",
    "notes": "Stall at the market",
}
NAMES = {"bowel_screening": "Bowel cancer screening", "stop_smoking": "Stop-smoking service"}


@pytest.fixture
def champion(client, make, clock):
    clock.set(datetime(2026, 3, 20, 12, 0))
    champion = make.champion()
    assert client.post("/login", data={"email": champion.user.email, "password": PASSWORD}).status_code == 302
    return champion


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def saved(db) -> list[tuple]:
    query = select(
        ActivityOutcome.outcome_code,
        ActivityOutcome.signposted,
        ActivityOutcome.said_would_act,
        ActivityOutcome.did_act,
    )
    return sorted(db.session.execute(query).all())


# ---- The rules, called directly --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("activity_type", "reached", "item", "field", "message"),
    [
        (
            "conversation",
            5,
            OutcomeInput("bowel_screening", signposted=6),
            "signposted-bowel_screening",
            "People signposted to Bowel cancer screening cannot be more than the 5 people you reached",
        ),
        (
            "conversation",
            1,
            OutcomeInput("bowel_screening", signposted=2),
            "signposted-bowel_screening",
            "cannot be more than the 1 person you reached",
        ),
        (
            "conversation",
            5,
            OutcomeInput("bowel_screening", signposted=0),
            "signposted-bowel_screening",
            "People signposted to Bowel cancer screening must be a number from 1 to 10,000",
        ),
        (
            "conversation",
            5,
            OutcomeInput("bowel_screening", signposted=-3),
            "signposted-bowel_screening",
            "must be a number from 1 to 10,000",
        ),
        (
            "conversation",
            0,
            OutcomeInput("bowel_screening"),
            "signposted-bowel_screening",
            "You reached 0 people, so nobody was signposted to Bowel cancer screening",
        ),
        (
            "conversation",
            5,
            OutcomeInput("bowel_screening", said_would_act=6),
            "said-bowel_screening",
            "Said they would act cannot be more than the 5 people signposted to Bowel cancer screening",
        ),
        (
            "conversation",
            5,
            OutcomeInput("bowel_screening", signposted=2, said_would_act=3),
            "said-bowel_screening",
            "cannot be more than the 2 people signposted",
        ),
        (
            "conversation",
            5,
            OutcomeInput("bowel_screening", said_would_act=-1),
            "said-bowel_screening",
            "Said they would act (Bowel cancer screening) must be a number from 0 to 10,000",
        ),
        (
            "conversation",
            5,
            OutcomeInput("bowel_screening", said_would_act=2, did_act=3),
            "did-bowel_screening",
            "Did act cannot be more than the 2 people who said they would act (Bowel cancer screening)",
        ),
        (
            "conversation",
            5,
            OutcomeInput("bowel_screening", did_act=1),
            "did-bowel_screening",
            "cannot be more than the 0 people who said they would act",
        ),
        (
            "conversation",
            5,
            OutcomeInput("bowel_screening", did_act=-1),
            "did-bowel_screening",
            "must be a number from 0 to 10,000, or blank if you do not know",
        ),
        ("conversation", 5, OutcomeInput("juggling"), "outcome", "Choose what people were signposted to from the list"),
        (
            "social_media",
            5,
            OutcomeInput("bowel_screening"),
            "outcome",
            "There is nothing to record for a social media post: untick what people were signposted to",
        ),
        ("training_others", 5, OutcomeInput("bowel_screening"), "outcome", "There is nothing to record for training"),
    ],
)
def test_each_rule_is_a_message_by_its_field(activity_type, reached, item, field, message):
    problems = check_outcomes(activity_type, reached, [item], NAMES)
    assert message in problems[field], problems
    assert len(problems) == 1, problems


def test_blanks_mean_everyone_reached_and_none_said_so_and_good_counts_pass():
    everyone = OutcomeInput("bowel_screening")
    some = OutcomeInput("stop_smoking", signposted=3, said_would_act=3, did_act=1)
    for activity_type in ("conversation", "stall_or_event", "group_talk", "signposting"):
        assert check_outcomes(activity_type, 4, [everyone, some], NAMES) == {}
    assert check_outcomes("social_media", 4, [], NAMES) == {}  # nothing chosen: nothing to check


def test_the_service_refuses_what_the_rules_refuse_before_writing_anything(db, make):
    champion = make.champion()
    data = {**STALL, "occurred_on": datetime(2026, 3, 19).date(), "people_reached": 2, "type": "social_media"}
    with pytest.raises(OutcomeProblems) as refused:
        log_activity(champion, data, [OutcomeInput("bowel_screening")])
    assert "outcome" in refused.value.problems
    with pytest.raises(OutcomeProblems):
        log_activity(champion, {**data, "type": "conversation"}, [OutcomeInput("bowel_screening", signposted=3)])
    db.session.rollback()
    assert count(db, Activity) == 0 and count(db, ActivityOutcome) == 0


# ---- Logging an activity with what came of it --------------------------------------------------------------------


def test_ticking_one_box_records_everyone_reached_as_signposted(client, db, champion):
    page = client.get("/me/activities/new").get_data(as_text=True)
    # Every row's numbers are in the page (shown without script), inside the box's conditional reveal.
    for code in NAMES:
        assert f'name="outcome" type="checkbox" value="{code}"' in page
        assert f'id="signposted-{code}" name="signposted-{code}"' in page
        assert f'id="said-{code}" name="said-{code}"' in page
    assert 'data-aria-controls="conditional-outcome"' in page and "did-bowel_screening" not in page
    assert "Leave blank if it was everyone you reached" in page
    assert "Leave blank if nobody said so, or you do not know" in page
    assert client.post("/me/activities/new", data={**STALL, "outcome": "bowel_screening"}).status_code == 302
    assert saved(db) == [("bowel_screening", 20, 0, None)]
    outcome = db.session.scalar(select(ActivityOutcome))
    assert outcome.champion_id == champion.id and outcome.activity_id == db.session.scalar(select(Activity.id))


def test_several_outcomes_with_their_own_numbers(client, db, champion):
    data = {
        **STALL,
        "outcome": ["bowel_screening", "stop_smoking"],
        "signposted-bowel_screening": "12",
        "said-bowel_screening": "5",
        "signposted-stop_smoking": " 3 ",
        "said-stop_smoking": "",
        "signposted-breast_screening": "9",  # typed, then unticked: ignored
    }
    assert client.post("/me/activities/new", data=data).status_code == 302
    assert saved(db) == [("bowel_screening", 12, 5, None), ("stop_smoking", 3, 0, None)]


def test_an_activity_without_outcomes_logs_as_before(client, db, champion):
    assert client.post("/me/activities/new", data={**STALL, "type": "social_media"}).status_code == 302
    assert count(db, Activity) == 1 and count(db, ActivityOutcome) == 0


@pytest.mark.parametrize(
    ("fields", "href", "message"),
    [
        (
            {"signposted-bowel_screening": "21"},
            "signposted-bowel_screening",
            "People signposted to Bowel cancer screening cannot be more than the 20 people you reached",
        ),
        ({"signposted-bowel_screening": "-1"}, "signposted-bowel_screening", "must be a number from 1 to 10,000"),
        ({"signposted-bowel_screening": "0"}, "signposted-bowel_screening", "must be a number from 1 to 10,000"),
        (
            {"signposted-bowel_screening": "three"},
            "signposted-bowel_screening",
            "Enter the people signposted to Bowel cancer screening as a whole number, like 3, or leave it blank",
        ),
        ({"signposted-bowel_screening": "2.5"}, "signposted-bowel_screening", "as a whole number"),
        ({"signposted-bowel_screening": "1\x00"}, "signposted-bowel_screening", "as a whole number"),
        ({"signposted-bowel_screening": "\u0663"}, "signposted-bowel_screening", "as a whole number"),
        ({"signposted-bowel_screening": "9" * 100_000}, "signposted-bowel_screening", "from 1 to 10,000"),
        ({"signposted-bowel_screening": "x" * 100_000}, "signposted-bowel_screening", "as a whole number"),
        (
            {"said-bowel_screening": "21"},
            "said-bowel_screening",
            "Said they would act cannot be more than the 20 people signposted to Bowel cancer screening",
        ),
        ({"said-bowel_screening": "-100000000000000000000000"}, "said-bowel_screening", "from 0 to 10,000"),
        ({"said-bowel_screening": "1e308"}, "said-bowel_screening", "as a whole number"),
        ({"outcome": ["bowel_screening", "not_a_kind"]}, "outcome", "Choose what people were signposted to"),
        ({"outcome": "a\x00b"}, "outcome", "Choose what people were signposted to from the list"),
        ({"outcome": "x" * 100_000}, "outcome", "Choose what people were signposted to from the list"),
        ({"type": "social_media"}, "outcome", "There is nothing to record for a social media post"),
        ({"people_reached": "0"}, "signposted-bowel_screening", "You reached 0 people, so nobody was signposted"),
    ],
)
def test_bad_outcomes_are_explained_by_the_field_and_save_nothing(client, db, champion, fields, href, message):
    data = {**STALL, "outcome": "bowel_screening", **fields}
    response = client.post("/me/activities/new", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "There is a problem" in html
    assert html.count(message) == 2, message  # in the summary and by the field
    assert f'href="#{href}"' in html and f'id="{href}' in html
    assert "Stall at the market" in html  # what was typed comes back
    assert count(db, Activity) == 0 and count(db, ActivityOutcome) == 0


def test_a_refused_form_keeps_the_boxes_ticked_and_the_numbers_typed(client, db, champion):
    data = {**STALL, "outcome": "stop_smoking", "signposted-stop_smoking": "30", "said-stop_smoking": "2"}
    html = client.post("/me/activities/new", data=data).get_data(as_text=True)
    assert re.search(r'value="stop_smoking"\s+checked', html)
    assert 'name="signposted-stop_smoking" type="number" value="30"' in html
    assert 'name="said-stop_smoking" type="number" value="2"' in html


def test_a_retired_kind_is_not_offered_and_is_refused_when_posted_by_hand(client, db, champion):
    db.session.get(OutcomeKind, "hpv_vaccination").retired_at = now_utc()
    db.session.commit()
    assert 'value="hpv_vaccination"' not in client.get("/me/activities/new").get_data(as_text=True)
    response = client.post("/me/activities/new", data={**STALL, "outcome": "hpv_vaccination"})
    assert response.status_code == 400 and "Choose what people were signposted to from the list" in response.text
    assert count(db, Activity) == 0


def test_a_kind_retired_between_the_check_and_the_save_is_refused_by_the_field(client, db, champion, monkeypatch):
    """Another request retires the kind after the page's check passed: the service refuses, the page says why by
    the field (400), and nothing is kept."""
    real_check = outcomes.check_outcomes

    def check_then_retire(*args, **kwargs):
        problems = real_check(*args, **kwargs)
        db.session.get(OutcomeKind, "hpv_vaccination").retired_at = now_utc()
        return problems

    monkeypatch.setattr(outcomes, "check_outcomes", check_then_retire)
    response = client.post("/me/activities/new", data={**STALL, "outcome": "hpv_vaccination"})
    assert response.status_code == 400 and "Choose what people were signposted to from the list" in response.text
    assert count(db, Activity) == 0


# ---- Later: who acted; changing, deleting and undoing -------------------------------------------------------------


def logged(client, db, **fields):
    assert client.post("/me/activities/new", data={**STALL, **fields}).status_code == 302
    return db.session.scalar(select(Activity).order_by(Activity.id.desc()))


def edit_data(**fields):
    return {**STALL, "outcome": "bowel_screening", "signposted-bowel_screening": "20", **fields}


def test_who_acted_is_recorded_later_from_my_activities(client, db, champion):
    activity = logged(client, db, outcome="bowel_screening", **{"said-bowel_screening": "4"})
    listing = client.get("/me/activities").get_data(as_text=True)
    assert f'href="/me/activities/{activity.id}/edit#outcomes">Record who acted' in listing
    page = client.get(f"/me/activities/{activity.id}/edit").get_data(as_text=True)
    assert 'id="did-bowel_screening"' in page and "Leave blank if you do not know (yet)" in page
    assert (
        re.search(r'value="bowel_screening"\s+checked', page)
        and 'name="said-bowel_screening" type="number" value="4"' in page
    )
    too_many = client.post(
        f"/me/activities/{activity.id}/edit",
        data=edit_data(**{"said-bowel_screening": "4", "did-bowel_screening": "5"}),
    )
    assert too_many.status_code == 400
    assert "Did act cannot be more than the 4 people who said they would act (Bowel cancer screening)" in too_many.text
    assert saved(db) == [("bowel_screening", 20, 4, None)]
    done = client.post(
        f"/me/activities/{activity.id}/edit",
        data=edit_data(**{"said-bowel_screening": "4", "did-bowel_screening": "3"}),
    )
    assert done.status_code == 302
    assert saved(db) == [("bowel_screening", 20, 4, 3)]
    listing = client.get("/me/activities").get_data(as_text=True)
    assert "20 signposted to Bowel cancer screening, 4 said they would act, 3 did" in listing


def test_unticking_an_outcome_removes_it_and_a_retired_kind_stays_on_the_activity(client, db, champion):
    activity = logged(client, db, outcome=["bowel_screening", "hpv_vaccination"])
    db.session.get(OutcomeKind, "hpv_vaccination").retired_at = now_utc()
    db.session.commit()
    page = client.get(f"/me/activities/{activity.id}/edit").get_data(as_text=True)
    assert re.search(r'value="hpv_vaccination"\s+checked', page)  # still there to record who acted
    data = edit_data(outcome="hpv_vaccination", **{"signposted-hpv_vaccination": "20", "did-hpv_vaccination": "0"})
    assert client.post(f"/me/activities/{activity.id}/edit", data=data).status_code == 302
    assert saved(db) == [("hpv_vaccination", 20, 0, 0)]
    data = {**STALL, "type": "social_media"}  # no outcome ticked: none left, and the type may change
    assert client.post(f"/me/activities/{activity.id}/edit", data=data).status_code == 302
    assert saved(db) == []


def test_fewer_people_reached_than_signposted_is_refused_on_the_edit_page(client, db, champion):
    activity = logged(client, db, outcome="bowel_screening")
    response = client.post(f"/me/activities/{activity.id}/edit", data=edit_data(people_reached="10"))
    assert response.status_code == 400 and "cannot be more than the 10 people you reached" in response.text
    db.session.refresh(activity)
    assert activity.people_reached == 20 and saved(db) == [("bowel_screening", 20, 0, None)]


def test_undoing_a_deletion_brings_the_outcomes_back_exactly(client, db, champion, clock):
    activity = logged(client, db, outcome=["bowel_screening", "stop_smoking"], **{"said-stop_smoking": "2"})
    client.post(
        f"/me/activities/{activity.id}/edit",
        data=edit_data(
            outcome=["bowel_screening", "stop_smoking"], **{"said-stop_smoking": "2", "did-stop_smoking": "1"}
        ),
    )
    before = saved(db)
    created = sorted(db.session.scalars(select(ActivityOutcome.created_at)))
    clock.advance(minutes=2)
    assert client.post(f"/me/activities/{activity.id}/delete").status_code == 302
    assert count(db, ActivityOutcome) == 0
    page = client.get("/me/activities").get_data(as_text=True)
    assert "What came of your activities" not in page  # the totals no longer count them
    kept = db.session.scalar(select(DeletedActivity))
    clock.advance(minutes=5)
    assert client.post(f"/me/activities/deleted/{kept.id}/restore").status_code == 302
    db.session.expire_all()
    assert saved(db) == before == [("bowel_screening", 20, 0, None), ("stop_smoking", 20, 2, 1)]
    assert sorted(db.session.scalars(select(ActivityOutcome.created_at))) == created
    assert set(db.session.scalars(select(ActivityOutcome.activity_id))) == {activity.id}
    assert set(db.session.scalars(select(ActivityOutcome.champion_id))) == {champion.id}


# ---- What the champion sees --------------------------------------------------------------------------------------


def test_my_activities_shows_what_came_of_each_and_my_totals(client, db, champion):
    logged(
        client,
        db,
        outcome=["bowel_screening", "stop_smoking"],
        **{"said-bowel_screening": "5", "signposted-stop_smoking": "2"},
    )
    logged(
        client, db, type="conversation", people_reached="3", outcome="bowel_screening", **{"said-bowel_screening": "1"}
    )
    logged(client, db, type="social_media")
    page = client.get("/me/activities").get_data(as_text=True)
    assert "20 signposted to Bowel cancer screening, 5 said they would act" in page
    assert "3 signposted to Bowel cancer screening, 1 said they would act" in page
    table = page[page.index("What came of your activities") : page.index("Everything you have logged")]
    cells = [" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in re.findall(r"<td[^>]*>(.*?)</td>", table, re.S)]
    assert cells == [
        "Signposted to Bowel cancer screening",
        "People signposted 23",
        "Said they would act 6",
        "You know did act Not known",
        "Signposted to Stop-smoking service",
        "People signposted 2",
        "Said they would act 0",
        "You know did act Not known",
    ]


def test_a_champion_never_sees_or_changes_another_champions_outcomes(client, db, make, champion):
    activity = logged(client, db, outcome="bowel_screening", notes="Mine")
    client.post("/logout")
    other = make.champion()
    client.post("/login", data={"email": other.user.email, "password": PASSWORD})
    page = client.get("/me/activities").get_data(as_text=True)
    assert "Bowel cancer screening" not in page and "What came of your activities" not in page
    assert client.get(f"/me/activities/{activity.id}/edit").status_code == 404
    hijack = edit_data(**{"did-bowel_screening": "0", "said-bowel_screening": "0"})
    assert client.post(f"/me/activities/{activity.id}/edit", data=hijack).status_code == 404
    # Their own activity, with an owner and an activity slipped in: the outcome is theirs, on their activity.
    data = {**STALL, "outcome": "stop_smoking", "champion_id": champion.id, "activity_id": activity.id}
    assert client.post("/me/activities/new", data=data).status_code == 302
    mine = db.session.scalar(select(ActivityOutcome).where(ActivityOutcome.outcome_code == "stop_smoking"))
    assert mine.champion_id == other.id and mine.activity_id != activity.id
    assert saved(db) == [("bowel_screening", 20, 0, None), ("stop_smoking", 20, 0, None)]
    assert outcomes.outcome_totals(champion.id)[0].name == "Bowel cancer screening"
    assert len(outcomes.outcome_totals(champion.id)) == 1
