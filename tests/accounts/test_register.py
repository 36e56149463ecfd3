from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import func, select

from champions import create_app
from champions.accounts.models import ConsentRecord, User
from champions.accounts.services import hash_password
from champions.core.models import AuditEvent, OutboxMessage
from champions.core.notice import PRIVACY_NOTICE_VERSION
from champions.profiles.models import Champion, StageChange
from config import DevelopmentConfig, ProductionConfig
from tests.accounts.test_links import follow_sign_up_link, link_in

GOOD = {
    "first_name": "Priya",
    "last_name": "Shah",
    "email": "Priya.Shah@Example.org",
    "password": "a long walk in the park",
    "postcode": "bl1 1aa",
    "borough": "bolton",
    "privacy_consent": "y",
}


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_sign_up_creates_a_champion_records_consent_and_sends_a_welcome_email(client, db):
    response = client.post("/register", data=GOOD)
    # The same answer as for an address that already has an account: "check your email", not signed in.
    assert response.status_code == 302 and response.headers["Location"].endswith("/register/check-your-email")
    assert client.get("/me").status_code == 302

    user = db.session.scalar(select(User))
    assert user.email == "priya.shah@example.org" and user.role == "champion"
    assert user.password_hash.startswith("$argon2id$")
    champion = user.champion
    assert (champion.first_name, champion.postcode, champion.borough_code, champion.stage) == (
        "Priya",
        "BL1 1AA",
        "bolton",
        "registered",
    )
    assert len(champion.referral_code) == 8
    assert [h.to_stage for h in db.session.scalars(select(StageChange))] == ["registered"]
    consent = db.session.scalar(select(ConsentRecord))
    assert (consent.purpose, consent.granted, consent.wording_version) == (
        "privacy_notice",
        True,
        PRIVACY_NOTICE_VERSION,
    )
    assert consent.recorded_at is not None
    email = db.session.scalar(select(OutboxMessage))
    assert email.to_address == "priya.shah@example.org" and "Welcome to Champions, Priya" == email.subject
    assert champion.referral_code in email.text_body
    assert db.session.scalar(select(AuditEvent.action)) == "champion.registered"


def test_the_link_in_the_welcome_email_signs_them_in_then_the_optional_questions_lead_to_the_checklist(client, db):
    client.post("/register", data=GOOD)
    link = link_in(db, "priya.shah@example.org", "/verify")

    landed = follow_sign_up_link(client, link)  # next: the optional equality questions, as after sign-up before
    assert landed.status_code == 302 and landed.headers["Location"].endswith("/me/equality")
    equality = client.get("/me/equality").get_data(as_text=True)
    assert "Your email address is confirmed" in equality and "Skip this page" in equality
    home = client.get("/me")  # where "skip this page" goes: the onboarding checklist
    page = home.get_data(as_text=True)
    assert home.status_code == 200 and "Hello, Priya" in page and 'id="onboarding' in page

    client.post("/logout")
    again = client.get(link)  # a used link confirms nothing new and signs nobody in
    assert again.headers["Location"].endswith("/login") and client.get("/me").status_code == 302
    assert client.post(f"{link}/continue").headers["Location"].endswith("/login")
    assert client.get("/me").status_code == 302


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-email", "Enter an email address in the correct format"),
        ("password", "short", "Password must be 8 characters or more"),
        ("password", "password123", "This password is too common"),
        ("password", "x" * 129, "Password must be 128 characters or fewer"),
        ("postcode", "NOT A POSTCODE", "Enter a real UK postcode"),
        ("borough", "", "Select the borough you live or work in"),
        ("borough", "atlantis", "Select the borough you live or work in"),
        ("privacy_consent", None, "Confirm you have read and agree to the privacy notice"),
        ("first_name", "   ", "Enter your first name"),
    ],
)
def test_bad_input_explains_itself_keeps_what_was_typed_and_creates_nothing(client, db, field, value, message):
    data = {k: v for k, v in GOOD.items() if not (k == field and value is None)}
    if value is not None:
        data[field] = value
    response = client.post("/register", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in html  # the error summary
    assert html.count(message) == 2  # in the summary and next to the field
    assert 'value="Shah"' in html  # what was typed is kept …
    assert GOOD["password"] not in html or field == "password" and value in html  # … except the password
    assert count(db, User) == 0 and count(db, OutboxMessage) == 0


def test_password_is_never_echoed_back(client):
    html = client.post("/register", data={**GOOD, "postcode": "nope"}).get_data(as_text=True)
    assert GOOD["password"] not in html


def test_an_email_already_taken_in_any_letter_case_creates_nothing(client, db, make):
    make.user(role="champion", email="priya.shah@example.org")
    response = client.post("/register", data={**GOOD, "email": "PRIYA.SHAH@EXAMPLE.ORG"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/register/check-your-email")
    assert count(db, User) == 1 and count(db, Champion) == 1


def test_extra_fields_cannot_set_role_stage_or_recruiter(client, db, make):
    other = make.champion()
    client.post(
        "/register", data={**GOOD, "role": "admin", "stage": "active", "recruited_by_id": other.id, "active": "0"}
    )
    user = db.session.scalar(select(User).where(User.email == "priya.shah@example.org"))
    assert user.role == "champion" and user.active
    assert user.champion.stage == "registered" and user.champion.recruited_by_id is None


def test_a_duplicate_sign_up_sent_twice_at_once_creates_one_account(db):
    app = create_app("testing")  # transactions as in production (on SQLite: BEGIN IMMEDIATE)
    barrier = threading.Barrier(2)
    statuses = []

    def sign_up():
        client = app.test_client()
        barrier.wait()
        statuses.append(client.post("/register", data=GOOD).status_code)

    threads = [threading.Thread(target=sign_up) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.session.remove()
    assert statuses == [302, 302]  # both told to check their email
    assert count(db, User) == 1 and count(db, Champion) == 1


def test_a_referral_link_records_the_recruiter(client, db, make):
    recruiter = make.champion()
    client.post(f"/register?ref={recruiter.referral_code}", data=GOOD)
    joined = db.session.scalar(select(Champion).where(Champion.id != recruiter.id))
    assert joined.recruited_by_id == recruiter.id


@pytest.mark.parametrize("ref", ["%00", "AB%00CD", "AB%1BCD", "x" * 40])
def test_a_referral_link_that_cannot_be_a_code_reaches_no_query(client, db, make, ref):
    """PostgreSQL refuses a NUL in a query (a 500): what the link carries is a code of letters and digits or
    nothing, on the page and on sign-up."""
    from sqlalchemy import event

    make.champion()
    sent = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.extend(map(str, parameters if isinstance(parameters, list | tuple) else parameters.values()))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        page = client.get(f"/register?ref={ref}")
        posted = client.post(f"/register?ref={ref}", data=GOOD)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert page.status_code == 200
    assert not re.search(r'name="referral_code"[^>]*value="[^"]', page.get_data(as_text=True))  # not filled in
    assert posted.status_code == 302
    assert not any("\x00" in value or "\x1b" in value or "X" * 40 in value.upper() for value in sent)


def test_the_welcome_email_is_not_sent_when_the_sign_up_rolls_back(app, db, monkeypatch):
    from champions.roster import services

    def fail(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "create_champion", fail)
    with pytest.raises(RuntimeError):
        app.test_client().post("/register", data=GOOD)
    db.session.remove()
    assert count(db, OutboxMessage) == 0 and count(db, User) == 0


def test_passwords_are_hashed_at_argon2ids_own_cost_and_only_the_tests_lower_it(app, monkeypatch):

    assert DevelopmentConfig.PASSWORD_HASH_COST is None and ProductionConfig.PASSWORD_HASH_COST is None
    monkeypatch.setitem(app.config, "PASSWORD_HASH_COST", None)
    assert hash_password("a long walk in the park").startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_each_how_did_you_hear_question_sits_under_its_own_answer(client):
    html = client.get("/register").get_data(as_text=True)
    answers = (("referral", "referral_code"), ("organisation", "organisation_id"), ("other", "heard_other"))
    for answer, follow_up in answers:
        radio = re.search(rf'<input[^>]+name="heard_via" type="radio" value="{answer}"[^>]*>', html).group()
        revealed = re.search(r'data-aria-controls="([^"]+)"', radio).group(1)
        # Straight after its radio, in the reveal (hidden once the page's script runs, shown without it).
        after = html[html.index(radio) :]
        reveal = re.search(
            rf'<div class="nhsuk-radios__conditional nhsuk-radios__conditional--hidden" id="{revealed}">', after
        )
        assert reveal and f'id="{follow_up}"' in after[reveal.end() :].split("nhsuk-radios__item")[0]


def test_a_follow_up_of_an_answer_not_chosen_is_ignored_and_the_chosen_one_still_checked(client, db, make):
    recruiter = make.champion()
    # Typed a code, then chose "another way": the code (even a wrong one) is neither checked nor recorded.
    data = {**GOOD, "heard_via": "other", "heard_other": "A poster", "referral_code": recruiter.referral_code}
    assert client.post("/register", data=data).status_code == 302
    champion = db.session.scalar(select(Champion).where(Champion.first_name == "Priya"))
    assert champion.recruited_by_id is None and champion.heard_via_other == "A poster"
    refused = client.post(
        "/register", data={**GOOD, "email": "x@example.org", "heard_via": "referral", "referral_code": "NOPE"}
    )
    assert refused.status_code == 400 and "We cannot find that referral code" in refused.get_data(as_text=True)


@pytest.mark.parametrize("hidden", ["\x00", "x" * 201, "x" * 20_000])
def test_what_a_follow_up_not_chosen_holds_is_never_refused_and_kept_for_going_back(client, db, make, hidden):
    """Typed into one follow-up, then another answer chosen: the first is hidden from the person, who could not see
    an error on it. It is not checked (not even for control characters or length), not recorded, and, when the
    page comes back for another reason, it is still there under its answer."""
    data = {**GOOD, "heard_via": "other", "heard_other": "A poster", "referral_code": hidden, "organisation_id": hidden}
    assert client.post("/register", data=data).status_code == 302
    champion = db.session.scalar(select(Champion))
    assert champion.heard_via_other == "A poster" and champion.recruited_by_id is None
    assert champion.heard_via_organisation_id is None
    # The chosen one is still checked: the same hidden answers, and a NUL in the one chosen.
    data = {**data, "email": "x@example.org", "heard_via": "referral", "referral_code": "", "heard_other": hidden}
    assert client.post("/register", data=data).status_code == 302
    refused = client.post("/register", data={**data, "email": "y@example.org", "referral_code": "AB\x00"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and 'href="#referral_code"' in html and 'href="#heard_other"' not in html
    # Sent back for another reason (no consent): what was typed under "Another way" is kept.
    data = {**GOOD, "email": "z@example.org", "heard_via": "referral", "heard_other": "A poster at the library"}
    del data["privacy_consent"]
    kept = client.post("/register", data=data).get_data(as_text=True)
    assert 'value="A poster at the library"' in kept
    assert db.session.scalar(select(func.count()).select_from(Champion)) == 2


def test_the_sign_up_form_names_only_organisations_working_with_the_programme(client, db):
    from champions.organisations.services import create_organisation

    levels = ("aware", "engaged", "partner")
    listed = {lvl: create_organisation(f"Group {lvl}", type="grassroots", engagement_level=lvl) for lvl in levels}
    db.session.commit()
    html = client.get("/register").get_data(as_text=True)
    assert "Group engaged" in html and "Group partner" in html and "Group aware" not in html
    # One staff only know of cannot be chosen by a forged post either.
    forged = {**GOOD, "heard_via": "organisation", "organisation_id": str(listed["aware"].id)}
    refused = client.post("/register", data=forged)
    assert refused.status_code == 400 and "Select the organisation or group" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Champion)) == 0


@pytest.fixture
def many_organisations(db, monkeypatch):
    """More organisations working with the programme than the sign-up form lists (three, over a limit of two), and
    one staff only know of."""
    from champions.organisations.services import create_organisation
    from champions.roster import views

    monkeypatch.setattr(views, "LISTED_UP_TO", 2)
    made = {
        name: create_organisation(name, type="grassroots", engagement_level=level)
        for name, level in (
            ("Bolton Lads and Girls Club", "engaged"),
            ("Bolton Hindu Forum", "partner"),
            ("Wigan Runners", "engaged"),
            ("Bolton Quiet Group", "aware"),
            ("Astley Bridge Bolton Walkers", "engaged"),  # has "bolton", not at its start
            ("বাংলা মহিলা সমিতি", "engaged"),  # no letter the duplicate key keeps
            ("Bolton Old Merged Club", "engaged"),
        )
    }
    made["Bolton Old Merged Club"].merged_into_id = made["Bolton Lads and Girls Club"].id  # merged away
    db.session.commit()
    return made


def test_with_too_many_organisations_to_list_the_form_asks_for_a_name_and_finds_it(client, db, many_organisations):
    html = client.get("/register").get_data(as_text=True)
    assert 'id="organisation_name"' in html and 'list="organisation_name-suggestions"' in html
    assert 'id="organisation_id"' not in html and "Wigan Runners" not in html  # none listed
    radio = re.search(r'<input[^>]+name="heard_via" type="radio" value="organisation"[^>]*>', html).group()
    revealed = re.search(r'data-aria-controls="([^"]+)"', radio).group(1)
    assert 'id="organisation_name"' in html[html.index(f'id="{revealed}"') :].split("nhsuk-radios__item")[0]
    # However its case and spacing are typed, and without "The" or "Ltd".
    data = {**GOOD, "heard_via": "organisation", "organisation_name": "  the BOLTON lads & girls club ltd "}
    assert client.post("/register", data=data).status_code == 302
    champion = db.session.scalar(select(Champion))
    assert champion.heard_via_organisation_id == many_organisations["Bolton Lads and Girls Club"].id


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("Bolton", "We cannot find an organisation or group working with us called that. Names that have it in them"),
        ("Bolton Quiet Group", "We cannot find an organisation"),  # one staff only know of is not named to the public
        ("", "Enter the name of the organisation or group, or choose"),
        ("\x00", "Remove the control characters (such as NUL) from this answer"),
        ("x" * 201, "Keep this to 200 characters or fewer"),
    ],
)
def test_a_name_that_is_not_one_of_them_is_refused_with_what_was_typed_kept(
    client, db, many_organisations, typed, said
):
    data = {**GOOD, "heard_via": "organisation", "organisation_name": typed}
    refused = client.post("/register", data=data)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and said in html.replace("&#39;", "'")
    assert 'href="#organisation_name"' in html  # the error summary leads to the box
    assert 'value="Priya"' in html  # the rest of the form kept
    assert db.session.scalar(select(func.count()).select_from(Champion)) == 0
    if typed == "Bolton":  # the names that have it, to choose from without the suggestions' script
        assert "Bolton Hindu Forum; Bolton Lads and Girls Club; Astley Bridge Bolton Walkers." in html
        assert "Bolton Quiet Group" not in html and "Merged" not in html


def test_the_names_suggested_as_one_types_are_only_those_working_with_us(client, db, many_organisations):
    def names(q):
        response = client.get("/register/organisations", query_string={"q": q})
        assert response.status_code == 200
        return response.get_json()["names"]

    # Those starting with it first, then by name; not one staff only know of, nor one merged away.
    assert names("bolton") == ["Bolton Hindu Forum", "Bolton Lads and Girls Club", "Astley Bridge Bolton Walkers"]
    assert names("মহিলা") == ["বাংলা মহিলা সমিতি"]
    assert names("run") == ["Wigan Runners"]
    assert names("club") == ["Bolton Lads and Girls Club"]
    assert names("b") == []  # one letter: too many to be of use
    for hostile in ("%", "_", "\x00\x00", "x" * 10_000, "🙂🙂", "' OR 1=1 --"):
        assert names(hostile) == []
    # Two with one name (duplicates not yet merged) are suggested once.
    from champions.organisations.services import create_organisation

    create_organisation("Wigan Runners", type="grassroots", engagement_level="partner")
    db.session.commit()
    assert names("wigan") == ["Wigan Runners"]


def test_a_suggested_name_is_found_whatever_its_letters_and_a_merged_one_is_not(client, db, many_organisations):
    for chosen in ("বাংলা মহিলা সমিতি", "Bolton Old Merged Club"):
        data = {**GOOD, "email": f"{len(chosen)}@example.org", "heard_via": "organisation", "organisation_name": chosen}
        response = client.post("/register", data=data)
        if chosen.startswith("Bolton"):
            assert response.status_code == 400  # merged away: not offered, not matched
        else:
            assert response.status_code == 302
    champion = db.session.scalar(select(Champion))
    assert champion.heard_via_organisation_id == many_organisations["বাংলা মহিলা সমিতি"].id


def test_a_forged_organisation_id_is_refused_when_the_form_asks_by_name(client, db, many_organisations):
    forged = {**GOOD, "heard_via": "organisation", "organisation_id": str(many_organisations["Wigan Runners"].id)}
    refused = client.post("/register", data=forged)
    assert refused.status_code == 400 and "Enter the name of the organisation" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Champion)) == 0
