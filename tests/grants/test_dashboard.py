"""The funder dashboard: figures, small-number suppression, CSV, and funders kept to their own funds."""

from __future__ import annotations

import csv
import io
import logging
import re
from datetime import timedelta

import pytest

from champions.core.db import now_utc
from champions.core.disclosure import FEWER_THAN_SMALL, NOT_SHOWN
from champions.grants.dashboard import fund_figures
from champions.grants.tasks import compute_funder_snapshot, compute_funder_snapshots
from tests.conftest import run_task
from tests.grants.helpers import login


def _fund_with_grants(make, funder=None, bolton=5, wigan=2):
    fund = make.fund(funders=[funder] if funder else [])
    round_ = make.round(fund=fund, budget_pence=6_000_000)
    for _ in range(bolton):
        make.application(round=round_, status="reported", borough_codes=["bolton"], amount_requested_pence=130_000)
    for _ in range(wigan):
        make.application(
            round=round_, status="approved", borough_codes=["wigan"], amount_requested_pence=60_000, theme="Screening"
        )
    make.application(round=round_, status="declined")
    make.application(round=round_, status="draft")
    return fund


def test_fund_figures_add_up(make, db):
    fund = _fund_with_grants(make)
    data = fund_figures(fund.id)
    assert data["money"] == {
        "budget": 6_000_000, "awarded": 770_000, "paid": 650_000, "remaining": 5_230_000, "paid_grants": 5
    }  # fmt: skip
    assert data["counts"] == {"received": 8, "approved": 7, "declined": 1}
    assert data["rounds"] == [
        {
            "name": "Round 1",
            "budget": 6_000_000,
            "awarded": 770_000,
            "paid": 650_000,
            "received": 8,
            "grants": 7,
            "paid_grants": 5,
        }  # fmt: skip
    ]
    assert {b["band"]: b["grants"] for b in data["award_bands"]}["£1,000 to £1,499"] == 5
    assert {b["band"]: b["grants"] for b in data["award_bands"]}["£500 to £999"] == 2
    # five reports of 200 people and 8 champions each, on £6,500 paid to those groups
    o = data["outcomes"]
    assert (o["people_reached"], o["champions_recruited"]) == (1000, 40)
    assert (o["cost_per_champion"], o["cost_per_person"]) == (16_250, 650)


def test_a_report_sent_back_to_its_group_counts_towards_no_outcome_until_sent_again(make, db):
    from champions.grants.models import Application
    from champions.grants.services.reports import return_report

    fund = _fund_with_grants(make)
    reported = db.session.scalars(db.select(Application).where(Application.status == "reported")).first()
    return_report(reported, "The people reached look like a typing slip")
    db.session.commit()
    o = fund_figures(fund.id)["outcomes"]
    assert (o["reports"], o["people_reached"], o["champions_recruited"]) == (4, 800, 32)
    assert o["paid_to_reporters"] == 520_000  # the money to the four whose reports stand


def test_overdue_reports_are_listed(make, db):
    fund = make.fund()
    round_ = make.round(fund=fund)
    late = make.application(round=round_, status="paid_full")
    late.report_due_on = now_utc().date() - timedelta(days=1)
    db.session.commit()
    assert [r["application_id"] for r in fund_figures(fund.id)["overdue"]] == [late.id]


def _csv(client, fund, table):
    return list(
        csv.reader(io.StringIO(client.get(f"/grants/funder/funds/{fund.id}/{table}.csv").get_data(as_text=True)))
    )


def test_the_funder_sees_their_fund_with_small_counts_suppressed_and_every_table_as_csv(client, make, db):
    funder = make.user(role="funder")
    fund = _fund_with_grants(make, funder, bolton=9, wigan=2)
    for _ in range(6):
        make.application(
            round=fund.rounds[0],
            status="approved",
            borough_codes=["oldham"],
            amount_requested_pence=100_000,
        )
    run_task(compute_funder_snapshot, fund.id)
    login(client, funder)
    page = client.get(f"/grants/funder/funds/{fund.id}").get_data(as_text=True)
    assert "Figures computed" in page and "£60,000" in page and FEWER_THAN_SMALL in page
    assert 'data-chart-table="table-award_sizes"' in page
    boroughs = _csv(client, fund, "boroughs")
    assert boroughs[0] == ["Borough", "Applications received", "Grants approved", "Amount awarded"]
    assert ["Bolton", "10", "9", "£11,700"] in boroughs  # 9 reported grants and one declined application
    assert ["Wigan", FEWER_THAN_SMALL, FEWER_THAN_SMALL, FEWER_THAN_SMALL] in boroughs
    # Wigan's 2 alone would be the total less the rest: the next smallest, Oldham, is hidden with it.
    assert ["Oldham", NOT_SHOWN, NOT_SHOWN, NOT_SHOWN] in boroughs
    themes = _csv(client, fund, "themes")
    assert ["Screening", FEWER_THAN_SMALL, FEWER_THAN_SMALL, FEWER_THAN_SMALL] in themes
    # With two themes, the other one hides too, or Screening would be the total less it.
    assert ["Social isolation", NOT_SHOWN, NOT_SHOWN, NOT_SHOWN] in themes and themes[-1] == [
        "Total",
        "18",
        "17",
        "£18,900",
    ]
    sizes = _csv(client, fund, "award_sizes")
    assert ["£500 to £999", FEWER_THAN_SMALL] in sizes and ["£1,000 to £1,499", NOT_SHOWN] in sizes
    assert ["Under £500", "0"] in sizes and sizes[-1] == ["Total", "17"]
    for table in ("money", "rounds", "applications", "award_sizes", "themes", "outcomes", "overdue"):
        response = client.get(f"/grants/funder/funds/{fund.id}/{table}.csv")
        assert response.status_code == 200 and response.mimetype == "text/csv", table


def test_a_fund_of_fewer_than_ten_applications_shows_no_breakdown(client, make, db):
    funder = make.user(role="funder")
    fund = _fund_with_grants(make, funder, bolton=5, wigan=2)  # 8 received (a draft is not), 7 approved
    run_task(compute_funder_snapshot, fund.id)
    login(client, funder)
    page = client.get(f"/grants/funder/funds/{fund.id}").get_data(as_text=True)
    assert "Not shown until at least 10 applications have been received." in page and "Bolton" not in page
    assert "Not shown until at least 10 grants have been approved." in page
    assert _csv(client, fund, "boroughs")[1:] == [["Not shown until at least 10 applications have been received."]]
    assert _csv(client, fund, "money")[1] == ["Budget", "£60,000"]


def test_a_funder_can_never_see_another_funders_fund(client, make, db):
    mine, theirs = make.user(role="funder"), make.user(role="funder")
    their_fund = _fund_with_grants(make, theirs, bolton=1, wigan=0)
    my_fund = make.fund(name="My fund", funders=[mine])
    run_task(compute_funder_snapshots)
    login(client, mine)
    home = client.get("/grants/funder").get_data(as_text=True)
    assert "My fund" in home and their_fund.name not in home.replace("My fund", "")
    application = their_fund.rounds[0]
    urls = [f"/grants/funder/funds/{their_fund.id}"] + [
        f"/grants/funder/funds/{their_fund.id}/{t}.csv" for t in ("money", "boroughs", "themes", "overdue")
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    for url in (
        f"/grants/staff/rounds/{application.id}",
        f"/grants/staff/rounds/{application.id}/applications.csv",
        f"/grants/staff/funds/{their_fund.id}",
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/grants/funder/funds/{their_fund.id}/recompute").status_code == 403
    assert client.get(f"/grants/funder/funds/{my_fund.id}").status_code == 200


def test_the_dashboard_says_when_nothing_has_been_computed(client, auth, make, db):
    fund = make.fund()
    auth.login_as("staff")
    assert "No figures have been computed" in client.get(f"/grants/funder/funds/{fund.id}").get_data(as_text=True)
    assert client.post(f"/grants/funder/funds/{fund.id}/recompute").status_code == 302
    assert "Figures computed" in client.get(f"/grants/funder/funds/{fund.id}").get_data(as_text=True)


def _closed_without_award(make, round_, how: str):
    from champions.grants.services import applications, awards

    if how == "declined":
        application = make.application(round=round_, status="declined")
    else:
        application = make.application(round=round_, status="eligible")
        applications.override_eligibility(application, False, "Outside Greater Manchester")
    awards.close(application, reason="Tidying up")
    make.db.session.commit()
    return application


def test_closing_a_declined_or_ineligible_application_awards_nothing(make, db):
    from champions.grants.services.lifecycle import awarded_total

    fund = make.fund()
    round_ = make.round(fund=fund, budget_pence=6_000_000)
    make.application(round=round_, status="closed", amount_requested_pence=130_000)  # closed after its report
    for how in ("declined", "ineligible"):
        assert _closed_without_award(make, round_, how).award_pence is None
    data = fund_figures(fund.id)
    assert data["money"]["awarded"] == 130_000 and awarded_total(round_.id) == 130_000
    assert data["counts"]["approved"] == 1
    assert sum(b["grants"] for b in data["award_bands"]) == 1
    assert run_task(compute_funder_snapshots) == 1


def test_one_funds_failure_leaves_the_others_refreshed_and_is_logged(make, db, monkeypatch, caplog):
    from champions.core.snapshots import latest_snapshot
    from champions.grants import tasks
    from champions.grants.dashboard import compute_fund_snapshot, snapshot_kind

    broken, working = make.fund(name="Broken").id, make.fund(name="Working").id

    def compute(fund_id):
        if fund_id == broken:
            raise TypeError("a figure that cannot be computed")
        return compute_fund_snapshot(fund_id)

    monkeypatch.setattr(tasks, "compute_fund_snapshot", compute)
    # The migrations' logging set-up (alembic's fileConfig, run by the test database set-up) disables loggers.
    monkeypatch.setattr(logging.getLogger("champions.grants"), "disabled", False)
    with pytest.raises(tasks.SnapshotsFailed, match=re.escape(f"funds [{broken}]")):
        run_task(compute_funder_snapshots)
    assert latest_snapshot(snapshot_kind(working)) is not None
    assert latest_snapshot(snapshot_kind(broken)) is None
    [record] = [r for r in caplog.records if r.levelname == "ERROR"]
    assert f"fund {broken} failed" in record.getMessage() and record.exc_info[0] is TypeError


def test_the_funder_page_says_its_published_grants_name_each_group_unlike_its_figures(client, make, db):
    funder = make.user(role="funder")
    fund = _fund_with_grants(make, funder)
    run_task(compute_funder_snapshot, fund.id)
    login(client, funder)
    page = client.get(f"/grants/funder/funds/{fund.id}").get_data(as_text=True)
    assert "these files name each group and its grant, so any figure hidden above can be worked out" in page
    assert "no group can be identified" not in page  # the figures alone never claimed what the files undo
