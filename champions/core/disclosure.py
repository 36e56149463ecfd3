"""Small numbers that cannot identify anyone: one way to publish tables of counts of people or grants.

Every table of people or grants grouped by a characteristic (an equality answer, a borough, a theme, an award
size) that a funder or the public sees, and staff's summary of equality answers, goes through ``protect``:

1. Threshold. A table of fewer than ``THRESHOLD`` (10) respondents is not shown at all (``withheld``).
2. Primary suppression. A count from 1 to 4 is not shown: it is "fewer than 5". A zero is shown, as it points at
   no one. Money awarded to fewer than 5 grants is not shown either: its caller hides the cells whose grant count
   is hidden (``protect_money``).
3. Secondary suppression. What is shown must not let a hidden cell be worked out. A reader knows every shown cell,
   every shown total, that a cell hidden as small is 1 to 4 and that a cell hidden to protect another is 5 or more
   (the pages label the two differently). ``recover`` is that reader: it subtracts along every row and column
   whose total is shown, narrows each hidden cell's range from those sums, and solves the sums as linear
   equations. The hidden cells of a line whose total is shown also add up to a number anyone can work out, and
   that number must not be a small one itself (at least 5). While either check fails, one more shown cell of the
   failing line is hidden: one whose other lines already hide a cell if there is one, then the smallest. A line
   with no shown cell left to hide loses its total instead.

A one-way table (one column of counts) may then show its hidden cells together as one "Other" row
(``one_way``): their sum is the total less the shown cells, so the row tells no more than the table did.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

THRESHOLD = 10
SMALL = 5
WITHHELD = f"Not shown until at least {THRESHOLD} people have answered"
FEWER_THAN_SMALL = f"fewer than {SMALL}"
NOT_SHOWN = "not shown"
# What the labels tell a reader about a hidden cell: (lowest, highest), None for no upper limit.
SMALL_COUNT = (1, SMALL - 1)
PROTECTING_COUNT = (SMALL, None)
ANY_AMOUNT = (1, None)

Cell = tuple[int, int]
Line = tuple[str, int]  # ("row", i), ("column", j) or ("total", 0)
Bounds = tuple[int, int | None]


@dataclass(frozen=True)
class Table:
    """A table as published: its cells by row and column (None where hidden) and the totals shown.

    ``row_totals`` / ``column_totals`` are None when the table has no such totals at all, and hold None for a
    total that is hidden. ``small`` are the cells hidden as small; the other hidden cells protect them.
    ``bounds`` is what the labels tell a reader about each hidden cell.
    """

    cells: tuple[tuple[int | None, ...], ...]
    row_totals: tuple[int | None, ...] | None
    column_totals: tuple[int | None, ...] | None
    total: int | None
    small: frozenset[Cell] = frozenset()
    bounds: Mapping[Cell, Bounds] = field(default_factory=dict)
    withheld: bool = False

    def hidden(self) -> list[Cell]:
        return [(i, j) for i, row in enumerate(self.cells) for j, v in enumerate(row) if v is None]

    def label(self, cell: Cell) -> str:
        """A cell as the page shows it."""
        value = self.cells[cell[0]][cell[1]]
        if value is not None:
            return f"{value:,}"
        return FEWER_THAN_SMALL if cell in self.small else NOT_SHOWN

    def published_lines(self) -> list[tuple[Line, list[Cell], int]]:
        """Each shown total with the cells it adds up."""
        n_rows, n_cols = len(self.cells), len(self.cells[0]) if self.cells else 0
        lines: list[tuple[Line, list[Cell], int]] = []
        for i, value in enumerate(self.row_totals or ()):
            if value is not None:
                lines.append((("row", i), [(i, j) for j in range(n_cols)], value))
        for j, value in enumerate(self.column_totals or ()):
            if value is not None:
                lines.append((("column", j), [(i, j) for i in range(n_rows)], value))
        if self.total is not None:
            lines.append((("total", 0), [(i, j) for i in range(n_rows) for j in range(n_cols)], self.total))
        return lines


# --- the reader who tries to work out every hidden cell ----------------------------------------------------------


def recover(table: Table) -> dict[Cell, int]:
    """Every hidden cell whose value the shown cells, the shown totals and the labels pin down, as far as this reader
    can tell: each shown total less its shown cells is a sum of hidden cells (an equation); the differences of nested
    sums (the grand total less its rows) and the equations reduced to echelon form are equations too; and each
    hidden cell's range narrows from every equation, given the others' ranges, until nothing changes."""
    hidden = table.hidden()
    if not hidden:
        return {}
    index = {c: k for k, c in enumerate(hidden)}
    equations: list[Equation] = []
    for _, cells, value in table.published_lines():
        unknown = [c for c in cells if c in index]
        if unknown:
            row = [Fraction(0)] * len(hidden)
            for c in unknown:
                row[index[c]] = Fraction(1)
            shown = sum(table.cells[i][j] or 0 for i, j in cells if (i, j) not in index)
            equations.append((row, Fraction(value - shown)))
    equations = _nested_differences(equations)
    equations += _echelon(equations, len(hidden))
    low: list[Fraction] = [Fraction(table.bounds.get(c, (0, None))[0]) for c in hidden]
    high: list[Fraction | float] = [
        math.inf if (top := table.bounds.get(c, (0, None))[1]) is None else Fraction(top) for c in hidden
    ]
    _narrow(equations, low, high)
    return {c: int(low[k]) for c, k in index.items() if high[k] == low[k]}


Equation = tuple[list[Fraction], Fraction]  # coefficients of the hidden cells, and what they add up to


def _nested_differences(equations: list[Equation]) -> list[Equation]:
    """A sum over a set of cells less a sum over some of them (the grand total less a row) is a sum too, and so on
    for the sums found that way (up to a limit that the tables here never reach)."""
    found = {frozenset(k for k, a in enumerate(row) if a): (row, value) for row, value in equations}
    queue = list(found)
    while queue and len(found) < 2000:
        cells = queue.pop()
        for other in list(found):
            for big, part in ((cells, other), (other, cells)):
                if part < big and (rest := big - part) not in found:
                    (big_row, big_value), (part_row, part_value) = found[big], found[part]
                    found[rest] = ([a - b for a, b in zip(big_row, part_row, strict=True)], big_value - part_value)
                    queue.append(rest)
    return list(found.values())


def _echelon(equations: list[Equation], width: int) -> list[Equation]:
    """The equations in reduced echelon form: a row holding one cell alone gives that cell's value."""
    rows = [[*row, value] for row, value in equations]
    pivot = 0
    for col in range(width):
        pick = next((r for r in range(pivot, len(rows)) if rows[r][col] != 0), None)
        if pick is None:
            continue
        rows[pivot], rows[pick] = rows[pick], rows[pivot]
        lead = rows[pivot][col]
        rows[pivot] = [x / lead for x in rows[pivot]]
        for r in range(len(rows)):
            if r != pivot and rows[r][col] != 0:
                factor = rows[r][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[pivot], strict=True)]
        pivot += 1
    return [(row[:-1], row[-1]) for row in rows[:pivot]]


def _narrow(equations: list[Equation], low: list[Fraction], high: list[Fraction | float]) -> None:
    """Interval reasoning: a*x = value - (the other terms), so x lies within what the other terms' ranges leave."""
    for _ in range(200):  # each pass narrows a whole-number range or stops; these tables settle in a few passes
        changed = False
        for row, value in equations:
            terms = [(k, a) for k, a in enumerate(row) if a]
            ranges = {k: (a * low[k], a * high[k]) if a > 0 else (a * high[k], a * low[k]) for k, a in terms}
            for k, a in terms:
                rest_low = sum(ranges[j][0] for j, _ in terms if j != k)
                rest_high = sum(ranges[j][1] for j, _ in terms if j != k)
                ends = ((value - rest_high) / a, (value - rest_low) / a)
                bottom, top = ends if a > 0 else ends[::-1]
                if bottom != -math.inf and bottom != math.inf and math.ceil(bottom) > low[k]:
                    low[k], changed = Fraction(math.ceil(bottom)), True
                if top != math.inf and top != -math.inf and math.floor(top) < high[k]:
                    high[k], changed = Fraction(math.floor(top)), True
        if not changed:
            return


# --- the mechanism ---------------------------------------------------------------------------------------------


def protect(
    values: Sequence[Sequence[int]],
    *,
    row_totals: bool = False,
    column_totals: bool = True,
    respondents: int | None = None,
    hide: Iterable[Cell] | None = None,
    small_bounds: Bounds = SMALL_COUNT,
    protecting_bounds: Bounds = PROTECTING_COUNT,
    floor: int = SMALL,
    threshold: int = THRESHOLD,
) -> Table:
    """Publish a table of counts (rows of columns; a one-way table is one column) safely, as the module says.

    ``respondents`` counts the people the threshold is about (the sum of the cells by default); ``hide`` names the
    cells to hide first instead of those from 1 to 4 (for money: where the grant count is hidden), with
    ``small_bounds`` what their label tells; ``floor`` is the least a line's hidden cells may add up to.
    """
    grid = [list(row) for row in values]
    cells = [(i, j) for i, row in enumerate(grid) for j in range(len(row))]
    everyone = sum(sum(row) for row in grid) if respondents is None else respondents
    hidden = set(hide if hide is not None else (c for c in cells if 0 < grid[c[0]][c[1]] < SMALL))
    small = frozenset(hidden)
    lines: set[Line] = set()
    if row_totals:
        lines |= {("row", i) for i in range(len(grid))}
    if column_totals:
        lines |= {("column", j) for j in range(len(grid[0]) if grid else 0)} | {("total", 0)}
    if everyone < threshold:
        return _publish(grid, set(cells), small, set(), row_totals, column_totals, withheld=True, bounds=small_bounds)
    while (failing := _failing(grid, hidden, small, lines, small_bounds, protecting_bounds, floor)) is not None:
        line_cells = _cells_of(failing, grid)
        shown = [c for c in line_cells if c not in hidden and grid[c[0]][c[1]] > 0]
        if shown:
            hidden.add(min(shown, key=lambda c: _cost(c, failing, grid, hidden, lines)))
        else:
            lines.discard(failing)
    table = _publish(grid, hidden, small, lines, row_totals, column_totals, bounds=small_bounds)
    return _with_bounds(table, small_bounds, protecting_bounds)


def protect_money(amounts: Sequence[Sequence[int]], grants: Table, **options) -> Table:
    """Money beside a table of grant counts: hidden wherever the count is, then protected in its own right."""
    return protect(
        amounts, hide=grants.hidden(), small_bounds=ANY_AMOUNT, protecting_bounds=ANY_AMOUNT, floor=1, threshold=0,
        **options,
    )  # fmt: skip


def _cost(cell: Cell, failing: Line, grid: list[list[int]], hidden: set[Cell], lines: set[Line]) -> tuple:
    """Which shown cell to hide next: one whose other lines already hide a cell (so it protects there too and opens
    no new line to protect), then the smallest."""
    others = [line for line in lines if line != failing and cell in _cells_of(line, grid)]
    fresh = sum(1 for line in others if not any(c in hidden for c in _cells_of(line, grid)))
    return fresh, grid[cell[0]][cell[1]], cell


def _cells_of(line: Line, grid: list[list[int]]) -> list[Cell]:
    kind, k = line
    if kind == "row":
        return [(k, j) for j in range(len(grid[k]))]
    if kind == "column":
        return [(i, k) for i in range(len(grid))]
    return [(i, j) for i in range(len(grid)) for j in range(len(grid[i]))]


def _failing(grid, hidden, small, lines, small_bounds, protecting_bounds, floor) -> Line | None:
    """A shown total whose hidden cells add up to a small number, or through which a hidden cell can be found."""
    for line in sorted(lines):
        inside = [c for c in _cells_of(line, grid) if c in hidden]
        if inside and sum(grid[i][j] for i, j in inside) < floor:
            return line
    table = _with_bounds(
        _publish(grid, hidden, small, lines, True, True, bounds=small_bounds), small_bounds, protecting_bounds
    )
    found = recover(table)
    for cell in sorted(found):
        through = [line for line in sorted(lines) if cell in _cells_of(line, grid)]
        with_shown = [
            line for line in through if any(c not in hidden and grid[c[0]][c[1]] > 0 for c in _cells_of(line, grid))
        ]
        return (with_shown or through)[0]
    return None


def _publish(grid, hidden, small, lines, row_totals, column_totals, *, withheld=False, bounds=SMALL_COUNT) -> Table:
    n_cols = len(grid[0]) if grid else 0
    return Table(
        cells=tuple(tuple(None if (i, j) in hidden else v for j, v in enumerate(row)) for i, row in enumerate(grid)),
        row_totals=tuple(sum(row) if ("row", i) in lines else None for i, row in enumerate(grid))
        if row_totals
        else None,
        column_totals=tuple(sum(row[j] for row in grid) if ("column", j) in lines else None for j in range(n_cols))
        if column_totals
        else None,
        total=sum(sum(row) for row in grid) if ("total", 0) in lines else None,
        small=frozenset(small),
        withheld=withheld,
    )


def _with_bounds(table: Table, small_bounds: Bounds, protecting_bounds: Bounds) -> Table:
    bounds = {c: small_bounds if c in table.small else protecting_bounds for c in table.hidden()}
    return Table(
        table.cells, table.row_totals, table.column_totals, table.total, table.small, bounds, table.withheld
    )  # fmt: skip


# --- a one-way table with its hidden answers together as "Other" ---------------------------------------------------


@dataclass(frozen=True)
class OneWay:
    """A one-way table as a page shows it: the shown answers, the hidden ones together, the total."""

    rows: list[tuple[str, int]]
    other: int | None  # the hidden answers together; None when none is hidden
    total: int | None
    withheld: bool


def one_way(counts: Mapping[str, int], *, respondents: int | None = None) -> OneWay:
    """Counts by answer (label: count), largest first, with answers that must not show merged into one row."""
    labels = [label for label, n in sorted(counts.items(), key=lambda item: (-item[1], item[0])) if n > 0]
    table = protect([[counts[label]] for label in labels], respondents=respondents)
    if table.withheld:
        return OneWay([], None, None, withheld=True)
    rows = [(label, n) for label, (n,) in zip(labels, table.cells, strict=True) if n is not None]
    if table.total is None:  # nothing could be shown without giving a small number away
        return OneWay([], None, None, withheld=True)
    hidden = sum(counts[labels[i]] for i, _ in table.hidden())
    return OneWay(rows, hidden if table.hidden() else None, table.total, withheld=False)
