"""What a person reads in their data download: where to correct their details, every email we sent them (an address
they had before too), their profile in their words, and what they did in words rather than codes."""

from __future__ import annotations

import csv
import io
import re
import zipfile

from sqlalchemy import func, select

from champions.core.email import send_email
from champions.core.models import OutboxMessage
from champions.privacy.services import erase
from tests.factories import PASSWORD


def download(client) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(client.get("/me/data/export.zip").data))


def rows(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig"))))


def change_address(client, db, new: str) -> None:
    assert client.post("/me/email", data={"new_email": new, "password": PASSWORD}).status_code == 302
    body = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == new)).all()[-1].text_body
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
    erase(user, by_user_id=user.id)
    db.session.commit()
    left = db.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.to_address.in_([old, "moved@example.org"]))
    )
    sent_after = db.session.scalar(  # the notice to the old address, sent once the change was made
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.subject.contains("changed"))
    )
    assert left == sent_after


def test_the_profile_says_in_your_words_whether_the_team_asked_you_to_lead(client, auth, db):
    user = auth.login_as("champion")
    user.champion.is_leader = True
    db.session.commit()
    profile = rows(download(client), "your-profile.csv")[0]
    assert profile["The team has asked you to lead locally"] == "Yes"
    assert "Social movement lead" not in profile
