"""The staff pages of how the movement spreads: the figures of a run computed here, each table's CSV, measuring
again with its progress, a champion's network drawn to three degrees with its table, and who may see them."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

import pytest
from sqlalchemy import select

from champions.spread import services
from champions.spread.models import SpreadRun
from champions.spread.views import CSV_TABLES
from tests.factories import PASSWORD
from tests.spread.helpers import measure_network


@pytest.fixture
def star(db, make, clock):
    """A hub in Bolton with six recruits across boroughs, one of whom recruited one more."""
    clock.set(datetime(2026, 6, 1, 12, 0))
    hub = make.champion(first_name="Hannah", last_name="Hub", borough_code="bolton")
    spokes = [
        make.champion(first_name=f"Spoke{k}", last_name="S", borough_code=b, recruited_by_id=hub.id)
        for k, b in enumerate(("bury", "wigan", "oldham", "salford", "bury", "bolton"))
    ]
    far = make.champion(first_name="Farah", last_name="Far", borough_code="wigan", recruited_by_id=spokes[0].id)
    loner = make.champion(first_name="Lone", last_name="L", borough_code="rochdale")
    return {"hub": hub, "spokes": spokes, "far": far, "loner": loner}


def test_staff_see_the_figures_of_the_newest_run(auth, client, db, star):
    auth.login_as("staff")
    empty = client.get("/staff/spread").get_data(as_text=True)
    assert "has not been measured yet" in empty and "Measure the network now" in empty
    run = measure_network(db)
    html = client.get("/staff/spread").get_data(as_text=True)
    figures = run.figures
    assert figures["r"]["sentence"].replace("'", "&#39;") in html
    assert "brokerage measured exactly" in html
    assert f"{run.champions} champions and {run.ties} ties" in html
    # Every cohort's row of R, with its interval.
    for cohort in figures["r"]["by_cohort"]:
        assert cohort["cohort"] in html
    assert f"The longest chain of recruitment is {figures['chains']['longest']} steps deep" in html
    assert figures["chains"]["longest"] == 2
    # The hub heads the hubs, linked to their record and to their network's picture.
    assert figures["roles"]["hub"] == 1
    assert f'href="/staff/champions/{star["hub"].id}">Hannah Hub</a>' in html
    assert f'href="/staff/spread/champions/{star["hub"].id}"' in html
    assert f"Hubs: {figures['roles']['hub']}" in html
    assert f"(this run: {run.thresholds['hub_ties']} ties or more)" in html
    # The overview: a circle for each borough, and Bolton's 2 champions in its label.
    assert html.count("<circle ") >= 10 and "Bolton 2" in html
    assert 'role="img"' in html and 'aria-labelledby="overview-title overview-desc"' in html


def test_each_table_downloads_as_csv_with_its_header(auth, client, db, star):
    auth.login_as("staff")
    assert client.get("/staff/spread/cohorts.csv").status_code == 404  # no run yet
    run = measure_network(db)
    headers = {
        "cohorts": ["cohort", "champions", "recruits", "r", "low", "high", "complete"],
        "boroughs": ["borough", "champions", "recruits", "r", "low", "high"],
        "chains": ["depth", "champions"],
        "sources": ["source", "champions", "share"],
        "homophily": ["tie", "observed", "chance", "ratio"],
        "flows": ["from", *run.figures["flows"]["boroughs"], "total"],
        "overview": ["borough", "champions", "ties_inside"],
        "between": ["from", "to", "ties"],
        "champions": ["champion_id", "name", "borough", "ties", "strength", "betweenness", "reach_2", "reach_3"],
    }
    assert set(headers) == set(CSV_TABLES)
    for table, header in headers.items():
        response = client.get(f"/staff/spread/{table}.csv")
        assert response.status_code == 200 and response.mimetype == "text/csv", table
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
        assert rows[0][: len(header)] == header, table
    chains = list(csv.DictReader(io.StringIO(client.get("/staff/spread/chains.csv").get_data(as_text=True))))
    assert [(int(r["depth"]), int(r["champions"])) for r in chains] == [(0, 2), (1, 6), (2, 1)]
    flows = {r["from"]: r for r in csv.DictReader(io.StringIO(client.get("/staff/spread/flows.csv").text))}
    assert flows["Bolton"]["Bury"] == "2" and flows["Bolton"]["total"] == "6" and flows["Bury"]["Wigan"] == "1"
    people = {r["name"]: r for r in csv.DictReader(io.StringIO(client.get("/staff/spread/champions.csv").text))}
    assert people["Hannah Hub"]["ties"] == "6" and people["Hannah Hub"]["hub"] == "yes"
    assert client.get("/staff/spread/nothing.csv").status_code == 404


def test_measuring_now_makes_a_run_and_its_progress_answers(auth, client, db, star):
    staff = auth.login_as("staff")
    page = client.get("/staff/spread").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    data = {"csrf_token": token.group(1)} if token else {}
    response = client.post("/staff/spread/runs", data=data)
    assert response.status_code == 302
    run = db.session.scalar(select(SpreadRun).order_by(SpreadRun.id.desc()))
    assert run.requested_by_id == staff.id and response.headers["Location"].endswith(f"/staff/spread?run={run.id}")
    status = client.get(f"/staff/spread/runs/{run.id}").get_json()  # the task ran eagerly once committed
    assert status["finished"] is True and status["done"] == status["total"] == 4
    assert status["result_url"].endswith("/staff/spread") and status["error"] is None
    unfinished = SpreadRun(requested_by_id=staff.id)
    db.session.add(unfinished)
    db.session.commit()
    waiting = client.get(f"/staff/spread/runs/{unfinished.id}").get_json()
    assert waiting["finished"] is False and waiting["text"] == "Waiting for the background worker to start"
    html = client.get(f"/staff/spread?run={unfinished.id}").get_data(as_text=True)
    assert f'data-progress-url="/staff/spread/runs/{unfinished.id}"' in html and 'http-equiv="refresh"' in html
    assert client.get("/staff/spread/runs/999999").status_code == 404


def test_a_champions_network_is_drawn_with_a_node_and_a_row_for_each_person(auth, client, db, star):
    auth.login_as("staff")
    measure_network(db)
    hub, far, loner = star["hub"], star["far"], star["loner"]
    html = client.get(f"/staff/spread/champions/{hub.id}").get_data(as_text=True)
    begins = html.index('<svg class="app-network"')
    svg = html[begins : html.index("</svg>", begins)]
    # The hub, six spokes and Farah two steps away; the loner has no tie.
    assert svg.count("<g>") == 8
    assert 'role="img"' in html and '<title id="ego-title">' in svg
    assert svg.count("<line ") == 7  # each person joined to whoever they are reached through
    rows = dict(re.findall(r'data-champion="(\d+)">.*?numeric"><span[^>]*>[^<]*</span>(\d+)</td>', html, re.S))
    assert rows == {str(hub.id): "0", **{str(s.id): "1" for s in star["spokes"]}, str(far.id): "2"}
    assert "Hannah Hub" in svg and "role: Hub" in svg and "Farah Far" in html and "Lone" not in html
    assert "1 step" in svg and "3 steps" in svg
    alone = client.get(f"/staff/spread/champions/{loner.id}").get_data(as_text=True)
    assert alone.count("<g>") == 1 and "0 people one step away" in alone
    assert client.get("/staff/spread/champions/999999").status_code == 404


def test_a_drawing_stops_at_its_cap_and_says_how_many_are_left_out(db, make):
    from champions.spread import drawing, graph

    centre = make.champion()
    for _ in range(6):
        make.champion(recruited_by_id=centre.id)
    picture = drawing.ego(graph.load(), centre.id, cap=4)
    assert picture is not None and len(picture.people) == 4 and picture.left_out == 3 and picture.within == [6, 0, 0]


@pytest.mark.parametrize("role", [None, "champion", "funder", "applicant", "reviewer"])
def test_only_staff_see_the_spread_pages(app, db, make, star, role):
    measure_network(db)
    client = app.test_client()
    if role:
        user = make.user(role=role)
        client.post("/login", data={"email": user.email, "password": PASSWORD})
    run_id = db.session.scalar(select(SpreadRun.id))
    for url in (
        "/staff/spread",
        "/staff/spread/cohorts.csv",
        f"/staff/spread/champions/{star['hub'].id}",
        f"/staff/spread/runs/{run_id}",
    ):
        response = client.get(url)
        if role is None:
            assert response.status_code == 302 and "/login" in response.headers["Location"], url
        else:
            assert response.status_code == 403, (role, url)
    response = client.post("/staff/spread/runs")
    assert response.status_code in ((302,) if role is None else (400, 403))
    assert db.session.scalar(select(SpreadRun.id).order_by(SpreadRun.id.desc())) == run_id


def test_looking_at_a_champions_network_and_downloading_everyones_is_audited(client, db, make, auth):
    from champions.core.models import AuditEvent

    recruiter = make.champion()
    make.champion(recruited_by_id=recruiter.id)
    staff = auth.login_as("staff")
    run = SpreadRun()
    db.session.add(run)
    db.session.flush()
    services.compute(run)
    db.session.commit()
    assert client.get(f"/staff/spread/champions/{recruiter.id}").status_code == 200
    assert client.get("/staff/spread/champions.csv").status_code == 200
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.actor_id == staff.id)).all()
    actions = {(e.action, e.target_id) for e in events}
    assert ("champion.network_viewed", str(recruiter.id)) in actions
    assert any(e.action == "spread.champions_exported" and e.details["champions"] == 2 for e in events)
