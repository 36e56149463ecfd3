"""What a person reads in their data download: where to correct their details, every email we sent them (an address
they had before too), their profile in their words, and what they did in words rather than codes."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

from sqlalchemy import func, select

import champions
from champions.core.email import send_email
from champions.core.feature import ACTION_WORDS, action_words, details_words
from champions.core.models import OutboxMessage
from champions.privacy.services import erase
from tests.factories import PASSWORD


def download(client) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(client.get("/me/data/export.zip").data))


def rows(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig"))))


def change_address(client, db, new: str) -> None:
    assert client.post("/me/email", data={"new_email": new, "password": PASSWORD}).status_code == 302
    body = (
        db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == new).order_by(OutboxMessage.id))
        .all()[-1]
        .text_body
    )
    link = re.search(r"http://[^\s]+(/account/email/confirm/[^\s]+)", body).group(1)
    assert client.post(link).status_code == 302


def test_the_cover_note_says_where_to_correct_your_details_and_address(client, auth, db):
    auth.login_as("champion")
    readme = " ".join(download(client).read("README.txt").decode("utf-8").split())
    correct = readme[readme.index("Correct it") : readme.index("Erase it")]
    assert "/me/details" in correct and "/me/email" in correct and "name, postcode" in correct


def test_emails_sent_to_an_address_you_had_before_are_still_yours(client, auth, db):
    user = auth.login_as("champion")
    old = user.email
    send_email(old, "Your first reminder", "Hello")
    db.session.commit()
    change_address(client, db, "moved@example.org")
    subjects = [row["Subject"] for row in rows(download(client), "emails-we-sent-you.csv")]
    assert "Your first reminder" in subjects and "Confirm your new email address for Champions" in subjects
    # The notice to the old address, sent once that address was no longer the account's, is the person's too.
    assert "Your Champions email address has been changed" in subjects
    erase(user, by_user_id=user.id)
    db.session.commit()
    left = db.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.to_address.in_([old, "moved@example.org"]))
    )
    assert left == 0


def test_the_profile_says_in_your_words_whether_the_team_asked_you_to_lead(client, auth, db):
    user = auth.login_as("champion")
    user.champion.is_leader = True
    db.session.commit()
    profile = rows(download(client), "your-profile.csv")[0]
    assert profile["The team has asked you to lead locally"] == "Yes"
    assert "Social movement lead" not in profile


SNAKE_CASE = re.compile(r"\b[A-Za-z]+_[A-Za-z_]+\b")


def recorded_actions() -> set[str]:
    """Every action the app records in the audit log, read from its source."""
    found: set[str] = set()
    for path in Path(champions.__file__).parent.rglob("*.py"):
        for call in re.finditer(r"audit\.(?:record|viewed)\(\s*(.+?),\s*[A-Za-z_]", path.read_text(), re.S):
            found |= set(re.findall(r'"([^"]+)"', call.group(1)))
    reasons = {"changed", "reset"}  # set_password(user, password, reason)
    return (found - {"password.{reason}"}) | {f"password.{reason}" for reason in reasons}


def test_every_action_the_service_records_reads_in_your_voice_without_codes():
    actions = recorded_actions()
    assert len(actions) > 70 and "activity.deleted" in actions
    for action in actions:
        words = action_words(action)
        assert words.startswith("You ") and not SNAKE_CASE.search(words) and action in ACTION_WORDS, action
    staff_details = {
        "from_status": "under_review",
        "to_status": "paid_part",
        "reviewer_id": 3,
        "user_ids": [4, 5],
        "amount_pence": 12_500,
        "include_special": True,
        "filters": {"borough_code": "wigan", "has_phone": "yes"},
    }
    words = details_words(staff_details)
    assert not SNAKE_CASE.search(words) and "£125.00" in words and "3" not in words.replace("£125.00", ""), words


def test_what_you_did_reads_in_words(client, auth, db):
    auth.login_as("champion")
    details = {"first_name": "Marta", "last_name": "K", "postcode": "sk1 1aa", "borough": "stockport", "phone": ""}
    assert client.post("/me/details", data={**details, "phone": "07700 900123"}).status_code == 302
    assert client.post("/me/withdraw").status_code == 302
    assert client.post("/me/rejoin").status_code == 302
    change_address(client, db, "moved@example.org")
    lines = rows(download(client), "things-you-did-in-the-service.csv")
    did = {row["What you did"]: row["Details"] for row in lines}
    assert did["You changed your details"] == "Fields: first name, last name, postcode, borough, phone"
    assert did["You rejoined the programme"] == "Stage: Getting started"
    assert did["You changed your email address"] == "Fields: email address"
    assert did["You asked to change your email address"] == ""
    for row in lines:
        assert row["What you did"].startswith("You "), row
        assert not SNAKE_CASE.search(row["What you did"] + row["Details"]), row
