"""A person chooses kinds of reminder in plain words, sees only the kinds that can reach them, and a kind they turned
off stays off for every rule of it, a rule staff add later too."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, timedelta

from sqlalchemy import select

from champions.accounts.consent import has_consent, set_consent
from champions.core.clock import now_utc
from champions.nudges import services
from champions.nudges.evaluation import evaluate_rule
from champions.nudges.models import NudgeMessage, NudgeRule
from tests.factories import PASSWORD
from tests.nudges.conftest import rule_form

ALL_KINDS = (
    "Help getting started",
    "When we have not heard from you for a while",
    "New training on your topics",
    "News about people you recruited",
    "Awareness days on your topics",
    "When the champion pledge changes",
    "Grant report reminders",
)


def sign_in(client, user) -> None:
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


def an_active_champion(db, make, email: str = "active@example.org"):
    champion = make.champion(email=email)
    champion.user.email_verified_at = now_utc() - timedelta(days=200)
    champion.stage = "active"
    champion.last_activity_on = date(2026, 1, 1)
    set_consent(champion.user_id, "email_contact", True)
    db.session.commit()
    return champion


def a_staff_rule(client, auth, rules, name: str, condition: str) -> NudgeRule:
    """A rule as staff add it on the nudges page."""
    auth.login_as("staff")
    form = rule_form(rules["keep-going"], name=name, condition=condition, enabled="y")
    assert client.post("/staff/nudges/new", data=form).status_code == 302
    client.post("/logout")
    return next(r for r in services.db.session.scalars(select(NudgeRule)) if r.name == name)


def choices_in_export(client) -> dict[str, str]:
    archive = zipfile.ZipFile(io.BytesIO(client.get("/me/data/export.zip").data))
    rows = list(csv.reader(io.StringIO(archive.read("your-choices.csv").decode("utf-8-sig"))))[1:]
    return {row[0]: row[1] for row in rows}


def test_a_confirmed_champion_sees_the_kinds_that_can_reach_them_in_plain_words(client, auth, db, make, rules, morning):
    a_staff_rule(client, auth, rules, "Walk Lapsed 360", "lapsed")
    champion = an_active_champion(db, make)
    sign_in(client, champion.user)
    page = client.get("/me/preferences").get_data(as_text=True)
    for kind in ALL_KINDS[1:6]:
        assert page.count(f"<strong>{kind}</strong>") == 1, kind  # two rules of it, one switch
    for hidden in ("Help getting started", "Grant report reminders", "Walk Lapsed 360", "Confirm your email address"):
        assert hidden not in page
    for rule in rules.values():
        assert rule.name not in page or rule.name in ALL_KINDS  # "New training on your topics" is both
    choices = choices_in_export(client)
    reminders = {about: answer for about, answer in choices.items() if about.startswith("Reminder emails")}
    past_training = "Checking what you remember from training"  # an active champion finished the core training
    assert reminders == {f"Reminder emails: {kind}": "Yes" for kind in (*ALL_KINDS[1:6], past_training)}


def test_onboarding_help_shows_until_they_are_past_it_and_grant_reports_only_to_applicants(client, db, make):
    newcomer = make.champion(email="new@example.org")
    make.application(applicant=newcomer.user)
    sign_in(client, newcomer.user)
    page = client.get("/me/preferences").get_data(as_text=True)
    assert "Help getting started" in page and "Grant report reminders" in page
    applicant = make.user(role="applicant", email="applicant@example.org")
    make.application(applicant=applicant)
    assert services.nudge_choices(applicant) == [("Reminder emails: Grant report reminders", "Yes")]


def test_turning_a_kind_off_stops_its_rules_and_one_staff_add_later(client, auth, db, make, rules, morning):
    quiet = an_active_champion(db, make)
    other = an_active_champion(db, make, email="other@example.org")
    sign_in(client, quiet.user)
    client.post("/me/preferences/reminders/quiet/off")
    page = client.get("/me/preferences").get_data(as_text=True)
    assert "<strong>When we have not heard from you for a while</strong>: off" in page
    assert not has_consent(quiet.user_id, "nudge:keep-going") and not has_consent(quiet.user_id, "nudge:come-back")
    client.post("/logout")
    later = a_staff_rule(client, auth, rules, "Still with us?", "inactive")
    evaluate_rule(later, now_utc())
    sent_to = set(db.session.scalars(select(NudgeMessage.user_id).where(NudgeMessage.rule_id == later.id)))
    assert sent_to == {other.user_id}
    sign_in(client, quiet.user)
    client.post("/me/preferences/reminders/quiet/on")
    evaluate_rule(later, now_utc())
    sent_to = set(db.session.scalars(select(NudgeMessage.user_id).where(NudgeMessage.rule_id == later.id)))
    assert sent_to == {other.user_id, quiet.user_id}


def test_an_unsubscribe_link_turns_one_rule_off_and_the_page_says_some_are_off(client, db, make, morning):
    from champions.nudges.tokens import unsubscribe_token

    champion = an_active_champion(db, make)
    client.post(f"/unsubscribe/{unsubscribe_token(champion.user_id, 'keep-going')}")
    sign_in(client, champion.user)
    page = client.get("/me/preferences").get_data(as_text=True)
    assert "<strong>When we have not heard from you for a while</strong>: some of these are off" in page
    assert "Turn all on" in page
    assert choices_in_export(client)["Reminder emails: When we have not heard from you for a while"] == (
        "Some: you turned some of these off"
    )


def test_an_unknown_kind_is_not_found_and_changes_nothing(client, auth, db):
    user = auth.login_as("champion")
    assert client.post("/me/preferences/reminders/no-such-kind/off").status_code == 404
    assert client.post("/me/preferences/reminders/quiet%00/off").status_code == 404
    assert not any(p.startswith("nudge") for p in services.current_consents(user.id))
