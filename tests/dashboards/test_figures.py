"""Every programme figure on known data, worked out by hand (or by plainly different code) and compared."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import delete

from champions.activities.models import Activity
from champions.core.clock import today_uk
from champions.core.models import BOROUGHS
from champions.core.snapshots import latest_snapshot
from champions.dashboards.models import ProgrammeSettings
from champions.dashboards.services import PROGRAMME
from champions.dashboards.tasks import compute_programme_snapshot
from champions.profiles.models import StageChange
from tests.conftest import run_task


def at(days_ago: int) -> datetime:
    return datetime.combine(today_uk() - timedelta(days=days_ago), time(12), tzinfo=UTC)


@pytest.fixture
def known(db, make):
    today = today_uk()
    settings = db.session.get(ProgrammeSettings, 1)
    settings.target, settings.target_date = 100, today + timedelta(days=70)
    settings.milestone_target, settings.milestone_date = 20, today + timedelta(days=10)

    def champion(name, borough, joined, path, topics, is_leader=False, **extra):
        c = make.champion(first_name=name, borough_code=borough, topic_codes=topics, **extra)
        c.is_leader = is_leader
        c.created_at = at(joined)
        db.session.execute(delete(StageChange).where(StageChange.champion_id == c.id))
        previous = None
        for stage, days_ago in path:
            db.session.add(
                StageChange(
                    champion_id=c.id, from_stage=previous, to_stage=stage, reason="test", changed_at=at(days_ago)
                )
            )
            previous = stage
        c.stage = previous
        return c

    a = champion(
        "A",
        "bolton",
        20,
        [("registered", 20), ("verified", 19), ("trained", 17), ("active", 15)],
        ["screening"],
        is_leader=True,
    )
    b = champion("B", "bolton", 20, [("registered", 20), ("verified", 18)], ["smoking"], recruited_by_id=a.id)
    c = champion(
        "C",
        "manchester",
        10,
        [("registered", 10), ("verified", 9), ("trained", 6)],
        ["screening", "smoking"],
        recruited_by_id=b.id,
    )
    d = champion("D", "manchester", 3, [("registered", 3)], ["hpv"], recruited_by_id=c.id)
    champion("E", "wigan", 3, [("registered", 3), ("withdrawn", 2)], ["hpv"])
    f = champion(
        "F",
        "wigan",
        100,
        [("registered", 100), ("verified", 99), ("trained", 95), ("active", 90), ("lapsed", 30)],
        ["alcohol"],
    )
    a.last_activity_on = today - timedelta(days=1)
    f.last_activity_on = today - timedelta(days=60)
    for champ, borough, topic, people, days_ago in [
        (a, "bolton", "screening", 3, 1),
        (a, "bolton", "screening", 5, 2),
        (f, "wigan", "alcohol", 10, 60),
    ]:
        db.session.add(
            Activity(
                champion_id=champ.id,
                type="conversation",
                occurred_on=today - timedelta(days=days_ago),
                borough_code=borough,
                topic_code=topic,
                people_reached=people,
            )
        )
    db.session.commit()
    run_task(compute_programme_snapshot)
    return {"a": a, "b": b, "c": c, "d": d, "f": f, "data": latest_snapshot(PROGRAMME).data}


def test_headline_against_the_target_and_milestone(known):
    h = known["data"]["headline"]
    assert h["champions"] == 5  # E has withdrawn
    assert h["by_stage"] == {"registered": 1, "verified": 1, "trained": 1, "active": 1, "lapsed": 1, "withdrawn": 1}
    assert (h["target"], h["percent_of_target"], h["leaders"]) == (100, 5.0, 1)
    assert h["milestone"] == {
        "label": "Interim aim",
        "target": 20,
        "date": h["milestone"]["date"],
        "percent": 25.0,
        "passed": False,
        "met": False,
    }


def test_funnel_conversion_and_median_days(known):
    steps = {s["stage"]: s for s in known["data"]["funnel"]["steps"]}
    assert steps["registered"]["count"] == 6
    assert (steps["verified"]["count"], steps["verified"]["conversion"], steps["verified"]["median_days"]) == (
        4,
        66.7,
        1.0,
    )
    assert (steps["trained"]["count"], steps["trained"]["conversion"], steps["trained"]["median_days"]) == (
        3,
        75.0,
        3.0,
    )
    assert (steps["active"]["count"], steps["active"]["conversion"], steps["active"]["median_days"]) == (2, 66.7, 3.5)
    assert (known["data"]["funnel"]["lapsed"], known["data"]["funnel"]["withdrawn"]) == (1, 1)


def test_boroughs_per_head_of_population(known):
    rows = {r["code"]: r for r in known["data"]["boroughs"]}
    assert (rows["bolton"]["champions"], rows["bolton"]["per_10k"]) == (2, round(2 * 10_000 / 296_000, 2))
    assert (rows["bolton"]["activities"], rows["bolton"]["people_reached"], rows["bolton"]["leaders"]) == (2, 8, 1)
    assert (rows["manchester"]["champions"], rows["manchester"]["per_10k"]) == (2, round(2 * 10_000 / 551_900, 2))
    assert (rows["wigan"]["champions"], rows["wigan"]["activities"], rows["wigan"]["people_reached"]) == (1, 1, 10)
    assert rows["wigan"]["people_per_10k"] == round(10 * 10_000 / 329_300, 1)
    assert rows["bury"] == {**rows["bury"], "champions": 0, "per_10k": 0.0, "activities": 0}


def test_topics_and_activity_totals(known):
    topics = {t["code"]: t for t in known["data"]["topics"]}
    assert (
        topics["screening"]["champions_following"],
        topics["screening"]["activities"],
        topics["screening"]["people_reached"],
    ) == (2, 2, 8)
    assert topics["smoking"]["champions_following"] == 2 and topics["alcohol"]["people_reached"] == 10
    assert known["data"]["activity"] == {"activities": 3, "people_reached": 18}


def test_the_recruitment_network(known):
    n = known["data"]["network"]
    assert (n["champions"], n["recruited"], n["share_recruited"], n["mean_recruits"]) == (6, 3, 50.0, 0.5)
    assert n["longest_chain"] == 3  # A -> B -> C -> D
    assert [(r["name"].split()[0], r["recruits"]) for r in n["top_recruiters"]] == [("A", 1), ("B", 1), ("C", 1)]
    names = {name for _, name, _ in BOROUGHS}
    assert all(r["borough"] in names for r in n["top_recruiters"])  # names people read, not codes


def test_cohort_retention(known):
    f_month = at(100).strftime("%Y-%m")
    row = next(r for r in known["data"]["cohorts"] if r["month"] == f_month)
    # F joined 100 days ago and last logged an activity 40 days later: still active after 1 month, not after 3.
    assert row == {
        "month": f_month,
        "joined": 1,
        "active_after_1": 100.0,
        "active_after_3": 0.0,
        "active_after_6": None,
    }


def test_trajectory_rate_needed_and_projection(known):
    t = known["data"]["trajectory"]
    today = today_uk()
    monday = today - timedelta(days=today.weekday())
    joined_days = [20, 20, 10, 3, 3, 100]
    recent = sum(1 for d in joined_days if monday - timedelta(days=56) <= today - timedelta(days=d) < monday)
    assert t["recent_weekly_rate"] == round(recent / 8, 1)
    assert t["cumulative"][-1] == 6 and t["weeks"][-1] == monday.isoformat()
    assert t["needed_weekly_rate"] == round((100 - 5) / 10, 1)  # 95 to go in 10 weeks
    assert t["projection"][0]["projected"] == 5
    assert t["projection"][-1]["projected"] == round(5 + recent / 8 * 10)  # the recent rate for 10 more weeks
    assert t["projection"][-1]["low"] <= t["projection"][-1]["projected"] <= t["projection"][-1]["high"]


def test_a_target_date_in_the_past_and_no_data_are_explained(client, auth, db):
    auth.login_as("staff")
    assert "No figures have been computed yet" in client.get("/staff").get_data(as_text=True)
    run_task(compute_programme_snapshot)
    page = client.get("/staff/dashboard/growth").get_data(as_text=True)
    assert "No one has signed up yet, so there is nothing to project" in page
    page = client.get("/staff/dashboard/nudges").get_data(as_text=True)
    assert "No nudge has been measured yet" in page and "nudged against held out" not in page
    settings = db.session.get(ProgrammeSettings, 1)
    settings.start_date = today_uk() - timedelta(days=1000)
    settings.target_date = today_uk() - timedelta(days=1)
    db.session.commit()
    auth.make.champion()
    run_task(compute_programme_snapshot)
    assert "The target date has passed" in client.get("/staff/dashboard/growth").get_data(as_text=True)


def test_every_table_downloads_as_csv(client, auth, known):
    auth.login_as("staff")
    for table in ("trajectory", "projection", "funnel", "cohorts", "boroughs", "topics", "recruiters", "nudges"):
        response = client.get(f"/staff/dashboard/{table}.csv")
        assert response.status_code == 200 and response.mimetype == "text/csv"
        assert len(response.get_data(as_text=True).splitlines()) >= 2, table
    boroughs = client.get("/staff/dashboard/boroughs.csv").get_data(as_text=True)
    assert "bolton,Bolton,296000,2," in boroughs


def test_only_an_admin_sets_the_target_and_bad_dates_are_refused(client, auth, db):
    auth.login_as("admin")
    form = {
        "target": "20000",
        "start_date": "2027-02-01",
        "target_date": "2027-01-01",
        "milestone_label": "Interim",
        "milestone_target": "5000",
        "milestone_date": "2027-08-31",
    }
    bad = client.post("/admin/settings", data=form)
    assert bad.status_code == 400 and "The target date must be after the start date" in bad.get_data(as_text=True)
    assert client.post("/admin/settings", data={**form, "target_date": "2030-02-01"}).status_code == 302
    assert db.session.get(ProgrammeSettings, 1).target_date.isoformat() == "2030-02-01"


def test_workshops_and_organisations_engaged_come_from_the_engagement_figures(db, make):
    from tests.workshops.helpers import make_org, make_workshop

    host = make_org(db, "Wigan Voices", boroughs=("wigan",))
    make_workshop(db, borough="wigan", starts=at(5), host=host)
    make_workshop(db, borough="wigan", starts=at(40))
    make_workshop(db, borough="bolton", starts=at(-5))  # not held yet
    db.session.commit()
    run_task(compute_programme_snapshot)
    data = latest_snapshot(PROGRAMME).data
    assert data["engagement"]["total"]["workshops_held"] == 2
    rows = {r["code"]: r for r in data["boroughs"]}
    assert (rows["wigan"]["workshops"], rows["bolton"]["workshops"]) == (2, 0)


def test_small_sparks_grants_awarded_by_borough(db, make):
    approved = make.application(status="approved", award_pence=120_000)
    make.application(status="declined")
    db.session.commit()
    run_task(compute_programme_snapshot)
    rows = {r["code"]: r for r in latest_snapshot(PROGRAMME).data["boroughs"]}
    served = [b.code for b in approved.boroughs]
    assert served and all(rows[code]["grants"] == 1 and rows[code]["grants_awarded_pounds"] == 1200 for code in served)
    assert sum(r["grants"] for r in rows.values()) == len(served)


def test_a_borough_with_no_residents_figure_is_explained_not_divided_by(client, auth, db, make):
    from champions.core.models import Borough

    db.session.get(Borough, "bury").population = None
    make.champion(borough_code="bury")
    db.session.commit()
    run_task(compute_programme_snapshot)
    row = next(r for r in latest_snapshot(PROGRAMME).data["boroughs"] if r["code"] == "bury")
    assert (row["champions"], row["per_10k"], row["people_per_10k"]) == (1, None, None)
    auth.login_as("staff")
    page = client.get("/staff/dashboard/boroughs").get_data(as_text=True)
    assert "Bury has no residents figure, so no per-head figures are shown for it." in page


def test_the_longest_chain_counts_recruits_of_live_champions_only(db, make):
    from champions.dashboards.figures.network import network

    a = make.champion(first_name="A")
    db.session.flush()
    assert network()["longest_chain"] == 0  # nobody recruited
    b = make.champion(first_name="B", recruited_by_id=a.id)
    db.session.flush()
    assert network()["longest_chain"] == 1
    c = make.champion(first_name="C", recruited_by_id=b.id)
    make.champion(first_name="D", recruited_by_id=a.id)  # a second branch, shorter
    db.session.flush()
    assert network()["longest_chain"] == 2
    c.merged_into_id = a.id  # merged away: no longer a link of any chain
    db.session.flush()
    assert network()["longest_chain"] == 1


def test_the_top_recruiters_are_ten_live_champions_by_their_live_recruits(db, make):
    """Counted from the recruits' side: a recruit merged away counts for nobody, a recruiter merged away is not
    listed (whoever they recruited), ties go to the earlier champion, and only the first ten are shown."""
    from champions.dashboards.figures.network import network

    def recruiter(name: str, recruits: int):
        champion = make.champion(first_name=name)
        for _ in range(recruits):
            make.champion(recruited_by_id=champion.id)
        return champion

    a = recruiter("A", 3)
    make.champion(recruited_by_id=a.id).merged_into_id = a.id  # a fourth, merged into A: not a recruit of A's now
    b, c = recruiter("B", 2), recruiter("C", 2)
    recruiter("Merged", 5).merged_into_id = b.id
    ones = [recruiter(f"One{i}", 1) for i in range(9)]
    db.session.flush()
    top = [(r["id"], r["recruits"]) for r in network()["top_recruiters"]]
    assert top == [(a.id, 3), (b.id, 2), (c.id, 2), *[(one.id, 1) for one in ones[:7]]]
