"""What came of an activity stays true to it: a change of the activity that its outcomes would no longer fit is
refused by the field, two saves of the same outcome at the same moment make one row, and the error summary lists the
outcomes' messages where they are on the page."""

from __future__ import annotations

import re
import threading
from datetime import date, datetime

import pytest

from champions.activities import outcomes, services
from champions.activities.models import Activity, ActivityOutcome
from champions.activities.outcomes import OutcomeInput, OutcomeProblems
from champions.extensions import db as _db
from champions.profiles.models import Champion
from tests.activities.test_outcomes import STALL, edit_data, logged, saved
from tests.conftest import only_on_postgres
from tests.factories import PASSWORD

NOW = datetime(2026, 3, 20, 12, 0)


@pytest.fixture
def champion(client, make, clock):
    clock.set(NOW)
    champion = make.champion()
    assert client.post("/login", data={"email": champion.user.email, "password": PASSWORD}).status_code == 302
    return champion


def _with_outcome(db, make, clock, signposted: int = 12) -> Activity:
    """A stall that reached 20 people, with 12 signposted to bowel screening (2 said they would act)."""
    clock.set(NOW)
    activity = make.activity(make.champion(), type="stall_or_event", people_reached=20, occurred_on=date(2026, 3, 19))
    row = ActivityOutcome(activity_id=activity.id, champion_id=activity.champion_id, outcome_code="bowel_screening")
    row.signposted, row.said_would_act = signposted, 2
    db.session.add(row)
    db.session.commit()
    return activity


def _data(activity: Activity, **changes) -> dict:
    return {**{key: getattr(activity, key) for key in services.FIELDS}, **changes}


def _as_it_was(db, activity_id: int) -> tuple:
    activity = db.session.get(Activity, activity_id)
    return activity.type, activity.people_reached, saved(db)


# ---- Changing the activity itself -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "problems"),
    [
        (
            {"type": "social_media"},
            {
                "type": "This activity cannot become a social media post while it has people signposted to Bowel "
                "cancer screening recorded: keep it a conversation, a stall or event, a talk to a group or "
                "signposting, or remove what came of it first"
            },
        ),
        (
            {"people_reached": 11},
            {
                "people_reached": "People reached cannot be fewer than the 12 people signposted to Bowel cancer "
                "screening: change what came of it first"
            },
        ),
        ({"type": "other", "people_reached": 0}, {"type": "cannot become something else", "people_reached": "12"}),
    ],
)
def test_a_change_its_outcomes_would_not_fit_is_refused_by_the_field_and_changes_nothing(
    db, make, clock, changes, problems
):
    activity = _with_outcome(db, make, clock)
    before = _as_it_was(db, activity.id)
    with pytest.raises(OutcomeProblems) as refused:
        services.update_activity(activity.champion, activity, _data(activity, **changes))
    assert refused.value.problems.keys() == problems.keys()
    for field, message in problems.items():
        assert message in refused.value.problems[field]
    db.session.rollback()
    assert _as_it_was(db, activity.id) == before


def test_a_change_its_outcomes_still_fit_is_saved_and_keeps_them(db, make, clock):
    activity = _with_outcome(db, make, clock)
    services.update_activity(activity.champion, activity, _data(activity, type="group_talk", people_reached=12))
    db.session.commit()
    assert _as_it_was(db, activity.id) == ("group_talk", 12, [("bowel_screening", 12, 2, None)])
    bare = make.activity(activity.champion, type="conversation", people_reached=5)
    services.update_activity(bare.champion, bare, _data(bare, type="social_media", people_reached=0))
    db.session.commit()
    assert (bare.type, bare.people_reached) == ("social_media", 0)


def test_the_edit_page_still_explains_outcomes_that_no_longer_fit_by_their_field(client, db, champion):
    activity = logged(client, db, outcome="bowel_screening")
    response = client.post(f"/me/activities/{activity.id}/edit", data=edit_data(type="social_media"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert html.count("There is nothing to record for a social media post") == 2  # in the summary and by the box
    assert 'href="#outcome"' in html
    assert _as_it_was(db, activity.id) == ("stall_or_event", 20, [("bowel_screening", 20, 0, None)])


# ---- The error summary in the order of the page -----------------------------------------------------------------


def _summary_links(html: str) -> list[str]:
    summary = re.search(r'<div class="nhsuk-error-summary".*?</div>\s*</div>', html, re.S)
    assert summary, html
    return re.findall(r'href="#([^"]+)"', summary.group(0))


def test_the_error_summary_lists_the_outcomes_between_people_reached_and_notes_as_the_page_does(client, db, champion):
    data = {
        **STALL,
        "people_reached": "-1",
        "outcome": ["bowel_screening", "stop_smoking"],
        "signposted-stop_smoking": "x",
        "said-bowel_screening": "-3",
        "notes": "n" * 2001,
    }
    html = client.post("/me/activities/new", data=data).get_data(as_text=True)
    page = re.findall(r'id="(people_reached|said-bowel_screening|signposted-stop_smoking|notes)"', html)
    assert (
        _summary_links(html)
        == page
        == [
            "people_reached",
            "said-bowel_screening",
            "signposted-stop_smoking",
            "notes",
        ]
    )


# ---- Two saves at the same moment --------------------------------------------------------------------------------


def test_two_saves_of_the_same_outcome_at_once_make_one_row_on_postgresql(app, db, make, clock, monkeypatch):
    """Each save waits (up to a second) for the other once it has read the activity's outcomes, so that without the
    lock both would have read none and both would add the row: the race is lost every time, not by chance."""
    only_on_postgres(app)
    clock.set(NOW)
    activity = make.activity(make.champion(), type="stall_or_event", people_reached=20, occurred_on=date(2026, 3, 19))
    data, champion_id, activity_id = _data(activity), activity.champion_id, activity.id
    start, read = threading.Barrier(2), threading.Barrier(2)
    real_recorded = outcomes.recorded

    def recorded_then_meet(activity):
        found = real_recorded(activity)
        try:
            read.wait(timeout=1)
        except threading.BrokenBarrierError:
            pass  # the other save is waiting for the lock this one holds: carry on
        return found

    monkeypatch.setattr(outcomes, "recorded", recorded_then_meet)
    answers: list[str] = ["", ""]

    def save(i: int) -> None:
        with app.app_context():
            start.wait(timeout=10)
            try:
                champion = _db.session.get(Champion, champion_id)
                mine = services.own_activity(champion, activity_id)
                services.update_activity(champion, mine, data, [OutcomeInput("bowel_screening", said_would_act=i)])
                _db.session.commit()
                answers[i] = "saved"
            except Exception as error:  # a unique-constraint failure is what the test looks for
                answers[i] = f"error: {error!r}"
            finally:
                _db.session.rollback()
                _db.session.remove()

    threads = [threading.Thread(target=save, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert answers == ["saved", "saved"], answers
    db.session.rollback()  # a fresh look at what the two connections committed
    rows = saved(db)
    assert len(rows) == 1 and rows[0][:2] == ("bowel_screening", 20) and rows[0][2] in (0, 1), rows


def test_an_outcome_keeps_its_activitys_time_however_it_is_added(db, make, clock):
    """The nudge measures find a champion's outcomes by their activity's time, kept on the outcome: filled in from
    the activity (loaded or not) when a row is added without it, and kept when the outcomes are saved again later,
    never the time the outcome itself was written."""
    clock.set(NOW)
    activity = make.activity(make.champion(), type="stall_or_event", people_reached=20, occurred_on=date(2026, 3, 19))
    db.session.commit()
    logged_at = activity.created_at.replace(tzinfo=None)
    clock.set(datetime(2026, 4, 2, 9, 0))  # two weeks later
    champion_id = activity.champion_id
    by_id = ActivityOutcome(activity_id=activity.id, champion_id=champion_id, outcome_code="bowel_screening")
    by_object = ActivityOutcome(activity=activity, champion_id=champion_id, outcome_code="gp_symptom")
    for row in (by_id, by_object):
        row.signposted = 3
    db.session.add_all([by_id, by_object])
    db.session.commit()
    chosen = [OutcomeInput("bowel_screening", 5, 1, None), OutcomeInput("hpv_vaccination", 2, 0, None)]
    outcomes.save_outcomes(activity, chosen)  # one kept, one gone, one new
    db.session.commit()
    rows = db.session.query(ActivityOutcome).filter_by(activity_id=activity.id).all()
    assert sorted(row.outcome_code for row in rows) == ["bowel_screening", "hpv_vaccination"]
    assert [row.activity_created_at.replace(tzinfo=None) for row in rows] == [logged_at, logged_at]
    assert all(row.created_at.replace(tzinfo=None) > logged_at for row in rows)  # written later than the activity
