"""Reading an uploaded CSV: its text, records and headers, the column mapping, and the import job it becomes.

Everything here runs before a row is checked: a file that cannot be used is refused whole (ImportProblem).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

from champions.core import audit
from champions.core.downloads import unguard_cell
from champions.extensions import db
from champions.roster.models import ImportJob

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
LIMIT_TEXT = "5 MB and 50,000 rows"

LAWFUL_BASES = {
    "consent": "Consent (the person agreed to join)",
    "legitimate_interests": "Legitimate interests",
    "public_task": "Public task",
}

# (field, label, required, the header names we recognise without being told)
FIELDS: list[tuple[str, str, bool, tuple[str, ...]]] = [
    ("email", "Email address", True, ("email", "email address", "e-mail", "e-mail address", "mail")),
    ("first_name", "First name", True, ("first name", "firstname", "forename", "given name", "first")),
    ("last_name", "Last name", True, ("last name", "lastname", "surname", "family name", "last")),
    ("postcode", "Postcode", True, ("postcode", "post code", "postal code", "zip")),
    # Not required: when left out, the borough is the one the postcode's district is in.
    ("borough", "Borough", False, ("borough", "area", "local authority", "district")),
    ("phone", "Phone number", False, ("phone", "phone number", "telephone", "mobile", "tel")),
    ("topics", "Topics", False, ("topics", "topic", "interests")),
    ("registered_on", "Date registered", False, ("registered", "registered on", "date registered", "joined")),
    ("consent_email", "Consent to email", False, ("consent email", "email consent", "consent to email", "consent")),
]
FIELD_LABELS = {name: label for name, label, _, _ in FIELDS}
REQUIRED = [name for name, _, required, _ in FIELDS if required]


class ImportProblem(Exception):
    """The whole file cannot be used; the message says why and what to do."""


def decode(data: bytes) -> tuple[str, str]:
    """The file's text and the encoding it was read with, or ImportProblem with a clear reason."""
    if len(data) > MAX_BYTES:
        raise ImportProblem(f"The file is too large. The limit is {LIMIT_TEXT}: split it into smaller files.")
    if not data.strip():
        raise ImportProblem("The file is empty.")
    if data.startswith(b"PK\x03\x04"):
        raise ImportProblem("This is a spreadsheet or zip file, not CSV. Save it as 'CSV (comma delimited)' first.")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text, encoding = data.decode("utf-16"), "utf-16"
    elif b"\x00" in data:
        raise ImportProblem("This file is not a CSV text file. Save it as 'CSV UTF-8' and try again.")
    else:
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ImportProblem("We could not read the characters in this file. Save it as 'CSV UTF-8' and try again.")
    return text.removeprefix("\ufeff"), "utf-8" if encoding == "utf-8-sig" else encoding


SAMPLE_CHARS = 64 * 1024
DELIMITERS = (",", ";", "\t")


class _Dialect(csv.excel):
    """RFC 4180 quoting, as Excel, LibreOffice, Google Sheets and this app's own downloads write it: a cell with the
    separator, a quote or a line break in it is quoted with ``"``, and a ``"`` inside it is doubled."""

    delimiter = ","


def _dialect(text: str) -> type[csv.Dialect]:
    """The dialect of ``text``: its separator (comma, semicolon or tab) found from the first 64 KB, RFC 4180 quoting.

    Each separator is tried on the sample with the quoting applied, so a quoted cell holding a comma or a line break
    is one cell; the one that gives the header most columns and the most records as wide as the header wins. A
    separator is never guessed from one line, and quoting is not guessed at all: a sniffer reads the apostrophe in
    O'Neil as a quote and a header line has no quotes to learn from. Comma when nothing else fits.
    """
    sample = text[:SAMPLE_CHARS]
    cut = len(text) > SAMPLE_CHARS
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        dialect = type("Sampled", (_Dialect,), {"delimiter": delimiter})
        records: list[list[str]] = []
        try:
            for cells in csv.reader(io.StringIO(sample, newline=""), dialect):
                records.append(cells)
        except csv.Error:
            pass  # the records before the fault still count
        if cut and records:
            records.pop()  # the sample may end part-way through a record
        records = [cells for cells in records if any(c.strip() for c in cells)]
        if not records or len(records[0]) < 2:
            continue
        width = len(records[0])
        score = (sum(1 for cells in records if len(cells) == width), width)
        if score > best_score:
            best, best_score = delimiter, score
    return type("Sampled", (_Dialect,), {"delimiter": best})


def _cells(cells: list[str]) -> list[str]:
    return [unguard_cell(c) for c in cells]


def rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) for every record after the header, including blank ones."""
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(text))
    try:
        next(reader, None)
        start = reader.line_num + 1
        for cells in reader:
            yield start, _cells(cells)
            start = reader.line_num + 1
    except csv.Error as error:
        raise ImportProblem(f"The file is not valid CSV near line {reader.line_num}: {error}.") from None


def read_headers(text: str) -> list[str]:
    try:
        reader = csv.reader(io.StringIO(text, newline=""), _dialect(text))
        headers = [h.strip() for h in next(reader, [])]
    except csv.Error as error:
        raise ImportProblem(f"The file is not valid CSV: {error}.") from None
    if not any(headers):
        raise ImportProblem("The file has no header row: the first line must name the columns.")
    return headers


def _squash(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", header.lower()).strip()


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """field -> header, for the headers we recognise."""
    squashed = {_squash(h): h for h in headers if h}
    mapping = {}
    for name, _, _, aliases in FIELDS:
        for alias in aliases:
            if _squash(alias) in squashed:
                mapping[name] = squashed[_squash(alias)]
                break
    return mapping


def check_mapping(mapping: dict[str, str], headers: list[str]) -> list[str]:
    problems = [
        f"Choose the column that holds the {FIELD_LABELS[name].lower()}" for name in REQUIRED if not mapping.get(name)
    ]
    chosen = [h for h in mapping.values() if h]
    if len(chosen) != len(set(chosen)):
        problems.append("Each column can be used for one field only")
    if any(h not in headers for h in chosen):
        problems.append("Choose columns that are in the file")
    return problems


def open_file(filename: str, data: bytes) -> tuple[str, str, list[str]]:
    """Check an upload before anything is saved: its text, encoding and headers, or ImportProblem."""
    text, encoding = decode(data)
    headers = read_headers(text)
    if not guess_mapping(headers).get("email"):
        raise ImportProblem("The file has no email address column. Add a column headed 'Email' and try again.")
    count = sum(1 for _, cells in rows(text) if any(c.strip() for c in cells))
    if count == 0:
        raise ImportProblem("The file has a header row but no champions in it.")
    if count > MAX_ROWS:
        raise ImportProblem(f"The file has {count:,} rows. The limit is {LIMIT_TEXT}: split it into smaller files.")
    return text, encoding, headers


def create_job(filename: str, data: bytes, *, source: str, lawful_basis: str, by_user_id: int | None) -> ImportJob:
    text, encoding, headers = open_file(filename, data)
    job = ImportJob(
        filename=filename[:255],
        content=text,
        encoding=encoding,
        headers=headers,
        mapping=guess_mapping(headers),
        source=source,
        lawful_basis=lawful_basis,
        created_by_id=by_user_id,
        total_rows=sum(1 for _ in rows(text)),
    )
    db.session.add(job)
    db.session.flush()
    audit.record("import.uploaded", job, actor_id=by_user_id, filename=job.filename, rows=job.total_rows)
    return job
