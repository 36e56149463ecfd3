"""Engagement figures against data counted by hand (the counts are worked out in the comments)."""

from __future__ import annotations

from datetime import date

import pytest

from champions.workshops.figures import engagement_figures
from champions.workshops.models import WorkshopRecruit
from champions.workshops.services import cancel_workshop, check_in, record_contact_attendance, sign_up
from tests.workshops.helpers import at, make_contact, make_org, make_workshop

NOW = at(2026, 6, 1)
START, END = date(2026, 1, 1), date(2026, 3, 31)


@pytest.fixture
def scenario(db, make):
    a = make_org(db, "Alpha Group", boroughs=("bolton",))
    b = make_org(db, "Beta Trust", boroughs=("bolton",))
    c = make_org(db, "Gamma Circle", boroughs=("bury",))
    d = make_org(db, "Delta Arts", boroughs=("bolton",))
    x = make.champion(first_name="Xena", borough_code="bury", when=at(2025, 6, 1))
    y = make.champion(first_name="Yusuf", borough_code="bolton", when=at(2025, 6, 1))
    z = make.champion(first_name="Zara", borough_code="bolton", when=at(2026, 1, 10, 12))
    w = make.champion(first_name="Wei", borough_code="bury", when=at(2025, 12, 1))
    z.heard_via_organisation_id = a.id  # joined in the period, through Alpha: counts for Bolton
    w.heard_via_organisation_id = c.id  # joined before the period: not counted
    a1, a2 = make_contact(db, a, "Ann One"), make_contact(db, a, "Ann Two")
    b1 = make_contact(db, b, "Ben One")
    c1 = make_contact(db, c, "Cal One", champion_id=x.id)  # the same person as champion Xena

    def workshop(borough, when, host=None, contacts=(), checked_in=(), booked=(), unregistered=0, **kw):
        ws = make_workshop(db, borough=borough, starts=when, host=host, unregistered_count=unregistered, **kw)
        for contact in contacts:
            record_contact_attendance(ws, contact)
        for champion in (*checked_in, *booked):
            signup = sign_up(ws.id, champion.id, by_staff=True)
            if champion in checked_in:
                check_in(signup)
        db.session.commit()
        return ws

    w1 = workshop("bolton", at(2026, 1, 10), a, [a1, a2, b1], [y], [z], unregistered=3)
    db.session.add(WorkshopRecruit(champion_id=z.id, workshop_id=w1.id))
    workshop("bolton", at(2026, 2, 10), None, [a1], [y])
    workshop("bury", at(2026, 3, 5), b, [c1, a1], [x], unregistered=2)  # Bolton's Beta hosts in Bury
    cancelled = workshop("bury", at(2026, 3, 20), None, [b1], [y])
    cancel_workshop(cancelled)
    workshop("bolton", at(2026, 4, 15), None, [b1], unregistered=9)  # after the period
    workshop("bolton", at(2026, 3, 25), d, unregistered=5, type="training")
    db.session.commit()


def figures_for(rows, code):
    return next(r.figures for r in rows if r.borough_code == code)


def test_every_figure_by_borough_matches_the_hand_count(scenario):
    result = engagement_figures(START, END, now=NOW)
    bolton = figures_for(result.rows, "bolton")
    # Bolton: three workshops held (10 Jan, 10 Feb, 25 Mar); organisations Alpha (host and contacts), Beta
    # (its contact Ben), Delta (host); individuals Ann One, Ann Two, Ben One; attendance 10 Jan: Yusuf + 3
    # contacts + 3 = 7, 10 Feb: Yusuf + Ann One = 2, 25 Mar: 5 = 14; Zara recruited at a workshop and
    # through Alpha; yield 1 recruit / 3 workshops.
    assert bolton == {
        "workshops_held": 3,
        "organisations_engaged": 3,
        "individuals_engaged": 3,
        "attendance": 14,
        "recruited_via_workshops": 1,
        "recruited_via_organisations": 1,
        "workshop_yield": 0.33,
    }
    # Bury: one workshop (the cancelled one is not held); organisations Beta (host), Gamma and Alpha
    # (contacts Cal and Ann One); attendance Xena + Ann One + 2 = 4 (Cal is Xena, counted once).
    assert figures_for(result.rows, "bury") == {
        "workshops_held": 1,
        "organisations_engaged": 3,
        "individuals_engaged": 2,
        "attendance": 4,
        "recruited_via_workshops": 0,
        "recruited_via_organisations": 0,
        "workshop_yield": 0.0,
    }
    for row in result.rows:
        if row.borough_code not in ("bolton", "bury"):
            assert set(row.figures.values()) == {0}, row.borough_name


def test_totals_count_each_organisation_and_person_once(scenario):
    total = engagement_figures(START, END, now=NOW).total.figures
    # Alpha and Beta engaged in both boroughs, and Ann One attended in both: each counts once.
    assert total == {
        "workshops_held": 4,
        "organisations_engaged": 4,
        "individuals_engaged": 4,
        "attendance": 18,
        "recruited_via_workshops": 1,
        "recruited_via_organisations": 1,
        "workshop_yield": 0.25,
    }


def test_one_borough_one_type_and_a_period(scenario):
    bury = engagement_figures(START, END, borough_code="bury", now=NOW)
    assert [r.borough_code for r in bury.rows] == ["bury"]
    assert bury.total.figures == bury.rows[0].figures
    training = engagement_figures(START, END, now=NOW, workshop_type="training").total.figures
    assert (training["workshops_held"], training["attendance"], training["organisations_engaged"]) == (1, 5, 1)
    spring = engagement_figures(date(2026, 3, 1), date(2026, 4, 30), now=NOW).total.figures
    # 5 Mar, 25 Mar and 15 Apr: attendance 4 + 5 + (Ben + 9) = 19.
    assert (spring["workshops_held"], spring["attendance"]) == (3, 19)


def test_a_workshop_in_the_future_is_not_yet_held(scenario):
    figures = engagement_figures(START, END, now=at(2026, 3, 1)).total.figures
    assert figures["workshops_held"] == 2


def test_the_staff_page_and_csv_show_the_figures(scenario, client, auth):
    auth.login_as("staff")
    page = client.get("/staff/engagement?from=2026-01-01&to=2026-03-31")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Engagement by borough" in text and "Greater Manchester" in text
    csv = client.get("/staff/engagement.csv?from=2026-01-01&to=2026-03-31").get_data(as_text=True)
    lines = csv.strip().splitlines()
    assert lines[0].startswith("borough,from,to,workshops_held,organisations_engaged")
    bolton = next(line for line in lines if line.startswith("Bolton,"))
    assert bolton.split(",")[3:] == ["3", "3", "3", "14", "1", "1", "0.33"]
    assert client.get("/staff/engagement?from=nonsense").status_code == 400
