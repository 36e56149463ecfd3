"""What came of activities on the programme dashboard: every figure on a few hand-made activities, worked out by
hand in the comments and compared; the nudge effect on signposting against plainly different code."""

from __future__ import annotations

import csv
import io
import math
import re
import statistics
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import event, select

from champions.activities.models import ActivityOutcome
from champions.core.db import now_utc
from champions.dashboards.figures import nudges, outcomes
from champions.dashboards.tasks import compute_programme_snapshot
from champions.nudges.models import NudgeMessage, NudgeRule
from tests.conftest import run_task


def outcome(db, activity, code, signposted, said, did):
    db.session.add(
        ActivityOutcome(
            activity_id=activity.id,
            champion_id=activity.champion_id,
            outcome_code=code,
            signposted=signposted,
            said_would_act=said,
            did_act=did,
        )
    )
    db.session.commit()


@pytest.fixture
def known(db, make):
    a = make.champion(borough_code="bolton")
    b = make.champion(borough_code="wigan")
    talk = make.activity(a, type="conversation", borough_code="bolton", topic_code="smoking", people_reached=4,
                         occurred_on=date(2026, 1, 10))  # fmt: skip
    outcome(db, talk, "stop_smoking", 3, 2, 1)
    outcome(db, talk, "other", 1, 1, None)  # no topic of its own: counts under smoking, the talk's
    stall = make.activity(a, type="stall_or_event", borough_code="bolton", topic_code="screening", people_reached=40,
                          occurred_on=date(2026, 2, 3))  # fmt: skip
    outcome(db, stall, "bowel_screening", 10, 6, None)
    outcome(db, stall, "breast_screening", 5, 3, 2)
    group = make.activity(b, type="group_talk", borough_code="wigan", topic_code="diet", people_reached=20,
                          occurred_on=date(2026, 2, 20))  # fmt: skip
    outcome(db, group, "nhs_health_check", 6, 4, 3)
    outcome(db, group, "other", 2, 0, 0)  # counts under diet
    # A post reaches people but is not where anyone is signposted: not on the path. Signposting with no outcome is.
    make.activity(b, type="social_media", borough_code="wigan", topic_code="hpv", people_reached=100)
    make.activity(b, type="signposting", borough_code="wigan", topic_code="screening", people_reached=2)
    return a, b


def figures(rows, key):
    return {r[key]: r for r in rows}


def test_outcomes_by_kind(known):
    kinds = figures(outcomes.by_kind(), "code")
    pick = ("signposted", "said_would_act", "did_act", "said_with_answer", "did_pct")
    assert tuple(kinds["bowel_screening"][k] for k in pick) == (10, 6, 0, 0, None)  # did-act never known
    assert tuple(kinds["breast_screening"][k] for k in pick) == (5, 3, 2, 3, 66.7)
    assert tuple(kinds["stop_smoking"][k] for k in pick) == (3, 2, 1, 2, 50.0)
    assert tuple(kinds["nhs_health_check"][k] for k in pick) == (6, 4, 3, 4, 75.0)
    # "Something else": 1 + 2 signposted, 1 + 0 said; the first has no answer, the second's is 0 of 0.
    assert tuple(kinds["other"][k] for k in pick) == (3, 1, 0, 0, None)
    assert kinds["cervical_screening"]["signposted"] == 0
    assert kinds["bowel_screening"]["said_pct"] == 60.0


def test_outcomes_by_topic_use_the_kinds_topic_else_the_activitys(known):
    topics = figures(outcomes.by_topic(), "code")
    pick = ("signposted", "said_would_act", "did_act", "said_with_answer")
    assert tuple(topics["screening"][k] for k in pick) == (15, 9, 2, 3)  # bowel 10/6/-, breast 5/3/2
    assert tuple(topics["smoking"][k] for k in pick) == (4, 3, 1, 2)  # stop-smoking 3/2/1, the talk's other 1/1/-
    assert tuple(topics["diet"][k] for k in pick) == (8, 4, 3, 4)  # health check 6/4/3, the group's other 2/0/0
    assert topics["hpv"]["signposted"] == topics["early_diagnosis"]["signposted"] == 0


def test_outcomes_by_type_of_activity(known):
    types = figures(outcomes.by_type(), "type")
    assert set(types) == {"conversation", "stall_or_event", "group_talk", "signposting"}
    pick = ("activities", "people_reached", "with_outcomes", "signposted", "said_would_act", "did_act")
    assert tuple(types["conversation"][k] for k in pick) == (1, 4, 1, 4, 3, 1)
    assert tuple(types["stall_or_event"][k] for k in pick) == (1, 40, 1, 15, 9, 2)
    assert tuple(types["group_talk"][k] for k in pick) == (1, 20, 1, 8, 4, 3)
    assert tuple(types["signposting"][k] for k in pick) == (1, 2, 0, 0, 0, 0)


def test_outcomes_by_borough_per_10000_residents(known):
    boroughs = figures(outcomes.by_borough(), "code")
    # Bolton: 4 + 15 signposted of 296,000 residents; Wigan: 8 of 329,300.
    assert boroughs["bolton"]["signposted"] == 19 and boroughs["bolton"]["signposted_per_10k"] == 0.64
    assert boroughs["wigan"]["signposted"] == 8 and boroughs["wigan"]["signposted_per_10k"] == 0.24
    assert boroughs["bury"]["signposted"] == 0 and boroughs["bury"]["signposted_per_10k"] == 0


def test_outcomes_by_month(known):
    months = [(r["month"], r["signposted"], r["said_would_act"], r["did_act"]) for r in outcomes.by_month()]
    assert months == [("2026-01", 4, 3, 1), ("2026-02", 23, 13, 5)]


def test_an_activity_changed_takes_its_outcomes_with_it_in_every_table(db, make, clock):
    """The figures read the outcomes alone, with their copy of the activity's type, date, borough and topic: a
    champion who corrects their activity moves what came of it, in the same save, whether or not they change its
    outcomes too; an outcome not itself changed keeps its "last changed" time."""
    from champions.activities.outcomes import OutcomeInput
    from champions.activities.services import update_activity

    clock.set(datetime(2026, 4, 1, 12, 0))
    champion = make.champion(borough_code="bolton")
    talk = make.activity(champion, type="conversation", borough_code="bolton", topic_code="smoking",
                         people_reached=4, occurred_on=date(2026, 1, 10))  # fmt: skip
    outcome(db, talk, "other", 3, 2, 1)  # "Something else" counts under its activity's topic
    written = db.session.scalar(select(ActivityOutcome.updated_at))
    clock.advance(days=1)
    changed = {"type": "group_talk", "occurred_on": date(2026, 3, 5), "borough_code": "wigan", "topic_code": "diet"}
    update_activity(champion, talk, {**changed, "people_reached": 4, "notes": None})
    db.session.commit()

    def signposted(rows, key):
        return {row[key]: row["signposted"] for row in rows if row["signposted"]}

    assert signposted(outcomes.by_type(), "type") == {"group_talk": 3}
    assert signposted(outcomes.by_borough(), "code") == {"wigan": 3}
    assert signposted(outcomes.by_topic(), "code") == {"diet": 3}
    assert signposted(outcomes.by_month(), "month") == {"2026-03": 3}
    assert {row["type"]: row["with_outcomes"] for row in outcomes.by_type()}["group_talk"] == 1
    assert db.session.scalar(select(ActivityOutcome.updated_at)) == written

    # Changed again with its outcomes: the one kept and the one added both go where the activity now is.
    chosen = [OutcomeInput("other", 3, 2, 1), OutcomeInput("stop_smoking", 1, 1, None)]
    update_activity(champion, talk, {**changed, "borough_code": "bury", "people_reached": 4, "notes": None}, chosen)
    db.session.commit()
    assert signposted(outcomes.by_borough(), "code") == {"bury": 4}
    assert signposted(outcomes.by_type(), "type") == {"group_talk": 4}


def test_the_path_from_people_reached_to_those_who_acted(known):
    path = outcomes.path()
    assert path["activities"] == 4  # the talk, the stall, the group and the signposting; not the post
    steps = [(s["people"], s["pct_of_previous"]) for s in path["steps"]]
    # Reached 4 + 40 + 20 + 2 = 66; signposted 27 (40.9%); said 16 (59.3%); of the 16, whether they acted is known
    # for the stop-smoking 2, breast 3, health check 4 and the group's other 0 = 9 (56.25%); 1 + 2 + 3 + 0 = 6 did.
    assert [n for n, _ in steps] == [66, 27, 16, 9, 6]
    assert steps[0][1] is None
    assert [pct for _, pct in steps[1:]] == pytest.approx([40.9, 59.3, 56.2, 66.7], abs=0.051)


def test_the_section_shows_every_table_and_each_downloads(client, auth, known):
    run_task(compute_programme_snapshot)
    auth.login_as("staff")
    page = client.get("/staff/dashboard/outcomes").get_data(as_text=True)
    assert "is known for 9 of the 16 people who said they would act" in page
    for table in ("outcome_path", "outcome_kinds", "outcome_topics", "outcome_types", "outcome_boroughs",
                  "outcome_months"):  # fmt: skip
        assert f'href="/staff/dashboard/{table}.csv"' in page
        assert client.get(f"/staff/dashboard/{table}.csv").status_code == 200
    rows = list(csv.DictReader(io.StringIO(client.get("/staff/dashboard/outcome_kinds.csv").get_data(as_text=True))))
    breast = next(r for r in rows if r["code"] == "breast_screening")
    assert (breast["signposted"], breast["said_would_act"], breast["did_act"]) == ("5", "3", "2")
    assert page.count("<canvas") == 6 and page.count("<table") >= 6


def test_before_any_outcome_the_section_says_so(client, auth, db):
    run_task(compute_programme_snapshot)
    auth.login_as("staff")
    page = client.get("/staff/dashboard/outcomes").get_data(as_text=True)
    assert "No outcome has been recorded yet" in page and "<canvas" not in page


def _rule(db) -> NudgeRule:
    first = db.session.scalar(select(NudgeRule).order_by(NudgeRule.id))
    rule = NudgeRule(key="outcome-test", name="Outcome test", condition=first.condition, params=dict(first.params))
    rule.subject, rule.body_text, rule.body_html = first.subject, first.body_text, first.body_html
    rule.effect_days = 14
    db.session.add(rule)
    db.session.commit()
    return rule


def test_the_nudge_effect_on_signposting(db, make):
    rule = _rule(db)
    start = now_utc() - timedelta(days=30)
    people = {"sent": [3, 0, 5, 1], "holdout": [0, 0, 2, 0]}  # signposted within the window, each person
    for status, counts in people.items():
        for n in counts:
            champion = make.champion()
            db.session.add(NudgeMessage(rule_id=rule.id, user_id=champion.user_id, period=1, created_at=start,
                                        status=status, sent_at=start if status == "sent" else None))  # fmt: skip
            if n:
                activity = make.activity(champion, type="conversation", created_at=start + timedelta(days=2))
                outcome(db, activity, "stop_smoking", n, 0, None)
            if status == "holdout" and not n:  # after the window closed: not counted
                late = make.activity(champion, type="conversation", created_at=start + timedelta(days=20))
                outcome(db, late, "bowel_screening", 9, 9, None)
    recent = make.champion()  # its window is still open: not counted at all
    db.session.add(NudgeMessage(rule_id=rule.id, user_id=recent.user_id, period=2, created_at=now_utc(), status="sent"))
    db.session.commit()
    row = next(r for r in nudges.nudge_effects() if r["rule"] == "Outcome test")
    assert (row["nudged"], row["held_out"]) == (4, 4)
    # Signposted anyone: 3 of 4 nudged, 1 of 4 held out. Newcombe's interval from the Wilson intervals 0.3006 to
    # 0.9544 (3/4) and 0.0456 to 0.6994 (1/4): 0.5 - sqrt(0.4494² + 0.4494²) and 0.5 + sqrt(0.2044² + 0.2044²), so
    # -13.5 to 78.9 points (a Wald interval, -10 to 110, would pass 100).
    assert (row["nudged_signposting"], row["held_out_signposting"], row["signposting_difference"]) == (75.0, 25.0, 50.0)
    assert (row["signposting_low"], row["signposting_high"]) == pytest.approx((-13.55, 78.9), abs=0.1)
    # People signposted each: 9/4 = 2.25 against 2/4 = 0.5; the margin from each group's sample variance.
    sent, held = people["sent"], people["holdout"]
    margin = 1.959964 * math.sqrt(statistics.variance(sent) / 4 + statistics.variance(held) / 4)
    assert margin == pytest.approx(2.3837, abs=1e-3)  # 4.9167 / 4 + 1 / 4 = 1.4792, its root 1.2162
    assert (row["nudged_signposted_each"], row["held_out_signposted_each"], row["signposted_each_difference"]) == (
        2.25, 0.5, 1.75,
    )  # fmt: skip
    assert row["signposted_each_low"] == pytest.approx(1.75 - margin, abs=0.006)
    assert row["signposted_each_high"] == pytest.approx(1.75 + margin, abs=0.006)


def _statements(db, compute) -> int:
    seen = []

    def count(*_args, **_kwargs):
        seen.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        compute()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def test_the_outcome_figures_cost_the_same_queries_however_many_rows(db, make):
    rule = _rule(db)

    def grow(n):
        for _ in range(n):
            champion = make.champion()
            activity = make.activity(champion, created_at=now_utc() - timedelta(days=20))
            outcome(db, activity, "stop_smoking", 2, 1, 1)
            outcome(db, activity, "gp_symptom", 1, 1, None)
            db.session.add(NudgeMessage(rule_id=rule.id, user_id=champion.user_id, period=1, status="sent",
                                        created_at=now_utc() - timedelta(days=21)))  # fmt: skip
        db.session.commit()

    def compute():
        outcomes.outcomes()
        nudges.nudge_effects()

    grow(2)
    few = _statements(db, compute)
    grow(20)
    assert _statements(db, compute) == few
    assert figures(outcomes.by_kind(), "code")["stop_smoking"]["signposted"] == 44


def test_a_column_of_rates_reads_alike_in_the_table(client, auth, known):
    """Every rate per 10,000 with two decimal places, so 0.60 sits beside 0.64 (not 0.6 beside 0.64)."""
    run_task(compute_programme_snapshot)
    auth.login_as("staff")
    page = client.get("/staff/dashboard/outcomes").get_data(as_text=True)
    rates = re.findall(r"Signposted per 10,000 residents </span>([^<]*)</td>", page)
    assert rates and all(re.fullmatch(r"\d+\.\d\d", rate) for rate in rates), rates
    assert "0.64" in rates and "0.00" in rates
