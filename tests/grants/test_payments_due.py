"""The payments-due list: tranches not paid and not voided across rounds, soonest first, overdue marked, filtered,
paged by key and exported."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pytest

from champions.grants.services import awards
from champions.grants.services import payments_due as due

NOW = datetime(2027, 2, 10, 10, 0)


@pytest.fixture(autouse=True)
def _frozen(clock):
    clock.set(NOW)


@pytest.fixture
def tranches(make, db):
    """Two funds' rounds: due tranches on several dates, one waiting on the report, one paid, one void."""
    first = make.application(status="approved", amount_requested_pence=130_000, title="Tea and talk")
    other_round = make.round(fund=make.fund("Community Chest"), name="Chest 1")
    second = make.application(round=other_round, status="approved", amount_requested_pence=100_000, title="Walks")
    made = {
        "late": awards.add_payment(first.id, 30_000, date(2027, 1, 20), None, None),
        "paid": awards.add_payment(first.id, 40_000, date(2027, 1, 5), date(2027, 1, 6), "P"),
        "wait": awards.add_payment(first.id, 60_000, date(2027, 6, 1), None, None, waits_on_report=True),
        "soon": awards.add_payment(second.id, 50_000, date(2027, 2, 15), None, "S"),
        "void": awards.add_payment(second.id, 50_000, date(2027, 1, 1), None, None),
    }
    awards.void_payment(made["void"], "Entered twice")
    db.session.commit()
    return made, first, second


def test_only_unpaid_tranches_that_are_not_void_are_listed_soonest_first_and_paged_by_key(tranches):
    made, first, second = tranches
    page = due.due_page(due.DueFilters(), None)
    assert [p.id for p in page.items] == [made["late"].id, made["soon"].id, made["wait"].id]
    assert [due.is_overdue(p) for p in page.items] == [True, False, False]
    one = due.due_page(due.DueFilters(), None, size=1)
    two = due.due_page(due.DueFilters(), one.after, size=1)
    three = due.due_page(due.DueFilters(), two.after, size=1)
    assert [p.id for p in one.items + two.items + three.items] == [p.id for p in page.items]
    assert three.after is None
    assert due.due_page(due.DueFilters(), "garbage~x\x00").items == page.items  # a bad key starts at the top


def test_the_filters_narrow_the_list(tranches):
    made, first, second = tranches
    by = lambda **f: [p.id for p in due.due_page(due.DueFilters(**f), None).items]  # noqa: E731
    assert by(round_id=second.round_id) == [made["soon"].id]
    assert by(fund_id=first.round.fund_id) == [made["late"].id, made["wait"].id]
    assert by(due_before=date(2027, 2, 16)) == [made["late"].id, made["soon"].id]
    assert by(waiting=True) == [made["wait"].id]


def test_the_page_marks_overdue_links_each_grant_exports_csv_and_refuses_a_bad_date(client, auth, tranches):
    made, first, second = tranches
    auth.login_as("staff")
    page = client.get("/grants/staff/payments-due").get_data(as_text=True)
    assert page.count("Overdue</strong>") == 1
    assert f"/grants/staff/applications/{first.id}" in page and f"/grants/staff/payments/{made['soon'].id}" in page
    home = client.get("/grants/staff").get_data(as_text=True)
    assert 'href="/grants/staff/payments-due"' in home  # in the staff menu, under Grants
    filtered = client.get(f"/grants/staff/payments-due?waiting=yes&fund={first.round.fund_id}").get_data(as_text=True)
    assert "Tea and talk" in filtered and "Walks" not in filtered
    response = client.get("/grants/staff/payments-due?due_before=2027-02-30")
    assert response.status_code == 400 and "Enter the date as year, month and day" in response.get_data(as_text=True)
    response = client.get("/grants/staff/payments-due.csv?waiting=yes")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == due.EXPORT_HEADER
    assert rows[1:] == [
        ["2027-06-01", "No", "£600", "Yes", "Not sent yet", str(first.id), "Tea and talk", first.group_display,
         "Round 1", "Small Sparks", ""]
    ]  # fmt: skip


def test_other_roles_cannot_see_the_payments_due(client, auth, tranches):
    auth.login_as("funder")
    assert client.get("/grants/staff/payments-due").status_code in (403, 404)
    assert client.get("/grants/staff/payments-due.csv").status_code in (403, 404)
