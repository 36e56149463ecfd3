"""A champion corrects their own details (UK GDPR Article 16): name, postcode, borough, phone, and the address they
sign in with, which changes only once the link sent to the new address is followed."""

from __future__ import annotations

import json
import re
from datetime import datetime

import pytest
from sqlalchemy import func, select

from champions.accounts.email_change import TAKEN
from champions.accounts.models import EmailChange, User
from champions.core.models import AuditEvent, OutboxMessage
from tests.factories import PASSWORD

NEW = {
    "first_name": "Marta",
    "last_name": "Kowalczyk",
    "postcode": "sk1 1aa",
    "borough": "stockport",
    "phone": "+44 (0)7700 900123",
}


@pytest.fixture
def me(auth, db):
    """A signed-in champion: Alex, in Bolton (BL1 1AA), with no phone number."""
    user = auth.login_as("champion")
    db.session.commit()
    return user


def details(db, user) -> tuple:
    db.session.expire_all()
    c = db.session.get(User, user.id).champion
    return (c.first_name, c.last_name, c.postcode, c.borough_code, c.phone)


def actions(db, user) -> list[str]:
    query = select(AuditEvent.action).where(AuditEvent.actor_id == user.id, AuditEvent.action != "login")
    return list(db.session.scalars(query.order_by(AuditEvent.id)))


def emails_to(db, address: str) -> list[OutboxMessage]:
    return list(
        db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == address).order_by(OutboxMessage.id))
    )


def link_to(db, address: str) -> str:
    body = emails_to(db, address)[-1].text_body
    return re.search(r"http://[^\s]+(/account/email/confirm/[^\s]+)", body).group(1)


def ask(client, email: str, password: str = PASSWORD):
    return client.post("/me/email", data={"new_email": email, "password": password})


# --- Name, postcode, borough and phone --------------------------------------------------------------------------


def test_the_home_page_offers_a_change_link_for_each_detail(client, me):
    page = client.get("/me").get_data(as_text=True)
    assert 'href="/me/details"' in page and 'href="/me/details#postcode"' in page and 'href="/me/email"' in page
    assert 'Change<span class="nhsuk-u-visually-hidden"> your phone number</span>' in page
    assert 'Phone number</dt><dd class="nhsuk-summary-list__value">Not given' in page


def test_a_champion_changes_each_of_their_details(client, db, me):
    form = client.get("/me/details").get_data(as_text=True)
    assert 'value="BL1 1AA"' in form and 'value="bolton" selected' in form
    saved = client.post("/me/details", data=NEW)
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/me")
    assert details(db, me) == ("Marta", "Kowalczyk", "SK1 1AA", "stockport", "07700900123")
    home = client.get("/me").get_data(as_text=True)
    assert "have been saved" in home and "Marta Kowalczyk" in home and "SK1 1AA" in home
    # Shown back grouped as people read it, here and in the form to change it, however it was typed.
    assert 'Phone number</dt><dd class="nhsuk-summary-list__value">07700 900123</dd>' in home
    assert 'value="07700 900123"' in client.get("/me/details").get_data(as_text=True)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "champion.details_changed"))
    assert event.actor_id == me.id and event.details == {
        "fields": ["first_name", "last_name", "postcode", "borough_code", "phone"]
    }
    assert "Marta" not in json.dumps(event.details)  # which fields, never their values


def test_one_field_at_a_time_and_the_phone_can_be_removed(client, db, me):
    assert client.post("/me/details", data=NEW).status_code == 302
    assert client.post("/me/details", data={**NEW, "first_name": "Alexandra"}).status_code == 302
    assert details(db, me) == ("Alexandra", "Kowalczyk", "SK1 1AA", "stockport", "07700900123")
    assert client.post("/me/details", data={**NEW, "first_name": "Alexandra", "phone": ""}).status_code == 302
    assert details(db, me)[-1] is None
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "champion.details_changed").order_by(AuditEvent.id)
    )
    assert [e.details["fields"] for e in events][-2:] == [["first_name"], ["phone"]]


def test_saving_without_a_change_writes_nothing(client, db, me):
    c = me.champion
    same = {"first_name": c.first_name, "last_name": c.last_name, "postcode": "bl1 1aa", "borough": "bolton"}
    page = client.post("/me/details", data=same, follow_redirects=True).get_data(as_text=True)
    assert "Nothing needed changing" in page
    assert actions(db, me) == []


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("first_name", "", "Enter your first name"),
        ("first_name", "   ", "Enter your first name"),
        ("last_name", "Kowal\x00czyk", "Remove the control characters (such as NUL) from this answer"),
        ("first_name", "M" * 10_000, "First name must be 100 characters or fewer"),
        ("postcode", "", "Enter your postcode"),
        ("postcode", "NOT A CODE", "Enter a real UK postcode, like M1 1AE"),
        ("postcode", "SK1 1AA\x00", "Enter a real UK postcode, like M1 1AE"),
        # Shown by the borough, which is preselected to match the postcode.
        ("postcode", "M1 1AE", "Your postcode M1 1AE is in Manchester, not Stockport. Select Manchester, or check"),
        ("borough", "atlantis", "Select the borough you live or work in. Your postcode suggests Stockport"),
        ("borough", "", "Select the borough you live or work in. Your postcode suggests Stockport"),
        ("phone", "12345", "Enter a UK phone number, like 07700 900123 or 0161 496 0000"),
        ("phone", "+1 212 555 0100", "Enter a UK phone number, like 07700 900123 or 0161 496 0000"),
        ("phone", "call me on 07700900123", "Enter a UK phone number, like 07700 900123 or 0161 496 0000"),
        ("phone", "0" * 10_000, "Phone number must be 30 characters or fewer"),
        ("phone", "07700\x00900123", "Enter a UK phone number, like 07700 900123 or 0161 496 0000"),
    ],
)
def test_bad_details_are_explained_by_the_field_and_change_nothing(client, db, me, field, value, message):
    before = details(db, me)
    response = client.post("/me/details", data={**NEW, field: value})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "There is a problem" in page
    field = "borough" if message.startswith("Your postcode") else field
    by_field = rf'id="{field}-error">\s*<span class="nhsuk-u-visually-hidden">Error: </span>' + re.escape(message)
    assert re.search(by_field, page), f"no message {message!r} by the field"
    assert re.search(rf'href="#{field}">\s*' + re.escape(message), page)  # the error summary links to the field
    assert details(db, me) == before and actions(db, me) == []


def test_a_postcode_in_another_borough_preselects_that_borough(client, me):
    page = client.post("/me/details", data={**NEW, "postcode": "OL6 7AB"}).get_data(as_text=True)
    assert 'value="tameside" selected' in page  # ready to confirm with one press
    assert 'data-replace-borough="true"' in page  # and the page's script follows a changed postcode


def test_a_postcode_outside_the_known_districts_takes_any_borough(client, db, me):
    assert client.post("/me/details", data={**NEW, "postcode": "LS1 4AP", "borough": "wigan"}).status_code == 302
    assert details(db, me)[2:4] == ("LS1 4AP", "wigan")


# --- The email address --------------------------------------------------------------------------------------------


def test_the_new_address_changes_only_when_its_link_is_followed_and_the_old_one_is_told(client, db, me):
    old = me.email
    sent = ask(client, "New.Address@Example.org")
    assert sent.status_code == 302 and sent.headers["Location"].endswith("/me/email")
    page = client.get("/me/email").get_data(as_text=True)
    assert 'Waiting for you to confirm <strong class="app-break-words">new.address@example.org</strong>' in page
    assert "Waiting for you to confirm new.address@example.org" in client.get("/me").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, me.id).email == old  # nothing changed yet
    mail = emails_to(db, "new.address@example.org")
    assert [m.subject for m in mail] == ["Confirm your new email address for Champions"]

    link = link_to(db, "new.address@example.org")
    shown = client.get(link).get_data(as_text=True)
    assert "Use my new email address" in shown and "new.address@example.org" in shown
    db.session.expire_all()
    assert db.session.get(User, me.id).email == old  # opening the link (a mail scanner, say) changes nothing

    done = client.post(link)
    assert done.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, me.id)
    assert user.email == "new.address@example.org" and user.champion.email_key == "new.address@example.org"
    assert user.email_verified_at is not None and user.pending_email_change is None
    home = client.get("/me", follow_redirects=True).get_data(as_text=True)
    assert "Your email address is now new.address@example.org" in home

    [notice] = emails_to(db, old)
    assert notice.subject == "Your Champions email address has been changed"
    assert "was changed to n***@example.org" in notice.text_body
    assert "Contact us straight away at privacy@champions.example" in notice.text_body
    assert "reply" not in notice.text_body.lower() and 'href="mailto:privacy@champions.example"' in notice.html_body
    assert "new.address@example.org" not in notice.text_body + (notice.html_body or "")
    change = db.session.scalar(select(EmailChange))
    assert (change.status, change.old_email) == ("confirmed", None)  # the old address is forgotten once told

    assert actions(db, me) == ["email.change_requested", "email.changed", "email.verified"]
    audit_text = json.dumps([e.details for e in db.session.scalars(select(AuditEvent))])
    assert "example.org" not in audit_text  # neither address is kept in the audit log

    assert client.post(link).status_code == 400  # the link works once
    app_client = client.application.test_client()
    assert app_client.post("/login", data={"email": old, "password": PASSWORD}).status_code == 400
    assert app_client.post("/login", data={"email": "new.address@example.org", "password": PASSWORD}).status_code == 302


def test_a_wrong_password_is_explained_by_the_field_and_changes_nothing(client, db, me):
    response = ask(client, "new@example.org", "not my password")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Your password is not correct" in page
    assert re.search(r'href="#password">\s*Your password is not correct', page)
    assert db.session.scalar(select(func.count()).select_from(EmailChange)) == 0
    assert emails_to(db, "new@example.org") == []


def test_an_address_another_account_uses_is_refused_by_the_field(client, db, make, me):
    other = make.user(role="staff", email="taken@example.org")
    response = ask(client, " Taken@Example.org ")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and re.search(r'href="#new_email">\s*' + re.escape(TAKEN), page)
    by_field = r'id="new_email-error">\s*<span class="nhsuk-u-visually-hidden">Error: </span>'
    assert re.search(by_field + re.escape(TAKEN), page)
    assert db.session.scalar(select(func.count()).select_from(EmailChange)) == 0
    assert [m.subject for m in emails_to(db, other.email)] == [] and actions(db, me) == []


@pytest.mark.parametrize(
    "value, message",
    [
        ("", "Enter your new email address"),
        ("not an address", "Enter an email address in the correct format, like name@example.com"),
        ("a\x00b@example.org", "Enter an email address in the correct format"),
        ("a" * 10_000 + "@example.org", "Email address must be 254 characters or fewer"),
    ],
)
def test_a_bad_new_address_is_explained_by_the_field(client, db, me, value, message):
    response = ask(client, value)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(EmailChange)) == 0


def test_the_current_address_is_not_a_change(client, db, me):
    response = ask(client, me.email.upper())
    assert response.status_code == 400 and "This is already your email address" in response.get_data(as_text=True)


def test_a_newer_request_or_a_cancel_stops_the_older_link(client, db, me):
    ask(client, "first@example.org")
    first = link_to(db, "first@example.org")
    ask(client, "second@example.org")
    second = link_to(db, "second@example.org")
    stale = client.get(first)
    assert stale.status_code == 400 and "only the newest link works" in stale.get_data(as_text=True)
    assert client.post(first).status_code == 400

    cancelled = client.post("/me/email/cancel", follow_redirects=True).get_data(as_text=True)
    assert "The change of email address has been cancelled" in cancelled and "Waiting for you" not in cancelled
    assert client.post(second).status_code == 400
    db.session.expire_all()
    assert db.session.get(User, me.id).email == me.email
    statuses = db.session.scalars(select(EmailChange.status).order_by(EmailChange.id))
    assert list(statuses) == ["replaced", "cancelled"]
    assert actions(db, me) == ["email.change_requested", "email.change_requested", "email.change_cancelled"]


def test_an_expired_link_can_be_sent_again(auth, client, clock, db):
    clock.set(datetime(2026, 3, 2, 9, 0))
    me = auth.login_as("champion")
    ask(client, "later@example.org")
    old_link = link_to(db, "later@example.org")
    clock.advance(hours=24, minutes=1)
    client.post("/login", data={"email": me.email, "password": PASSWORD})  # a sign-in lasts 12 hours
    expired = client.get(old_link)
    assert expired.status_code == 400 and "This link has expired" in expired.get_data(as_text=True)
    page = client.get("/me/email").get_data(as_text=True)
    assert 'The link we sent to <strong class="app-break-words">later@example.org</strong> has expired' in page

    resent = client.post("/me/email/resend", follow_redirects=True).get_data(as_text=True)
    assert "We have sent a new link to later@example.org" in resent
    assert len(emails_to(db, "later@example.org")) == 2
    assert client.post(link_to(db, "later@example.org")).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, me.id).email == "later@example.org"


def test_confirming_after_another_account_took_the_address_changes_nothing(client, db, make, me):
    ask(client, "wanted@example.org")
    link = link_to(db, "wanted@example.org")
    make.user(role="champion", email="wanted@example.org")  # signed up meanwhile
    refused = client.post(link)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "This email address is already used by another account" in page
    assert "Nothing has been changed" in page
    db.session.expire_all()
    assert db.session.get(User, me.id).email == me.email
    assert db.session.scalar(select(EmailChange.status)) == "pending"
    assert "email.changed" not in actions(db, me) and emails_to(db, me.email) == []


def test_an_address_taken_at_the_same_moment_is_refused_by_the_database(client, db, make, me, monkeypatch):
    """Two confirmations of one address at once: both pass the look-up; the unique address refuses the second."""
    ask(client, "race@example.org")
    link = link_to(db, "race@example.org")
    make.user(role="champion", email="race@example.org")
    monkeypatch.setattr("champions.accounts.email_change.find_user", lambda email: None)
    refused = client.post(link)
    assert refused.status_code == 409 and "already used by another account" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, me.id).email == me.email
    assert db.session.scalar(select(EmailChange.status)) == "pending" and "email.changed" not in actions(db, me)


def test_only_the_person_who_asked_can_follow_the_link(app, client, db, make, me):
    ask(client, "mine@example.org")
    link = link_to(db, "mine@example.org")
    stranger = app.test_client()
    away = stranger.get(link)
    assert away.status_code == 302 and "/login?next=" in away.headers["Location"]  # signed out: sign in first
    someone = make.user(role="champion")
    stranger.post("/login", data={"email": someone.email, "password": PASSWORD})
    assert stranger.get(link).status_code == 400 and stranger.post(link).status_code == 400
    db.session.expire_all()
    assert db.session.get(User, me.id).email == me.email
    assert db.session.get(User, someone.id).email == someone.email


def test_a_tampered_link_changes_nothing(client, db, me):
    ask(client, "mine@example.org")
    link = link_to(db, "mine@example.org")
    assert client.post(link[:-3] + "abc").status_code == 400
    db.session.expire_all()
    assert db.session.get(User, me.id).email == me.email


def test_asking_and_resending_are_rate_limited(app, auth, client, clock, db, make, monkeypatch):
    clock.set(datetime(2026, 3, 2, 10, 1))  # the hour's window starts at 10:00
    monkeypatch.setitem(app.config, "THROTTLE_ENABLED", True)
    auth.login_as("champion")
    make.user(role="staff", email="probe1@example.org")
    assert ask(client, "probe1@example.org").status_code == 400  # a taken address is counted too
    assert ask(client, "mine@example.org").status_code == 302
    assert client.post("/me/email/resend").status_code == 302
    refused = ask(client, "another@example.org")
    assert refused.status_code == 429 and "We have already sent you several emails" in refused.get_data(as_text=True)
    assert client.post("/me/email/resend").status_code == 429
    assert len(emails_to(db, "mine@example.org")) == 2 and emails_to(db, "another@example.org") == []
    clock.advance(hours=1)
    assert ask(client, "another@example.org").status_code == 302


# --- Export and access -------------------------------------------------------------------------------------------


def test_the_data_export_holds_the_changes(client, db, me):
    client.post("/me/details", data=NEW)
    ask(client, "exported@example.org")
    client.post(link_to(db, "exported@example.org"))
    ask(client, "pending@example.org")
    data = client.get("/me/data/export.json").get_data(as_text=True)
    assert "exported@example.org" in data and "pending@example.org" in data  # the requests, as rows of their own
    for words in (
        "You changed your details",
        "You asked to change your email address",
        "You changed your email address",
        "You confirmed your email address",
    ):
        assert words in data, f"{words!r} is not in the export"


@pytest.mark.parametrize("path", ["/me/details", "/me/email"])
def test_only_champions_reach_their_details_pages(app, client, make, path):
    assert "/login?next=" in client.get(path).headers["Location"]
    staff = make.user(role="staff")
    client.post("/login", data={"email": staff.email, "password": PASSWORD})
    assert client.get(path).status_code == 403 and client.post(path, data=NEW).status_code == 403


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("+44 (0)7700 900123", "07700 900123"),
        ("0161 496 0000", "0161 496 0000"),
        ("+44 20 7946 0000", "020 7946 0000"),
        ("01632960000", "01632 960000"),
        ("0300 123 1113", "0300 123 1113"),
        ("0800 123456", "0800 123456"),
    ],
)
def test_each_kind_of_uk_number_is_shown_grouped(client, db, me, typed, shown):
    assert client.post("/me/details", data={**NEW, "phone": typed}).status_code == 302
    assert f'<dd class="nhsuk-summary-list__value">{shown}</dd>' in client.get("/me").get_data(as_text=True)
    assert client.post("/me/details", data={**NEW, "phone": shown}).status_code == 302
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "champion.details_changed")
        )
        == 1
    )  # the grouped number saved back is no change
