"""The staff roster filters by network role (from the newest run) like by any other filter: on the page, in saved
searches, bulk actions and the CSV export, which carries each champion's ties, reach and roles (empty cells when
there has been no run). A role the list does not offer is ignored, or named as a problem, never a 500."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from champions.extensions import db as _db
from champions.profiles.models import Champion
from champions.roster import bulk
from champions.roster.models import ExportJob
from champions.roster.staff_services import (
    count_matches,
    filtered,
    parse_filters,
    saved_search_keys,
    saved_search_problems,
)
from tests.spread.helpers import measure_network


def _network(db, make):
    """Two hubs with five recruits each, and someone with no ties."""
    hubs = []
    for name in ("Hana", "Hugo"):
        hub = make.champion(first_name=name, last_name="Hubperson")
        for n in range(5):
            make.champion(first_name=f"Recruit{n}", last_name=f"Of{name}", recruited_by_id=hub.id)
        hubs.append(hub)
    loner = make.champion(first_name="Lone", last_name="Person")
    db.session.commit()
    return hubs, loner


def _ids(args) -> set[int]:
    query = filtered(parse_filters(MultiDict(args))).with_only_columns(Champion.id)
    return set(_db.session.scalars(query))


def _export(client, query: str) -> list[dict[str, str]]:
    response = client.post(f"/staff/champions/export{query}")
    assert response.status_code == 302
    download = client.get(response.headers["Location"] + "/download")
    return list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))


def test_the_role_filter_finds_exactly_the_hubs(auth, client, db, make):
    (hana, hugo), loner = _network(db, make)
    measure_network(db)
    assert _ids({"role": "hub"}) == {hana.id, hugo.id}
    assert count_matches(parse_filters(MultiDict({"role": "hub", "q": "hana"}))) == 1
    assert loner.id not in _ids({"role": "spanner"}) | _ids({"role": "gatekeeper"})
    auth.login_as("staff")
    page = client.get("/staff/champions?role=hub").get_data(as_text=True)
    assert "2 champions match" in page and "Hana Hubperson" in page and "Hugo Hubperson" in page
    assert "Recruit0" not in page and "Lone Person" not in page
    assert 'id="role"' in page and 'value="spanner"' in page and "Boundary spanner" in page


def test_a_role_the_list_does_not_offer_is_ignored_never_a_500(auth, client, db, make):
    _network(db, make)
    measure_network(db)
    auth.login_as("staff")
    for hostile in ("wizard", "hub\x00", "hub\x00hub", "h" * 20_000, "HUB", " hub", "%00", "0"):
        response = client.get("/staff/champions", query_string={"role": hostile})
        assert response.status_code == 200, hostile
        assert "13 champions match" in response.get_data(as_text=True)
        assert parse_filters(MultiDict({"role": hostile})).role == ""
    assert client.get("/staff/champions?role=hub&role=wizard").status_code == 200


def test_saved_searches_and_bulk_actions_take_the_role_filter(db, make, app):
    (hana, hugo), _ = _network(db, make)
    measure_network(db)
    assert "role" in saved_search_keys()
    assert saved_search_problems({"role": "hub"}) == {}
    assert saved_search_problems({"role": "wizard"}) == {
        "role": "Network role must be one of the choices the list offers"
    }
    assert parse_filters(MultiDict({"role": "hub"})).as_args() == {"role": "hub", "sort": "newest"}
    with app.test_request_context():
        selection = bulk.select_from(MultiDict({"scope": "all", "role": "hub"}))
    assert sorted(selection.ids) == sorted([hana.id, hugo.id])
    assert ("role", "hub") in selection.hidden_fields()


def test_the_export_carries_ties_reach_and_roles_and_empty_cells_without_a_run(auth, client, db, make):
    (hana, hugo), loner = _network(db, make)
    auth.login_as("staff")
    before = _export(client, "")
    assert len(before) == 13
    for column in ("ties", "reach_3_steps", "people_reached_3_degrees", "network_roles"):
        assert column in before[0]
        assert {row[column] for row in before} == {""}  # no run yet: empty, and the export still works

    measure_network(db)
    rows = {int(row["id"]): row for row in _export(client, "")}
    assert rows[hana.id]["ties"] == "5" and rows[hana.id]["reach_3_steps"] == "5"
    assert "Hub" in rows[hana.id]["network_roles"].split("; ")
    assert rows[loner.id]["ties"] == "0" and rows[loner.id]["network_roles"] == ""
    hubs_only = _export(client, "?role=hub")
    assert {int(row["id"]) for row in hubs_only} == {hana.id, hugo.id}
    assert all("Hub" in row["network_roles"] for row in hubs_only)
    jobs = list(db.session.scalars(select(ExportJob.filters).order_by(ExportJob.id)))
    assert jobs[-1] == {"role": "hub", "sort": "newest"}
