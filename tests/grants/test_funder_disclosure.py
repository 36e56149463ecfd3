"""Small numbers on the funder dashboard cannot be worked out: a reader of every table and spreadsheet of a fund.

The reader knows what the spreadsheets show (each is the page's table), the headline figures, that a count
"fewer than 5" is 1 to 4 and one "not shown" is 5 or more, and that hidden money is more than nothing. For every
column whose cells add up to a fund-wide figure, it solves the shown figures for the hidden ones with
core.disclosure.recover. It must find none, and no count from 1 to 4 or money of 1 to 4 grants may be shown.
"""

from __future__ import annotations

import csv
import io
import random
import re

from sqlalchemy import select

from champions.core import disclosure
from champions.core.disclosure import FEWER_THAN_SMALL, NOT_SHOWN
from champions.core.snapshots import latest_snapshot
from champions.demo.grants import seed_grants
from champions.grants.dashboard import SIGNPOSTINGS, snapshot_kind
from champions.grants.models import Fund
from champions.grants.tasks import compute_funder_snapshot
from tests.conftest import run_task

TABLES = (
    "money",
    "rounds",
    "applications",
    "award_sizes",
    "boroughs",
    "themes",
    "outcomes",
    "outcome_kinds",
    "overdue",
)
HIDDEN = (FEWER_THAN_SMALL, NOT_SHOWN)
# (table, column) -> the headline figure, as (table, row label), that the column adds up to
ADDS_UP_TO = {
    ("rounds", "Applications received"): ("applications", "Received"),
    ("rounds", "Awarded"): ("money", "Awarded"),
    ("rounds", "Paid"): ("money", "Paid"),
    ("rounds", "Remaining to award"): ("money", "Remaining to award"),
    ("themes", "Applications received"): ("applications", "Received"),
    ("themes", "Grants approved"): ("applications", "Approved"),
    ("themes", "Amount awarded"): ("money", "Awarded"),
    ("award_sizes", "Grants"): ("applications", "Approved"),
    ("overdue", "Reports"): ("overdue", "Total"),
    ("outcome_kinds", "People signposted"): ("outcomes", SIGNPOSTINGS),
}
MONEY_COLUMNS = {"Awarded", "Paid", "Remaining to award", "Amount awarded", "Budget"}


def _spreadsheets(client, fund_id: int) -> dict[str, list[list[str]]]:
    sheets = {}
    for table in TABLES:
        response = client.get(f"/grants/funder/funds/{fund_id}/{table}.csv")
        assert response.status_code == 200, table
        sheets[table] = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    return sheets


def _number(text: str) -> int | None:
    """A shown figure in whole units (pence for money); None for a hidden one."""
    if text in HIDDEN:
        return None
    assert re.fullmatch(r"-?£?[\d,]+(\.\d\d)?", text), text
    pence = "." in text or "£" in text
    value = float(text.replace("£", "").replace(",", ""))
    return round(value * 100) if pence else int(value)


def _headline(sheets, table: str, label: str) -> int | None:
    rows = {row[0]: row[1] for row in sheets[table][1:] if len(row) > 1}
    return _number(rows[label])


def _column(sheets, table: str, name: str) -> tuple[list[str], list[str]]:
    header, *rows = sheets[table]
    k = header.index(name)
    body = [row for row in rows if len(row) == len(header) and row[0] != "Total"]
    return [row[0] for row in body], [row[k] for row in body]


def _attack(sheets, table: str, name: str, total: int | None) -> dict:
    """What the reader works out of one column that adds up to ``total`` (None when no total is shown)."""
    _, labels = _column(sheets, table, name)
    money = name in MONEY_COLUMNS
    # A column held back whole says nothing of its cells (some may be none at all).
    whole = all(label == NOT_SHOWN for label in labels)
    cells = tuple((_number(label),) for label in labels)
    small = frozenset((i, 0) for i, label in enumerate(labels) if label == FEWER_THAN_SMALL)
    bounds = {
        (i, 0): (0, None)
        if whole
        else disclosure.ANY_AMOUNT
        if money
        else disclosure.SMALL_COUNT
        if label == FEWER_THAN_SMALL
        else disclosure.PROTECTING_COUNT
        for i, label in enumerate(labels)
        if label in HIDDEN
    }
    shown = disclosure.Table(cells, None, (total,), total, small, bounds)
    return disclosure.recover(shown)


def assert_nothing_can_be_worked_out(sheets: dict[str, list[list[str]]], data: dict) -> None:
    for (table, name), (head_table, head_label) in ADDS_UP_TO.items():
        if not _column(sheets, table, name)[1]:
            continue  # the table is held back whole
        own_total = next((row for row in sheets[table][1:] if row and row[0] == "Total"), None)
        totals = {_headline(sheets, head_table, head_label)}
        if own_total:
            totals.add(_number(own_total[sheets[table][0].index(name)]))
        shown_totals = totals - {None}
        assert len(shown_totals) <= 1, (table, name, totals)  # the same figure, where shown
        total = shown_totals.pop() if shown_totals else None
        assert _attack(sheets, table, name, total) == {}, (table, name)
    # What remains of a round's budget is its budget less its award: shown only where the award is.
    _, awarded = _column(sheets, "rounds", "Awarded")
    _, remaining = _column(sheets, "rounds", "Remaining to award")
    assert [a in HIDDEN for a in awarded] == [r in HIDDEN for r in remaining]
    # The boroughs add up to more than the fund (an application may name several): protected as if they did not.
    for name, key in (("Applications received", "received"), ("Grants approved", "approved")):
        if _column(sheets, "boroughs", name)[1]:
            assert _attack(sheets, "boroughs", name, sum(r[key] for r in data["by_borough"])) == {}, name


def assert_no_small_number_is_shown(sheets: dict[str, list[list[str]]], data: dict) -> None:
    def fine(count: int) -> bool:
        return count == 0 or count >= disclosure.SMALL

    for table in ("rounds", "applications", "award_sizes", "boroughs", "themes", "overdue", "outcome_kinds"):
        header, *rows = sheets[table]
        for row in rows:
            for name, cell in zip(header[1:], row[1:], strict=False):
                if name not in MONEY_COLUMNS and (value := _number(cell)) is not None:
                    assert fine(value), (table, row)
    money = {"Awarded": data["counts"]["approved"], "Paid": data["money"]["paid_grants"]}
    money["Remaining to award"] = money["Awarded"]
    for label, grants in money.items():
        assert _headline(sheets, "money", label) is None or fine(grants), label
    # The money of each round and theme is shown only where at least 5 grants (or none) add it up.
    names, awarded = _column(sheets, "rounds", "Awarded")
    _, paid = _column(sheets, "rounds", "Paid")
    by_round = {r["name"]: r for r in data["rounds"]}
    for name, a, p in zip(names, awarded, paid, strict=True):
        assert a in HIDDEN or fine(by_round[name]["grants"]), name
        assert p in HIDDEN or fine(by_round[name]["paid_grants"]), name
    names, themes_money = _column(sheets, "themes", "Amount awarded")
    by_theme = {r["name"]: r["approved"] for r in data["by_theme"]}
    assert all(m in HIDDEN or fine(by_theme[n]) for n, m in zip(names, themes_money, strict=True))
    outcomes = sheets["outcomes"][1:]
    assert fine(data["outcomes"]["reports"]) or outcomes == [[outcomes[0][0]]] and "Not shown" in outcomes[0][0]


def _check_fund(client, fund_id: int) -> dict[str, list[list[str]]]:
    data = latest_snapshot(snapshot_kind(fund_id)).data
    sheets = _spreadsheets(client, fund_id)
    assert_nothing_can_be_worked_out(sheets, data)
    assert_no_small_number_is_shown(sheets, data)
    page = client.get(f"/grants/funder/funds/{fund_id}").get_data(as_text=True)
    for table in ("money", "rounds", "themes"):  # the page shows what the spreadsheets do
        for row in sheets[table][1:]:
            assert all(cell.replace("&", "&amp;") in page for cell in row), row
    return sheets


def test_no_hidden_figure_of_the_demo_funds_can_be_worked_out(client, auth, db):
    seed_grants(random.Random(2017))
    db.session.commit()
    auth.login_as("staff")
    funds = list(db.session.scalars(select(Fund)))
    assert funds
    hidden = 0
    for fund in funds:
        sheets = _check_fund(client, fund.id)
        hidden += sum(cell in HIDDEN for rows in sheets.values() for row in rows for cell in row)
    assert hidden  # the demo has small numbers to protect, so the reader had something to try


def _round_of_grants(make, fund, name: str, grants: int, theme: str = "Social isolation", **values):
    round_ = make.round(fund=fund, name=name, **values)
    for _ in range(grants):
        make.application(round=round_, status="approved", theme=theme, amount_requested_pence=100_000)
    return round_


def test_a_theme_of_four_grants_cannot_be_worked_out_from_the_totals(client, auth, make, db):
    fund = make.fund()
    round_ = _round_of_grants(make, fund, "Round 1", 10)
    for _ in range(4):
        make.application(round=round_, status="approved", theme="Screening", amount_requested_pence=100_000)
    run_task(compute_funder_snapshot, fund.id)
    auth.login_as("staff")
    sheets = _check_fund(client, fund.id)
    themes = dict((row[0], row[1:]) for row in sheets["themes"][1:])
    assert themes["Screening"] == [FEWER_THAN_SMALL] * 3
    # The headline shows 14 grants and £14,000, so the one other theme hides too, or Screening would be the rest.
    assert themes["Social isolation"] == [NOT_SHOWN] * 3
    assert _headline(sheets, "money", "Awarded") == 1_400_000 and themes["Total"] == ["14", "14", "£14,000"]
    assert "£4,000" not in str(sheets) and "£10,000" not in str(sheets)


def test_a_round_of_one_application_shows_neither_it_nor_its_money(client, auth, make, db):
    fund = make.fund()
    _round_of_grants(make, fund, "Round 1", 12)
    _round_of_grants(make, fund, "Round 2", 1)
    run_task(compute_funder_snapshot, fund.id)
    auth.login_as("staff")
    sheets = _check_fund(client, fund.id)
    rounds = {row[0]: row[1:] for row in sheets["rounds"][1:]}
    received, budget, awarded, paid, remaining = rounds["Round 2"]
    assert (received, awarded, remaining) == (FEWER_THAN_SMALL, FEWER_THAN_SMALL, FEWER_THAN_SMALL)
    assert budget == "£60,000" and paid == "£0"
    # Round 1 hides with it: otherwise the fund's 13 applications and £13,000 less Round 1 would give Round 2 away.
    assert rounds["Round 1"][0] == NOT_SHOWN and rounds["Round 1"][2] == NOT_SHOWN
    assert "£1,000" not in str(sheets["rounds"]) + str(sheets["money"])


def test_a_column_that_cannot_be_shown_beside_its_total_is_held_back_whole(client, auth, make, db):
    fund = make.fund()
    round_ = _round_of_grants(make, fund, "Round 1", 5)
    make.application(round=round_, status="approved", theme="Screening", amount_requested_pence=100_000)
    for _ in range(4):
        make.application(round=round_, status="declined", theme="Social isolation")
    run_task(compute_funder_snapshot, fund.id)
    auth.login_as("staff")
    sheets = _check_fund(client, fund.id)
    themes = {row[0]: row[1:] for row in sheets["themes"][1:]}
    # Six grants: 5 and 1 by theme. Were the 1 hidden and the 5 with it, a reader who knows that a count "not shown"
    # is at least 5 would have both from the six: so no theme's grants are shown, and the six is.
    assert themes["Screening"][1] == NOT_SHOWN == themes["Social isolation"][1]
    assert themes["Total"][1] == "6" and _headline(sheets, "applications", "Approved") == 6
    # The money of the two themes may be anything above nothing, so their sum gives neither away.
    assert themes["Total"][2] == "£6,000" == sheets["money"][2][1]
