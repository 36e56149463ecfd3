"""The programme dashboard in sections: a short overview that lists them, and a page for each with its charts,
their data tables and spreadsheets."""

from __future__ import annotations

import re

from champions.dashboards.sections import SECTIONS
from champions.dashboards.tasks import compute_programme_snapshot
from tests.conftest import run_task

# Each section's tables, by the spreadsheet each links to (the borough table's two halves share one).
TABLES = {
    "growth": {"trajectory", "projection"},
    "onboarding": {"funnel"},
    "retention": {"cohorts"},
    "boroughs": {"boroughs"},
    "engagement": {"topics"},
    "network": {"recruiters"},
    "nudges": set(),  # a table only once a nudge has been measured
    "outcomes": set(),  # tables only once an outcome has been recorded
}


def test_the_overview_lists_every_section_and_each_shows_its_tables_and_spreadsheets(client, auth, make, db):
    for borough in ("wigan", "bolton", "bury"):
        make.champion(borough_code=borough)
    run_task(compute_programme_snapshot)
    auth.login_as("staff")
    overview = client.get("/staff").get_data(as_text=True)
    assert "Champions in the network" in overview and "<table" not in overview  # the headline, not the detail
    for section in SECTIONS:
        assert f'href="/staff/dashboard/{section.slug}"' in overview and section.title in overview
    for section in SECTIONS:
        response = client.get(f"/staff/dashboard/{section.slug}")
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert f"<h1>{section.title}</h1>" in page and 'aria-current="page"' in page
        csvs = set(re.findall(r'href="/staff/dashboard/(\w+)\.csv"', page))
        assert csvs == TABLES[section.slug], section.slug
        for table in csvs:  # each chart's figures are in a table on the page, and in its spreadsheet
            assert client.get(f"/staff/dashboard/{table}.csv").status_code == 200
        # Every other section is one link away.
        assert all(f'href="/staff/dashboard/{other.slug}"' in page for other in SECTIONS if other != section)
        assert page.count("<table") >= len(csvs) and page.count("<canvas") <= page.count("<table")
    assert "Wigan" in client.get("/staff/dashboard/boroughs").get_data(as_text=True)


def test_a_section_before_any_figures_and_one_that_does_not_exist(client, auth, db):
    auth.login_as("staff")
    assert "No figures have been computed yet" in client.get("/staff/dashboard/growth").get_data(as_text=True)
    for slug in ("nothing", "GROWTH", "growth%00", "..%2f", "x" * 5000):
        assert client.get(f"/staff/dashboard/{slug}").status_code == 404, slug
