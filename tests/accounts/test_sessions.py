"""Sessions end on the server: a copy of the cookie is worth nothing once its session has ended."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from champions.accounts.models import User, UserSession
from tests.factories import PASSWORD


def signed_in(app, user):
    client = app.test_client()
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return client


def copy_of(app, client):
    """Another browser holding a copy of ``client``'s session cookie, as a thief would."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def is_signed_in(client) -> bool:
    response = client.get("/account")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def test_a_copied_cookie_is_signed_out_with_its_session(app, make):
    user = make.user(role="champion")
    browser = signed_in(app, user)
    thief = copy_of(app, browser)
    assert is_signed_in(thief)  # the copy works while the session lasts
    assert browser.post("/logout").status_code == 302
    assert not is_signed_in(thief)
    assert not is_signed_in(browser)


def test_signing_out_ends_only_this_browsers_session(app, db, make):
    user = make.user(role="champion")
    laptop, phone = signed_in(app, user), signed_in(app, user)
    laptop.post("/logout")
    assert is_signed_in(phone)
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 1


def test_a_password_change_elsewhere_ends_copied_sessions(app, make):
    user = make.user(role="champion")
    thief = copy_of(app, signed_in(app, user))
    owner = signed_in(app, user)
    changed = owner.post("/account/password", data={"current_password": PASSWORD, "password": "a fresh passphrase"})
    assert changed.status_code == 302
    assert not is_signed_in(thief)
    assert is_signed_in(owner)  # the browser that changed it carries on


def test_a_role_change_by_an_admin_ends_the_persons_sessions(app, make):
    user = make.user(role="staff")
    thief = copy_of(app, signed_in(app, user))
    admin = signed_in(app, make.user(role="admin"))
    assert admin.post(f"/admin/users/{user.id}/role", data={"role": "reviewer"}).status_code == 302
    assert not is_signed_in(thief)


def test_deactivation_by_an_admin_ends_the_persons_sessions(app, db, make):
    user = make.user(role="staff")
    thief = copy_of(app, signed_in(app, user))
    admin = signed_in(app, make.user(role="admin"))
    assert admin.post(f"/admin/users/{user.id}/active", data={"active": "no"}).status_code == 302
    assert not is_signed_in(thief)
    assert db.session.scalar(select(func.count()).where(UserSession.user_id == user.id)) == 0


def test_a_sign_in_lasts_at_most_the_session_lifetime(app, db, make, clock):
    clock.set(datetime(2025, 5, 6, 9, 0))
    user = make.user(role="champion")
    browser = signed_in(app, user)
    clock.advance(hours=11, minutes=59)
    assert is_signed_in(browser)
    clock.advance(minutes=2)
    assert not is_signed_in(browser)
    signed_in(app, user)  # a new sign-in clears the rows of sessions past their lifetime
    assert db.session.scalar(select(func.count()).where(UserSession.user_id == user.id)) == 1


def test_the_cookie_names_its_session_and_only_a_hash_of_its_key_is_stored(app, db, make):
    user = make.user(role="champion")
    browser = signed_in(app, user)
    cookie = app.session_interface.get_signing_serializer(app).loads(browser.get_cookie("session").value)
    user_id, version, key = cookie["_user_id"].split(":")
    assert (int(user_id), int(version)) == (user.id, db.session.get(User, user.id).session_version)
    stored = db.session.scalar(select(UserSession.key_hash).where(UserSession.user_id == user.id))
    assert len(key) >= 40 and key not in stored


def test_an_old_style_cookie_without_a_session_key_is_refused(app, make):
    user = make.user(role="champion")
    browser = signed_in(app, user)
    with browser.session_transaction() as session:
        session["_user_id"] = f"{user.id}:{user.session_version}"
    assert not is_signed_in(browser)
