"""CSV files: one way to write them, safe to open in a spreadsheet, and downloads never kept in a browser cache.

Every CSV the app writes (downloads, the stored roster export, the champion's own data export) goes through
`SafeWriter`, which neutralises cells a spreadsheet would run as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import TextIO

from flask import Response

# OWASP's CSV-injection advice: a text cell starting with one of these may be read as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Stop a spreadsheet from running a cell as a formula: text gets a leading quote.

    Only text is changed; numbers the app writes as int or float (a negative balance) stay numbers.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def unguard_cell(text: str) -> str:
    """The cell `safe_cell` was given: the guarding quote before a formula start is taken off, as a spreadsheet
    does when it opens the file. An apostrophe anywhere else (O'Neil, 'Nan') is part of the text and stays."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


class SafeWriter:
    """A ``csv.writer`` whose every cell, header included, passes through `safe_cell`."""

    def __init__(self, out: TextIO) -> None:
        self._writer = csv.writer(out, lineterminator="\r\n")

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_text(header: Iterable[object], rows: Iterable[Iterable[object]]) -> str:
    buffer = io.StringIO()
    writer = SafeWriter(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def dict_csv_text(rows: Sequence[Mapping[str, object]]) -> str:
    """Rows of dicts as CSV: every key a column, first seen first; an empty file when there are no rows."""
    if not rows:
        return ""
    fields = list(dict.fromkeys(key for row in rows for key in row))
    return csv_text(fields, ([row.get(f, "") for f in fields] for row in rows))


def excel_csv_bytes(text: str) -> bytes:
    """A CSV file's bytes for a file a person opens from their disk: UTF-8 with a byte order mark, without which
    Excel reads UTF-8 as the Windows code page and shows accented names (José, Zoë) as mojibake."""
    return ("\ufeff" + text).encode("utf-8")


def csv_download(text: str, filename: str) -> Response:
    """A CSV file as an attachment; not stored by the browser, since most of these hold personal data."""
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


def csv_response(filename: str, header: list[str], rows: Iterable[Iterable[object]]) -> Response:
    return csv_download(csv_text(header, rows), filename)
