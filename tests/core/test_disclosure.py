"""Small numbers: the threshold, primary and secondary suppression, and a reader who tries to work out every hidden
cell of every table the mechanism publishes."""

from __future__ import annotations

import random

import pytest

from champions.core.disclosure import (
    ANY_AMOUNT,
    SMALL,
    Table,
    one_way,
    protect,
    protect_money,
    recover,
)

pytestmark = pytest.mark.once


def _brute_force(table: Table, cap: int) -> dict:
    """Every whole-number filling of the hidden cells that agrees with what is shown; the cells it pins to one value.

    Independent of ``recover``: it tries values rather than reasoning about them (small tables only).
    """
    hidden = table.hidden()
    lines = [(cells, value) for _, cells, value in table.published_lines()]
    seen: dict = {c: set() for c in hidden}
    values: dict = {}

    def fits(final: bool) -> bool:
        for cells, value in lines:
            filled = [table.cells[i][j] if (i, j) not in seen else values.get((i, j)) for i, j in cells]
            known = sum(v for v in filled if v is not None)
            if known > value or (None not in filled and known != value):
                return False
        return True

    def fill(k: int) -> bool:
        if all(len(v) > 1 for v in seen.values()):
            return True  # every hidden cell already has two possible values
        if k == len(hidden):
            for c in hidden:
                seen[c].add(values[c])
            return False
        low, high = table.bounds[hidden[k]]
        for v in range(low, (cap if high is None else high) + 1):
            values[hidden[k]] = v
            if fits(False) and fill(k + 1):
                return True
        values.pop(hidden[k], None)
        return False

    fill(0)
    return {c: next(iter(v)) for c, v in seen.items() if len(v) == 1}


def _random_grid(rng: random.Random, rows: int, cols: int) -> list[list[int]]:
    return [[rng.choice([0, 1, 2, 3, 4, 5, 6, 7, 9, 12, 20]) for _ in range(cols)] for _ in range(rows)]


def _check_published(values, table: Table) -> None:
    for i, row in enumerate(table.cells):
        for j, v in enumerate(row):
            assert v is None or v == 0 or v >= SMALL, (values, table)
            assert v is None or v == values[i][j]
    for _, cells, _ in table.published_lines():
        hidden = [values[i][j] for i, j in cells if table.cells[i][j] is None]
        assert not hidden or sum(hidden) >= SMALL, (values, table)
    assert recover(table) == {}, (values, table)


def test_a_table_of_fewer_than_ten_respondents_is_withheld():
    assert one_way({"Female": 1}).withheld
    assert one_way({"Female": 6, "Male": 3}).withheld
    assert protect([[9]]).withheld and protect([[9]]).hidden() == [(0, 0)]
    shown = one_way({"Female": 6, "Male": 5})
    assert (shown.rows, shown.other, shown.total, shown.withheld) == ([("Female", 6), ("Male", 5)], None, 11, False)


def test_a_single_small_answer_is_not_left_where_the_total_gives_it_away():
    # Shown alone as "fewer than 5", 3 = 23 - 20: the next smallest answer joins it, and the two show as one row.
    counts = {"White: Irish": 3, "Any other White background": 7, "White: English": 20}
    table = one_way(counts)
    assert table.rows == [("White: English", 20)] and table.other == 10 and table.total == 30


def test_other_that_would_itself_be_small_takes_the_next_smallest_answer_too():
    table = one_way({"A": 1, "B": 2, "C": 6, "D": 30})
    assert table.other == 9 and table.rows == [("D", 30)]


def test_the_reader_subtracts_a_lone_hidden_cell_and_solves_rows_and_columns():
    lone = Table(cells=((None,), (20,)), row_totals=None, column_totals=(23,), total=23, bounds={(0, 0): (0, None)})
    assert recover(lone) == {(0, 0): 3}
    # Two hidden cells in a row, but the column equations pin each one down.
    grid = Table(
        cells=((None, None, 7), (8, None, 9)),
        row_totals=(14, 19),
        column_totals=(9, 8, 16),
        total=None,
        bounds={c: (0, None) for c in [(0, 0), (0, 1), (1, 1)]},
    )
    assert recover(grid) == {(0, 0): 1, (0, 1): 6, (1, 1): 2}
    # Ranges: two cells known to be 1 to 4 that add up to 8 are both 4.
    ranged = Table(cells=((None,), (None,), (30,)), row_totals=None, column_totals=(38,), total=38,
                   bounds={(0, 0): (1, 4), (1, 0): (1, 4)})  # fmt: skip
    assert recover(ranged) == {(0, 0): 4, (1, 0): 4}


def test_the_classic_two_by_two_block_protects_two_small_cells_in_a_grid():
    table = protect([[1, 6, 7], [8, 2, 9], [5, 5, 5]], row_totals=True)
    assert table.cells == ((None, None, 7), (None, None, 9), (5, 5, 5))
    assert table.row_totals == (14, 19, 15) and table.total == 48
    assert table.label((0, 0)) == "fewer than 5" and table.label((0, 1)) == "not shown"
    assert recover(table) == {} and _brute_force(table, cap=48) == {}


@pytest.mark.parametrize("seed", range(4))
def test_no_one_way_table_the_mechanism_publishes_gives_a_hidden_cell_away(seed):
    rng = random.Random(seed)
    for _ in range(250):
        values = _random_grid(rng, rng.randint(1, 9), 1)
        table = protect(values)
        if table.withheld:
            assert sum(v for (v,) in values) < 10
            continue
        _check_published(values, table)
        # One column with its total: the reader's ranges are exact, and trying every filling agrees.
        if len(table.hidden()) <= 5:
            assert _brute_force(table, cap=sum(v for (v,) in values)) == {}, (values, table)


@pytest.mark.parametrize("seed", range(4))
def test_no_two_way_table_the_mechanism_publishes_gives_a_hidden_cell_away(seed):
    rng = random.Random(100 + seed)
    for _ in range(60):
        values = _random_grid(rng, rng.randint(2, 3), rng.randint(2, 3))
        table = protect(values, row_totals=True)
        if table.withheld:
            continue
        _check_published(values, table)
        if len(table.hidden()) <= 6:
            cap = max(max(sum(r) for r in values), max(sum(c) for c in zip(*values, strict=True)))
            assert _brute_force(table, cap=cap) == {}, (values, table)


def test_money_of_fewer_than_five_grants_is_hidden_and_cannot_be_worked_out():
    rng = random.Random(7)
    for _ in range(200):
        grants = _random_grid(rng, rng.randint(2, 8), 1)
        amounts = [[n * rng.randint(500, 2_000) * 100] for (n,) in grants]
        counts = protect(grants)
        money = protect_money(amounts, counts)
        assert set(counts.hidden()) <= set(money.hidden())
        assert all(money.bounds[c] == ANY_AMOUNT for c in money.hidden())
        assert recover(money) == {}, (grants, amounts, money)
