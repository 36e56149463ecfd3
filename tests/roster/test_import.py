"""Importing a partner's CSV: a deliberately messy file, every count checked, re-import, bad files, the CLI."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from champions.accounts.models import ConsentRecord, User
from champions.core.models import AuditEvent, OutboxMessage
from champions.profiles.models import Champion
from champions.roster.importer.upload import MAX_ROWS
from champions.roster.models import ImportJob, ImportRow

HEADER = [" Email Address ", "First Name", "SURNAME", "Post Code", "borough", "Mobile", "Consent", "Joined", "Notes"]


def messy_file(existing: dict[str, str]) -> tuple[bytes, dict[str, int], dict[str, int]]:
    """A few hundred rows of what real files hold. Returns the bytes, the expected counts and some line numbers."""
    lines: list[list[str] | None] = []
    boroughs = ["  manchester", "BOLTON", "Salford ", "wigan", "bury"]
    for i in range(300):
        consent = "Yes" if i % 3 == 0 else ""
        lines.append(
            [
                f"  Person{i}@Example.ORG ",
                f" person{i} ",
                f"smith{i}",
                f"m{i % 9 + 1}1ae",
                boroughs[i % 5],
                "",
                consent,
                "01/02/2025" if i % 2 else "",
                "extra note",
            ]
        )
        if i % 30 == 7:
            lines.append(None)  # a blank line: 10 of them
    lines += [[""] * 9, [""] * 9]  # rows of nothing but commas
    bad = {
        "not-an-email": ["not-an-email", "A", "B", "M1 1AE", "Bury", "", "", "", ""],
        "missing@tld": ["missing@tld", "A", "B", "M1 1AE", "Bury", "", "", "", ""],
        "two@@example.org": ["two@@example.org", "A", "B", "M1 1AE", "Bury", "", "", "", ""],
        "no-email": ["", "A", "B", "M1 1AE", "Bury", "", "", "", ""],
        "spaces in@example.org": ["spaces in@example.org", "A", "B", "M1 1AE", "Bury", "", "", "", ""],
        "bad-postcode-1": ["bp1@example.org", "A", "B", "NOWHERE", "Bury", "", "", "", ""],
        "bad-postcode-2": ["bp2@example.org", "A", "B", "12345", "Bury", "", "", "", ""],
        "bad-postcode-3": ["bp3@example.org", "A", "B", "", "Bury", "", "", "", ""],
        "bad-postcode-4": ["bp4@example.org", "A", "B", "M1", "Bury", "", "", "", ""],
        "bad-borough-1": ["bb1@example.org", "A", "B", "M1 1AE", "Leeds", "", "", "", ""],
        "bad-borough-3": ["bb3@example.org", "A", "B", "M1 1AE", "Greater Manchester", "", "", "", ""],
        "no-first-name": ["nf1@example.org", "  ", "B", "M1 1AE", "Bury", "", "", "", ""],
        "no-first-name-2": ["nf2@example.org", "", "B", "M1 1AE", "Bury", "", "", "", ""],
        "bad-consent": ["bc@example.org", "A", "B", "M1 1AE", "Bury", "", "maybe", "", ""],
        "bad-date": ["bd@example.org", "A", "B", "M1 1AE", "Bury", "", "", "31/02/2025", ""],
        "staff-email": [existing["staff"], "A", "B", "M1 1AE", "Bury", "", "", "", ""],
        "short-row": ["short@example.org", "A"],
    }
    lines += list(bad.values())
    lines += [[f"PERSON{i}@example.org", "Dup", "Row", "M1 1AE", "Bury", "", "", "", ""] for i in range(6)]
    lines += [
        [existing["phone1"], "A", "B", "BL1 1AA", "Bolton", "07700 900001", "", "", ""],
        [existing["phone2"], "A", "B", "BL1 1AA", "Bolton", "+44 7700 900002", "", "", ""],
        [existing["same1"].upper(), "A", "B", "BL1 1AA", "Bolton", "", "yes", "", ""],
        [existing["same2"], "A", "B", "BL1 1AA", "Bolton", "", "", "", ""],
        ["twin.one@example.org", "Alex", existing["twin_last"], "bl11aa", "Bolton", "", "", "", "", "extra cell"],
        ["twin.two@example.org", "ALEX", existing["twin_last"], "BL1 1AA", "bolton", "", "", "", ""],
    ]
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    line_of: dict[str, int] = {}
    for number, cells in enumerate(lines, start=2):
        if cells is None:
            out.write("\r\n")
        else:
            writer.writerow(cells)
            for name, row in bad.items():
                if row is cells:
                    line_of[name] = number
    # 241 of the 300 give a borough their postcode's district is not in: imported as given, with a warning.
    expected = {"new": 302, "updated": 2, "duplicate": 8, "rejected": 17, "blank": 12, "flagged": 2, "warned": 241}
    return ("\ufeff" + out.getvalue()).encode("utf-8"), expected, line_of


@pytest.fixture
def existing(make):
    staff = make.user(role="staff")
    champions = [make.champion(postcode="BL1 1AA") for _ in range(4)]
    twin = champions[0]
    return {
        "staff": staff.email,
        "phone1": champions[0].user.email,
        "phone2": champions[1].user.email,
        "same1": champions[2].user.email,
        "same2": champions[3].user.email,
        "twin_last": twin.last_name,
        "champions": len(champions),
    }


def upload(client, data: bytes, filename="messy.csv", source="Bolton CVS", lawful_basis="consent"):
    return client.post(
        "/staff/imports",
        data={"file": (io.BytesIO(data), filename), "source": source, "lawful_basis": lawful_basis},
        content_type="multipart/form-data",
    )


def import_through_pages(client, data: bytes) -> ImportJob:
    response = upload(client, data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    job_url = response.headers["Location"]
    job = ImportJob.query.order_by(ImportJob.id.desc()).first()
    form = {name: header for name, header in job.mapping.items()}
    assert client.post(job_url, data=form).status_code == 302  # the dry run (Celery runs eagerly in tests)
    page = client.get(job_url).get_data(as_text=True)
    assert "What would happen" in page and "nothing has been imported yet" in page
    assert client.post(job_url + "/run").status_code == 302
    return job


def count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_messy_file_is_checked_then_imported_with_every_count_right(auth, client, db, existing):
    auth.login_as("staff")
    data, expected, line_of = messy_file(existing)
    before = count(db, Champion)
    job = import_through_pages(client, data)
    db.session.refresh(job)

    # Columns found despite case, spaces and the byte-order mark; the extra column ignored.
    assert job.mapping == {
        "email": "Email Address",
        "first_name": "First Name",
        "last_name": "SURNAME",
        "postcode": "Post Code",
        "borough": "borough",
        "phone": "Mobile",
        "registered_on": "Joined",
        "consent_email": "Consent",
    }
    assert job.dry_run_counts == expected
    assert job.counts == expected
    assert job.status == "done" and job.processed_rows == job.total_rows
    assert count(db, Champion) == before + 302

    # Values were cleaned: emails lower case and trimmed, postcodes formatted, boroughs matched, source recorded.
    person = db.session.scalar(select(Champion).join(Champion.user).where(User.email == "person7@example.org"))
    assert (person.first_name, person.postcode, person.borough_code) == ("person7", "M8 1AE", "salford")
    assert person.source == "import" and "Bolton CVS" in person.source_detail and person.lawful_basis == "consent"
    assert person.created_at.date().isoformat() == "2025-02-01"
    timeline = client.get(f"/staff/champions/{person.id}").get_data(as_text=True)
    assert f"Imported by import #{job.id} (Bolton CVS)" in timeline

    # One bad row never stops the good ones, and each is reported with its line number and why.
    report = client.get(f"/staff/imports/{job.id}/report.csv?only=rejected").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(report)))
    assert len(rows) == 17
    by_line = {int(r["line"]): r["why"] for r in rows}
    assert "Postcode 'NOWHERE' is not a real UK postcode" in by_line[line_of["bad-postcode-1"]]
    assert "Borough 'Leeds' is not a Greater Manchester borough" in by_line[line_of["bad-borough-1"]]
    assert "staff or other account" in by_line[line_of["staff-email"]]
    assert "Consent to email 'maybe'" in by_line[line_of["bad-consent"]]
    assert "is not a date" in by_line[line_of["bad-date"]]

    # Existing champions: a phone added to two; the name+postcode twins imported but flagged for the duplicates page.
    assert count(db, Champion, Champion.phone == "07700900002") == 1
    assert count(db, ImportRow, ImportRow.job_id == job.id, ImportRow.dry_run.is_(False), ImportRow.flagged) == 2

    # Emailed only where the file records consent: rows 0, 3, 6 … 297 (100 people); the existing one is not emailed.
    assert count(db, OutboxMessage) == 100
    assert count(db, OutboxMessage, OutboxMessage.to_address == "person3@example.org") == 1
    assert count(db, OutboxMessage, OutboxMessage.to_address == "person1@example.org") == 0
    assert count(db, ConsentRecord, ConsentRecord.source == "import", ConsentRecord.granted) == 100
    # An imported champion has no password yet: the welcome leads to the page that sets one, not to sign in.
    welcome = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_address == "person3@example.org"))
    assert "/reset" in welcome.text_body and "/login" not in welcome.text_body
    assert "If you did not agree to this, contact us at privacy@champions.example" in welcome.text_body
    assert "reply" not in welcome.text_body.lower()
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"import.uploaded", "import.started", "import.completed"} <= actions


def test_importing_the_same_file_again_creates_nothing_new(auth, client, db, existing):
    auth.login_as("staff")
    data, expected, _ = messy_file(existing)
    import_through_pages(client, data)
    champions, emails = count(db, Champion), count(db, OutboxMessage)
    again = import_through_pages(client, data)
    db.session.refresh(again)
    # Skipped as duplicates, so none of them is warned about again.
    expected = {"new": 0, "updated": 0, "duplicate": 312, "rejected": 17, "blank": 12, "flagged": 0, "warned": 0}
    assert again.counts == expected
    assert count(db, Champion) == champions
    assert count(db, OutboxMessage) == emails


def test_a_windows_latin_1_file_is_read(auth, client, db):
    auth.login_as("staff")
    text = "Email;Forename;Surname;Postcode;Borough\r\nzoe@example.org;Zoë;Brontë;OL1 1AA;Oldham\r\n"
    job = import_through_pages(client, text.encode("cp1252"))
    db.session.refresh(job)
    assert job.encoding == "cp1252" and job.counts["new"] == 1
    zoe = db.session.scalar(select(Champion).join(Champion.user).where(User.email == "zoe@example.org"))
    assert (zoe.first_name, zoe.last_name) == ("Zoë", "Brontë")
    assert count(db, OutboxMessage) == 0  # no consent column: nobody is emailed


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty"),
        (b"   \r\n\r\n", "The file is empty"),
        (b"PK\x03\x04\x14\x00\x06\x00binary", "not CSV"),
        (b"\x00\x01\x02email\x00", "not a CSV text file"),
        (b"email,name\r\n" + b"\x81\x8d\x90\r\n", "could not read the characters"),
        (b"name,postcode\r\nAisha,M1 1AE\r\n", "no email address column"),
        (b"email,first name\r\n", "no champions in it"),
        (b"email\r\n" + b"x@example.org\r\n" * (MAX_ROWS + 1), "The limit is 5 MB and 50,000 rows"),
    ],
    ids=["empty", "blank", "zip", "binary", "undecodable", "no-email", "header-only", "too-many-rows"],
)
def test_a_file_that_cannot_be_used_gets_a_clear_message_and_imports_nothing(auth, client, db, data, message):
    auth.login_as("staff")
    response = upload(client, data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count(db, ImportJob) == 0 and count(db, Champion) == 0


def test_the_size_limit_is_stated_on_the_page(auth, client):
    auth.login_as("staff")
    assert "5 MB and 50,000 rows" in client.get("/staff/imports").get_data(as_text=True)


def test_upload_needs_a_source_and_lawful_basis(auth, client, db):
    auth.login_as("staff")
    response = upload(client, b"email\r\na@example.org\r\n", source="", lawful_basis="whatever")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter the partner organisation" in page and "Select the lawful basis" in page
    assert count(db, ImportJob) == 0


def test_a_mapping_without_an_email_column_is_refused(auth, client, db):
    auth.login_as("staff")
    response = upload(client, b"email,first,last,postcode,borough\r\na@example.org,A,B,M1 1AE,Bury\r\n")
    job_url = response.headers["Location"]
    response = client.post(job_url, data={"email": "", "first_name": "first"})
    assert response.status_code == 400
    assert "Choose the column that holds the email address" in response.get_data(as_text=True)
    assert count(db, ImportRow) == 0


def test_the_cli_imports_a_file(app, db, tmp_path, make):
    path = tmp_path / "partner.csv"
    path.write_bytes(
        b"Email,First name,Last name,Postcode,Borough,Consent\r\nkim@example.org,Kim,Lee,M1 1AE,Manchester,yes\r\n"
        b"bad,Kim,Lee,M1 1AE,Manchester,\r\n"
    )
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import-champions", str(path), "--source", "Partner", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Dry run: new 1, updated 0, duplicate 0, rejected 1" in result.output
    assert count(db, Champion) == 0
    result = runner.invoke(args=["import-champions", str(path), "--source", "Partner"])
    assert "Imported: new 1, updated 0, duplicate 0, rejected 1" in result.output
    db.session.rollback()
    assert count(db, Champion) == 1 and count(db, OutboxMessage, OutboxMessage.to_address == "kim@example.org") == 1
    result = runner.invoke(args=["import-champions", str(path), "--source", "Partner"])
    assert "new 0, updated 0, duplicate 1, rejected 1" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"")
    result = runner.invoke(args=["import-champions", str(bad), "--source", "Partner"])
    assert result.exit_code != 0 and "The file is empty" in result.output


def test_email_consent_from_a_file_is_the_consent_that_nudges_respect(app, db, tmp_path):
    from datetime import timedelta

    from champions.accounts.consent import has_consent
    from champions.core.db import now_utc
    from champions.nudges import evaluation
    from champions.nudges.models import NudgeRule

    path = tmp_path / "partner.csv"
    path.write_bytes(
        b"Email,First name,Last name,Postcode,Borough,Consent\r\n"
        b"yes@example.org,Ada,Yes,M1 1AE,Manchester,yes\r\nno@example.org,Bo,No,M1 1AE,Manchester,no\r\n"
    )
    result = app.test_cli_runner().invoke(args=["import-champions", str(path), "--source", "Partner"])
    assert result.exit_code == 0, result.output
    db.session.rollback()
    by_email = {c.user.email: c for c in db.session.scalars(select(Champion))}
    assert has_consent(by_email["yes@example.org"].user_id, "email_contact")
    assert not has_consent(by_email["no@example.org"].user_id, "email_contact")
    rule = db.session.scalar(select(NudgeRule).where(NudgeRule.key == "verify-email"))
    rule.holdout_percent = 0
    assert evaluation.audience_size(rule, now_utc() + timedelta(days=3)) == 1  # only the one who said yes


@pytest.mark.parametrize("merged", [False, True])
def test_a_merged_away_record_is_no_match_for_a_new_row(app, db, make, tmp_path, merged):
    twin, survivor = make.champion(postcode="BL1 1AA"), make.champion(postcode="M1 1AE")
    if merged:
        twin.merged_into_id = survivor.id
    db.session.commit()
    path = tmp_path / "partner.csv"
    header = "Email,First name,Last name,Postcode,Borough\r\n"
    path.write_bytes(f"{header}new@example.org,alex,{twin.last_name},bl1 1aa,Bolton\r\n".encode())
    result = app.test_cli_runner().invoke(args=["import-champions", str(path), "--source", "Partner"])
    assert result.exit_code == 0, result.output
    db.session.rollback()
    row = db.session.scalar(select(ImportRow).where(ImportRow.outcome == "new"))
    assert row.flagged is not merged
    assert (row.message is None) is merged
