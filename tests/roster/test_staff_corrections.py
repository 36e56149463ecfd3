"""Staff correct a champion's details at their request: audited by field name, refused when the record changed
since the page was opened, and a changed sign-in address is told to both the old and the new address, once."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from champions.accounts.models import EmailChange, User
from champions.core.models import AuditEvent, OutboxMessage, PendingEmail
from champions.privacy.services import erase
from champions.profiles.models import Champion
from champions.roster.corrections import details_version
from champions.roster.models import ChampionNote

FORM = {
    "first_name": "Marta",
    "last_name": "Kowalczyk",
    "postcode": "sk1 1aa",
    "borough": "stockport",
    "phone": "07700 900123",
    "topics": ["smoking", "diet"],
}


@pytest.fixture
def champion(make, db):
    champion = make.champion(first_name="Alex", last_name="Old", email="alex@example.org", topic_codes=["hpv"])
    db.session.commit()
    return champion


@pytest.fixture
def staff(auth, db):
    user = auth.login_as("staff")
    db.session.commit()
    return user


def opened(client, champion) -> dict:
    """The form as the page shows it: its version of the record."""
    page = client.get(f"/staff/champions/{champion.id}/details").get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="version"', page
    )
    return {"version": version.group(1)}


def save(client, champion, version: dict, **changes):
    return client.post(
        f"/staff/champions/{champion.id}/details", data={**FORM, "email": "alex@example.org", **version, **changes}
    )


def record(db, champion) -> tuple:
    db.session.expire_all()
    c = db.session.get(Champion, champion.id)
    return (
        c.first_name,
        c.last_name,
        c.postcode,
        c.borough_code,
        c.phone,
        sorted(t.code for t in c.topics),
        c.user.email,
    )


def emails_to(db, address: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == address)))


def corrections(db) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "champion.details_corrected")))


def test_staff_correct_every_field_and_the_audit_names_fields_not_values(client, db, champion, staff):
    version = opened(client, champion)
    response = save(client, champion, version)
    assert response.status_code == 302
    assert record(db, champion) == (
        "Marta",
        "Kowalczyk",
        "SK1 1AA",
        "stockport",
        "07700900123",
        ["diet", "smoking"],
        "alex@example.org",
    )
    [event] = corrections(db)
    assert event.actor_id == staff.id and event.target_id == str(champion.id)
    assert event.details == {"fields": ["first_name", "last_name", "postcode", "borough_code", "phone", "topics"]}
    assert "Marta" not in str(event.details) and "SK1" not in str(event.details)
    assert emails_to(db, "alex@example.org") == []  # no email when the address stays
    page = client.get(f"/staff/champions/{champion.id}").get_data(as_text=True)
    assert "Details corrected: first name, last name, postcode, borough, phone number, topics" in page


def test_saving_unchanged_details_writes_nothing(client, db, champion, staff):
    version = opened(client, champion)
    same = {
        "first_name": "Alex",
        "last_name": "Old",
        "postcode": "BL1 1AA",
        "borough": "bolton",
        "phone": "",
        "topics": ["hpv"],
    }
    response = save(client, champion, version, **same)
    assert response.status_code == 302
    assert corrections(db) == []


def test_a_new_address_applies_at_once_and_both_addresses_are_told_once(client, db, champion, staff):
    was_verified = db.session.get(User, champion.user_id).email_verified_at
    version = opened(client, champion)
    response = save(client, champion, version, email="  Marta.New@Example.org ")
    assert response.status_code == 302
    assert record(db, champion)[-1] == "marta.new@example.org"
    [old] = emails_to(db, "alex@example.org")
    assert "m***@example.org" in old.text_body and "marta.new@example.org" not in old.text_body
    assert "programme team changed" in old.subject
    [new] = [m for m in emails_to(db, "marta.new@example.org") if "sign in to Champions with this" in m.subject]
    assert "programme team" in new.text_body
    change = db.session.scalar(select(EmailChange).where(EmailChange.user_id == champion.user_id))
    assert change.old_email is None  # forgotten once the old address has been told
    kinds = list(db.session.scalars(select(PendingEmail.kind).where(PendingEmail.done_at.is_not(None))))
    assert kinds.count("email_changed_by_staff_old") == 1 and kinds.count("email_changed_by_staff") == 1
    actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == staff.id)))
    assert {"champion.details_corrected", "email.changed_by_staff"} <= actions
    assert db.session.get(User, champion.user_id).email_verified_at == was_verified
    # The duplicate checks follow the new address.
    assert db.session.get(Champion, champion.id).email_key is not None


def test_an_unconfirmed_account_is_sent_a_fresh_link_at_its_new_address(client, db, champion, staff):
    user = db.session.get(User, champion.user_id)
    assert user.email_verified_at is None
    version = opened(client, champion)
    save(client, champion, version, email="new@example.org")
    db.session.expire_all()
    assert db.session.get(User, champion.user_id).email_verified_at is None  # nothing proved the new inbox
    subjects = [m.subject for m in emails_to(db, "new@example.org")]
    assert len(subjects) == 2 and any("onfirm" in s for s in subjects), subjects


def test_an_address_another_account_uses_is_refused_and_nothing_changes(client, db, make, champion, staff):
    make.user(role="champion", email="taken@example.org")
    before = record(db, champion)
    version = opened(client, champion)
    response = save(client, champion, version, email="TAKEN@example.org")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "already used by another account" in page
    assert 'value="Marta"' in page and 'value="TAKEN@example.org"' in page  # what was typed is kept
    assert record(db, champion) == before
    assert corrections(db) == []
    assert db.session.scalar(select(func.count()).select_from(PendingEmail)) == 0


def test_a_change_made_since_the_page_opened_is_not_overwritten(client, db, champion, staff):
    version = opened(client, champion)
    champion = db.session.get(Champion, champion.id)
    champion.last_name = "Changed-Elsewhere"
    db.session.commit()
    response = save(client, champion, version, first_name="Typed")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Someone else changed this champion" in page
    assert "Changed-Elsewhere" in page and 'value="Typed"' in page
    assert record(db, champion)[:2] == ("Alex", "Changed-Elsewhere")
    assert corrections(db) == []
    # Saving again, knowingly, from the page as it now stands, goes through.
    fresh = {"version": details_version(db.session.get(Champion, champion.id))}
    assert fresh["version"] in page
    assert save(client, champion, fresh, first_name="Typed").status_code == 302
    assert record(db, champion)[:2] == ("Typed", "Kowalczyk")


def test_a_forged_or_missing_version_is_a_conflict_not_a_save(client, db, champion, staff):
    before = record(db, champion)
    assert save(client, champion, {"version": "forged"}).status_code == 400
    assert save(client, champion, {}).status_code == 400
    assert record(db, champion) == before


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"first_name": ""}, "Enter their first name"),
        ({"first_name": "x" * 5000}, "First name must be 100 characters or fewer"),
        ({"last_name": "Nul\x00byte"}, None),
        ({"postcode": "NOT A POSTCODE"}, None),
        ({"borough": "atlantis"}, "Select the borough they live or work in"),
        ({"phone": "12345"}, "Enter a UK phone number"),
        ({"topics": ["smoking", "forged"]}, "Choose from the list"),
        ({"email": "not-an-address"}, "Enter an email address in the correct format"),
        ({"email": "a" * 300 + "@example.org"}, "254 characters or fewer"),
        ({"email": ""}, "Enter their email address"),
    ],
)
def test_bad_input_gets_a_message_by_the_field_and_changes_nothing(client, db, champion, staff, changes, message):
    before = record(db, champion)
    version = opened(client, champion)
    response = save(client, champion, version, **changes)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in page
    if message:
        assert message in page
    assert record(db, champion) == before
    assert corrections(db) == []


def test_unicode_names_are_kept_as_typed(client, db, champion, staff):
    version = opened(client, champion)
    save(client, champion, version, first_name="Zoë", last_name="Ó Súilleabháin-李")
    assert record(db, champion)[:2] == ("Zoë", "Ó Súilleabháin-李")


def test_merged_and_erased_records_cannot_be_corrected(client, db, make, champion, staff):
    other = make.champion(first_name="Kept")
    merged = db.session.get(Champion, champion.id)
    merged.merged_into_id = other.id
    db.session.commit()
    shown = client.get(f"/staff/champions/{merged.id}/details")
    assert shown.status_code == 400 and 'name="version"' not in shown.get_data(as_text=True)
    assert "can no longer be changed" in shown.get_data(as_text=True)
    response = save(client, merged, {"version": details_version(merged)})
    assert response.status_code == 400
    assert "can no longer be changed" in response.get_data(as_text=True)
    assert record(db, merged)[0] == "Alex"

    erased = make.champion(first_name="Gone")
    erase(db.session.get(User, erased.user_id), by_user_id=staff.id)
    db.session.commit()
    response = client.post(f"/staff/champions/{erased.id}/details", data={**FORM, "email": "x@example.org"})
    assert response.status_code == 400
    assert "erased" in response.get_data(as_text=True)
    assert corrections(db) == []


def test_an_unknown_champion_is_not_found(client, staff):
    assert client.get("/staff/champions/999999/details").status_code == 404
    assert client.post("/staff/champions/999999/details", data=FORM).status_code == 404


# --- Notes ----------------------------------------------------------------------------------------------------


def note_of(client, db, champion, body="Met at the Wigan market stall"):
    assert client.post(f"/staff/champions/{champion.id}/notes", data={"body": body}).status_code == 302
    return db.session.scalar(select(ChampionNote).where(ChampionNote.champion_id == champion.id))


def note_version_shown(client, url) -> dict:
    page = client.get(url).get_data(as_text=True)
    return {"version": re.search(r'name="version"[^>]*value="([^"]+)"', page).group(1)}


def test_staff_correct_a_note_and_the_audit_names_the_note_not_its_text(client, db, champion, staff):
    note = note_of(client, db, champion)
    page = client.get(f"/staff/champions/{champion.id}").get_data(as_text=True)
    url = f"/staff/champions/{champion.id}/notes/{note.id}"
    assert url in page
    version = note_version_shown(client, url)
    assert client.post(url, data={"body": "Met at the Wigan market stall", **version}).status_code == 302
    assert client.post(url, data={"body": "  Met at the Bolton market stall ", **version}).status_code == 302
    db.session.expire_all()
    assert db.session.get(ChampionNote, note.id).body == "Met at the Bolton market stall"
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "champion.note_corrected"))
    assert event.details == {"note_id": note.id, "fields": ["body"]} and event.actor_id == staff.id
    assert "A note was corrected" in client.get(f"/staff/champions/{champion.id}").get_data(as_text=True)


def test_a_note_changed_since_the_page_opened_is_not_overwritten(client, db, champion, staff):
    note = note_of(client, db, champion)
    url = f"/staff/champions/{champion.id}/notes/{note.id}"
    version = note_version_shown(client, url)
    db.session.get(ChampionNote, note.id).body = "Changed elsewhere"
    db.session.commit()
    response = client.post(url, data={"body": "Typed here", **version})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Someone else changed this note" in page and "Changed elsewhere" in page and "Typed here" in page
    db.session.expire_all()
    assert db.session.get(ChampionNote, note.id).body == "Changed elsewhere"


@pytest.mark.parametrize(
    ("body", "message"),
    [("", "Enter the note"), ("x" * 100_000, "5,000 characters or fewer"), ("a\x00b", "Remove the control")],
)
def test_a_bad_note_correction_says_why_and_changes_nothing(client, db, champion, staff, body, message):
    note = note_of(client, db, champion)
    url = f"/staff/champions/{champion.id}/notes/{note.id}"
    response = client.post(url, data={"body": body, **note_version_shown(client, url)})
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ChampionNote, note.id).body == "Met at the Wigan market stall"


def test_a_note_is_found_only_under_its_own_champion(client, db, make, champion, staff):
    note = note_of(client, db, champion)
    other = make.champion(first_name="Other")
    assert client.get(f"/staff/champions/{other.id}/notes/{note.id}").status_code == 404
    assert client.post(f"/staff/champions/{other.id}/notes/{note.id}", data={"body": "x"}).status_code == 404
    assert client.get(f"/staff/champions/{champion.id}/notes/999999").status_code == 404


def test_a_note_of_a_merged_record_cannot_be_corrected(client, db, make, champion, staff):
    note = note_of(client, db, champion)
    db.session.get(Champion, champion.id).merged_into_id = make.champion(first_name="Kept").id
    db.session.commit()
    url = f"/staff/champions/{champion.id}/notes/{note.id}"
    response = client.post(url, data={"body": "Changed", "version": "x"})
    assert response.status_code == 400 and "can no longer be changed" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ChampionNote, note.id).body == "Met at the Wigan market stall"


def test_a_change_the_champion_had_asked_for_themselves_is_replaced(client, db, champion, staff):
    asked = EmailChange(user_id=champion.user_id, new_email="their-own@example.org")
    db.session.add(asked)
    db.session.commit()
    save(client, champion, opened(client, champion), email="by-staff@example.org")
    db.session.expire_all()
    assert db.session.get(EmailChange, asked.id).status == "replaced"  # its link no longer works
    assert db.session.get(User, champion.user_id).email == "by-staff@example.org"
