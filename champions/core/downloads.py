"""CSV downloads: one way to build them, safe to open in a spreadsheet and never kept in a browser cache."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from flask import Response


def safe_cell(value: object) -> object:
    """Stop a spreadsheet from running a cell as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_download(text: str, filename: str) -> Response:
    """A CSV file as an attachment; not stored by the browser, since most of these hold personal data."""
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


def csv_response(filename: str, header: list[str], rows: Iterable[Iterable[object]]) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return csv_download(buffer.getvalue(), filename)
