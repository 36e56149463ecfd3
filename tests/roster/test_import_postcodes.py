"""Postcodes in an import: one outside Greater Manchester is imported but warned about in the report, and the
borough can be left out when the postcode's district says which it is."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from champions.accounts.models import User
from champions.profiles.models import Champion
from champions.roster.importer.row_checks import Row, check_row
from champions.roster.importer.upload import MAX_BYTES, ImportProblem, decode
from tests.roster.test_import import import_through_pages


def _row(postcode: str, borough: str | None) -> dict[str, str]:
    values = {"email": "a@example.org", "first_name": "A", "last_name": "B", "postcode": postcode}
    if borough is not None:
        values["borough"] = borough
    return values


@pytest.mark.parametrize(
    ("postcode", "borough", "expected_borough", "warning"),
    [
        ("m1 1ae", None, "manchester", None),  # borough column not in the file: from the postcode
        ("BL1 1AA", "  ", "bolton", None),  # an empty cell: from the postcode
        ("SK8 1AA", "Stockport", "stockport", None),
        ("LS1 4AP", "Leeds", None, None),  # a borough given must still be one of the ten
        ("LS1 4AP", "Manchester", "manchester", "Postcode LS1 4AP is outside Greater Manchester"),
        ("M1 1AE", "bury", "bury", "Postcode M1 1AE is in Manchester, not Bury: kept Bury as given"),
    ],
)
def test_the_borough_comes_from_the_postcode_or_is_kept_as_given_with_a_warning(
    postcode, borough, expected_borough, warning
):
    checked = check_row(2, _row(postcode, borough))
    if expected_borough is None:
        assert checked == ["Borough 'Leeds' is not a Greater Manchester borough"]
        return
    assert isinstance(checked, Row)
    assert checked.borough == expected_borough
    assert checked.warnings == ([warning] if warning else [])


@pytest.mark.parametrize(
    ("postcode", "problem"),
    [
        ("LS1 4AP", "Borough is missing and postcode LS1 4AP is outside Greater Manchester, so it cannot say which"),
        ("NOWHERE", "Borough is missing"),
    ],
)
def test_no_borough_and_a_postcode_that_cannot_say_is_refused_with_why(postcode, problem):
    checked = check_row(2, _row(postcode, ""))
    assert isinstance(checked, list) and problem in checked


FILE = (
    b"email,first name,last name,postcode\r\nin@example.org,Aisha,Khan,m14 5rq\r\nout@example.org,Leo,Grant,LS1 4AP\r\n"
)


def test_a_file_without_boroughs_is_imported_and_the_postcode_outside_is_in_the_report(auth, client, db):
    auth.login_as("staff")
    job = import_through_pages(client, FILE)
    db.session.refresh(job)
    assert "borough" not in job.mapping
    assert job.counts["new"] == 1 and job.counts["rejected"] == 1 and job.counts["warned"] == 0
    placed = db.session.scalar(select(Champion).join(Champion.user).where(User.email == "in@example.org"))
    assert (placed.postcode, placed.borough_code) == ("M14 5RQ", "manchester")
    report = client.get(f"/staff/imports/{job.id}/report.csv?run=import").get_data(as_text=True)
    lines = {r["line"]: r for r in csv.DictReader(io.StringIO(report))}
    assert lines["3"]["outcome"] == "rejected" and lines["3"]["email"] == "out@example.org"  # whose row it was
    assert "postcode LS1 4AP is outside Greater Manchester" in lines["3"]["why"]


def test_a_postcode_outside_greater_manchester_is_imported_and_listed_as_a_warning(auth, client, db):
    auth.login_as("staff")
    data = (
        b"email,first name,last name,postcode,borough\r\n"
        b"in@example.org,Aisha,Khan,M14 5RQ,Manchester\r\n"
        b"out@example.org,Leo,Grant,ls14ap,Manchester\r\n"
    )
    job = import_through_pages(client, data)
    db.session.refresh(job)
    assert job.dry_run_counts["warned"] == job.counts["warned"] == 1 and job.counts["new"] == 2
    page = client.get(f"/staff/imports/{job.id}").get_data(as_text=True)
    assert "Imported with a warning about the postcode" in page
    assert "Download the rows imported with a warning (CSV)" in page
    warned = client.get(f"/staff/imports/{job.id}/report.csv?run=import&only=warned").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(warned)))
    assert rows[0] == ["line", "outcome", "possible duplicate", "email", "why", "warning"]
    assert rows[1:] == [["3", "new", "", "out@example.org", "", "Postcode LS1 4AP is outside Greater Manchester"]]
    leo = db.session.scalar(select(Champion).join(Champion.user).where(User.email == "out@example.org"))
    assert (leo.postcode, leo.borough_code) == ("LS1 4AP", "manchester")


def test_a_file_over_the_limit_read_another_way_is_refused_with_the_same_limit():
    with pytest.raises(ImportProblem, match="The limit is 5 MB and 50,000 rows"):
        decode(b"email\r\n" + b"x" * MAX_BYTES)
