"""A CSV written by the app's own downloads comes back cell for cell: quotes, separators, line breaks, the formula
guard, unicode and spaces, with or without a byte order mark, CRLF, LF or CR line ends, comma, semicolon or tab."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from champions.core.downloads import dict_csv_text, excel_csv_bytes, safe_cell
from champions.profiles.models import Champion
from champions.roster.importer.row_checks import Row, check_row
from champions.roster.importer.upload import MAX_BYTES, decode, read_headers, rows
from champions.roster.models import ImportJob
from tests.roster.test_import import import_through_pages, upload

HEADER = ["Email", "First name", "Last name", "Postcode", "Borough", "Notes"]
# (first name, last name, notes): every awkward cell an export can hold
AWKWARD = [
    ('O\'Neil, "Nan"', "Smith, Jones", 'She said "hi", then left'),
    ('"Quoted"', '""', "a,b,,c"),
    ("Mary\nAnne", "Line\r\nBreak", "one\ntwo\nthree"),
    ("=SUM(A1)", "+44", "-1"),
    ("@home", "-Dash", "=cmd|' /C calc'!A0"),
    ("Łódź", "Zoë 🎗️", "中文 and émoji 🎉"),
    ("  Padded  ", " Lee ", "  keep my spaces  "),
    ("semi;colon", "tab\there", "both ; and \t and ,"),
    ("'apostrophe first", "D'Arcy", "'"),
]


def _records() -> list[dict[str, str]]:
    return [
        dict(zip(HEADER, [f"person{i}@example.org", first, last, "M1 1AE", "Manchester", notes], strict=True))
        for i, (first, last, notes) in enumerate(AWKWARD)
    ]


def _with_separator(records: list[dict[str, str]], delimiter: str) -> str:
    """As a spreadsheet set to another separator saves the app's download: the same quoting, the same guard."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows([safe_cell(r[h]) for h in HEADER] for r in records)
    return out.getvalue()


VARIANTS = {
    "excel download (BOM, CRLF)": lambda r: excel_csv_bytes(dict_csv_text(r)),
    "plain download (CRLF)": lambda r: dict_csv_text(r).encode(),
    "LF line ends": lambda r: dict_csv_text(r).replace("\r\n", "\n").encode(),
    "CR line ends": lambda r: dict_csv_text(r).replace("\r\n", "\r").encode(),
    "semicolons (BOM, CRLF)": lambda r: excel_csv_bytes(_with_separator(r, ";")),
    "tabs (BOM, CRLF)": lambda r: excel_csv_bytes(_with_separator(r, "\t")),
    "semicolons, Windows-1252": lambda r: _with_separator(r, ";").encode("cp1252"),
}


def _records_for(variant: str) -> list[dict[str, str]]:
    """An older Excel saves in Windows-1252, which has no Ł, ź or emoji: those rows are left out of that file."""
    records = _records()
    return records[:5] if variant == "semicolons, Windows-1252" else records


def _expected_cell(cell: str, variant: str) -> str:
    """The cell as written, except that a file whose line ends were rewritten has them rewritten inside cells too."""
    if variant == "LF line ends":
        return cell.replace("\r\n", "\n")
    if variant == "CR line ends":
        return cell.replace("\r\n", "\r")
    return cell


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_every_awkward_cell_of_an_export_is_read_back_exactly(variant):
    records = _records_for(variant)
    text, _ = decode(VARIANTS[variant](records))
    assert read_headers(text) == HEADER
    read = [cells for _, cells in rows(text)]
    assert read == [[_expected_cell(r[h], variant) for h in HEADER] for r in records]
    for cells in read:
        checked = check_row(
            2, dict(zip(["email", "first_name", "last_name", "postcode", "borough"], cells[:5], strict=True))
        )
        assert isinstance(checked, Row), checked  # a quoted comma no longer splits the row and rejects it


def test_the_rows_line_numbers_count_line_breaks_inside_cells():
    text, _ = decode(excel_csv_bytes(dict_csv_text(_records()[:4])))
    # the record on line 4 spans four line breaks (Mary\nAnne, Line\r\nBreak, one\ntwo\nthree)
    assert [line for line, _ in rows(text)] == [2, 3, 4, 9]


def test_the_separator_is_found_from_the_rows_not_the_header_line_alone():
    text = "Email;Name, with comma;Postcode;Borough\r\n" + "a@example.org;Ann;M1 1AE;Bury\r\n" * 3
    assert [cells for _, cells in rows(text)][0] == ["a@example.org", "Ann", "M1 1AE", "Bury"]
    assert read_headers(text) == ["Email", "Name, with comma", "Postcode", "Borough"]


def test_a_sample_cut_inside_a_quoted_cell_still_finds_the_separator():
    long_cell = '"' + "x, " * 30_000 + '"'
    text = "Email;Notes\r\n" + f"a@example.org;{long_cell}\r\n" + "b@example.org;short\r\n"
    assert [cells[0] for _, cells in rows(text)] == ["a@example.org", "b@example.org"]


@pytest.mark.parametrize("variant", ["excel download (BOM, CRLF)", "semicolons (BOM, CRLF)", "tabs (BOM, CRLF)"])
def test_an_export_imported_through_the_pages_keeps_every_name(auth, client, db, variant):
    auth.login_as("staff")
    job = import_through_pages(client, VARIANTS[variant](_records()))
    db.session.refresh(job)
    assert job.dry_run_counts["rejected"] == 0 and job.counts["new"] == len(AWKWARD)
    champions = db.session.scalars(select(Champion).join(Champion.user)).all()
    stored = {c.user.email: (c.first_name, c.last_name) for c in champions}
    assert stored == {
        f"person{i}@example.org": (" ".join(first.split()), " ".join(last.split()))
        for i, (first, last, _) in enumerate(AWKWARD)
    }
    assert stored["person0@example.org"] == ('O\'Neil, "Nan"', "Smith, Jones")
    assert stored["person3@example.org"] == ("=SUM(A1)", "+44")  # the download's guard is not stored
    assert stored["person8@example.org"] == ("'apostrophe first", "D'Arcy")


def test_a_file_over_the_upload_limit_gets_the_error_page_with_the_limit(app, auth, client, db):
    auth.login_as("staff")
    # The import's own 5 MB, which its page states, not the app's larger limit for every other request.
    assert app.config["MAX_CONTENT_LENGTH"] > MAX_BYTES == 5 * 1024 * 1024
    assert "The limit is <strong>5 MB and 50,000 rows</strong>" in client.get("/staff/imports").get_data(as_text=True)
    response = upload(client, b"email\r\n" + b"x" * MAX_BYTES)
    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "That file is too large" in page and "nhsuk-header" in page  # the app's own page, not a bare 413
    assert "The file is too big: the limit is 5 MB." in page
    # Larger than the app's own limit too: refused before the form (and its CSRF token) is read, still with 5 MB.
    response = upload(client, b"email\r\n" + b"x" * app.config["MAX_CONTENT_LENGTH"])
    assert response.status_code == 413 and "The file is too big: the limit is 5 MB." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ImportJob)) == 0
