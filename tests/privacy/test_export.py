"""The subject access export reads to its owner: names and titles instead of ids, words instead of codes, a cover
note, no empty files, every choice they made, and spreadsheets that open safely with their accents intact."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import func, select

from champions.core.personal_data import internal
from champions.extensions import db as _db
from champions.nudges.services import set_kind_preference
from champions.privacy.export import export_data
from champions.training.models import Pledge, TrainingCompletion, TrainingResource
from tests.factories import PASSWORD
from tests.privacy.test_privacy import a_full_champion


def export_zip(client) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(client.get("/me/data/export.zip").data))


def rows_held(holding, user, champion) -> int:
    table = _db.metadata.tables[holding.table]
    return _db.session.scalar(select(func.count()).select_from(table).where(holding.rows_of(table, user, champion)))


def test_every_holding_with_rows_is_exported_in_words_a_person_understands(app, client, db, make):
    """Read from every feature's registrations: each holding the person has rows in has its section, with headings
    in words (no column names, no ids) and labels where a holding declares them, never the codes."""
    user, champion, _ = a_full_champion(client, db, make)
    data = json.loads(client.get("/me/data/export.json").get_data(as_text=True))
    sections = {section["title"]: section for section in data["sections"].values()}
    for holding in app.extensions["features"].holdings:
        held = rows_held(holding, user, champion)
        entry = next(f for f in data["about"]["files"] if f["title"] == holding.heading)
        if not held:
            assert holding.heading not in sections and entry == {**entry, "file": None, "held": "nothing held"}
            continue
        section = sections[holding.heading]
        assert len(section["rows"]) == held and entry["file"] is not None, holding.table
        table = _db.metadata.tables[holding.table]
        for heading in section["columns"]:
            assert heading not in table.c and not internal(heading) and not heading.lower().endswith(" id"), heading
        for column, labels in holding.labels.items():
            if not isinstance(labels, Mapping):
                continue
            codes = {code for code, label in labels.items() if code != label and isinstance(code, str)}
            heading = holding.headings([], set())[column]
            shown = {row[heading] for row in section["rows"]}
            assert not shown & codes, f"{holding.table}.{column} shows codes {shown & codes}"


def test_references_read_as_names_titles_and_the_full_pledge(client, db, make):
    user, champion, _ = a_full_champion(client, db, make)
    data = export_data(user)["sections"]
    profile = data["your-profile"]["rows"][0]
    assert (profile["Recruited by"], profile["Borough"], profile["Where you are as a champion"]) == (
        "Alex",  # the recruiter's first name only
        "Wigan",
        "Email address confirmed",
    )
    pledge = db.session.scalar(select(Pledge))
    assert data["the-pledge-you-accepted"]["rows"][0] | {"Accepted": ""} == {
        "Accepted": "",
        "Version": pledge.version,
        "The wording you accepted": pledge.text,
    }
    title = db.session.scalar(
        select(TrainingResource.title)
        .join(TrainingCompletion, TrainingCompletion.resource_id == TrainingResource.id)
        .where(TrainingCompletion.champion_id == champion.id)
    )
    assert data["your-training"]["rows"][0]["Training"] == title
    assert data["your-topics"]["rows"] == [{"Topic": "Alcohol"}]
    assert data["your-equality-monitoring-answers"]["rows"][0]["Your sex"] == "Female"
    activity = data["your-activities"]["rows"][0]
    assert (activity["What you did"], activity["Where"], activity["Topic"]) == ("A conversation", "Wigan", "Alcohol")


def test_a_recruiter_who_has_left_is_not_named(client, db, make):
    user, champion, _ = a_full_champion(client, db, make)
    champion.recruited_by.stage = "withdrawn"
    db.session.commit()
    assert export_data(user)["sections"]["your-profile"]["rows"][0]["Recruited by"] == "a champion who has since left"


def test_every_choice_is_in_the_export_each_kind_of_reminder_too(client, db, make):
    user, champion, _ = a_full_champion(client, db, make)
    set_kind_preference(user.id, "recruits", False)
    db.session.commit()
    choices = dict(export_zip_choices(client))
    assert choices["Emails from us"].startswith("Yes, since ")
    assert choices["Keeping your equality monitoring answers"].startswith("Yes, since ")
    assert choices["The privacy notice"].startswith("You agreed to the privacy notice of ")
    assert "privacy-" not in choices["The privacy notice"]
    assert choices["Topics you care about"] == "Alcohol"
    assert choices["The champion pledge"].startswith("You accepted the pledge as published on ")
    assert choices["Reminder emails: News about people you recruited"] == "No, you turned these off"
    assert choices["Reminder emails: New training on your topics"] == "Yes"
    decisions = export_data(user)["sections"]["your-consent-decisions"]["rows"]
    assert decisions[-1] | {"Date": ""} == {
        "Date": "",
        "What it was about": "Reminder emails: News about people you recruited",
        "Your answer": "No",
        "Version of the wording": "nudges-2026-11",
        "How you told us": "On your preferences page",
    }


def export_zip_choices(client) -> list[tuple[str, str]]:
    text = export_zip(client).read("your-choices.csv").decode("utf-8-sig")
    return [(row[0], row[1]) for row in list(csv.reader(io.StringIO(text)))[1:]]


def test_the_zip_opens_with_a_cover_note_and_has_no_empty_file(client, db, make, clock):
    clock.set(datetime(2026, 7, 14, 9, 30))
    make.champion(first_name="Zoë", email="zoe@example.org")
    assert client.post("/login", data={"email": "zoe@example.org", "password": PASSWORD}).status_code == 302
    archive = export_zip(client)
    names = archive.namelist()
    assert names[0] == "README.txt"
    for name in names:
        assert archive.read(name).strip(b"\xef\xbb\xbf\r\n"), f"{name} is empty"
    readme = " ".join(archive.read("README.txt").decode("utf-8").split())  # its paragraphs are wrapped
    assert "as it was on 14 July 2026 at 09:30 (UK time)" in readme
    assert "The Champions programme team holds this data" in readme and "privacy@champions.example" in readme
    for right in ("right of access", "Correct it", "Erase it", "Withdraw your consent", "Object", "Complain"):
        assert right in readme
    assert "https://ico.org.uk/make-a-complaint/" in readme and "/me/preferences" in readme
    for name in names:
        assert name in readme or name == "README.txt"
    assert "Your training: nothing held." in readme and "your-training.csv" not in names  # nothing done yet
    profile = archive.read("your-profile.csv")
    assert profile.startswith(b"\xef\xbb\xbf")  # a byte order mark: Excel reads the file as UTF-8
    assert "Zoë" in profile.decode("utf-8-sig")


def test_cells_a_spreadsheet_would_run_are_neutralised(client, db, make):
    champion = make.champion(first_name="=HYPERLINK(1)", email="f@example.org")
    champion.postcode = "+44 BL1"
    db.session.commit()
    client.post("/login", data={"email": "f@example.org", "password": PASSWORD})
    text = export_zip(client).read("your-profile.csv").decode("utf-8-sig")
    row = dict(zip(*list(csv.reader(io.StringIO(text))), strict=True))
    assert (row["First name"], row["Postcode"]) == ("'=HYPERLINK(1)", "'+44 BL1")
