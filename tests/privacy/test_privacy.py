"""Consent, equality monitoring, export, erasure and retention."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import timedelta

from sqlalchemy import func, select

from champions.accounts.consent import EMAIL_CONSENT_VERSION, has_consent
from champions.accounts.models import ConsentRecord, User
from champions.activities.models import Activity
from champions.activities.services import log_activity
from champions.core.clock import today_uk
from champions.core.db import now_utc
from champions.core.models import AuditEvent, OutboxMessage
from champions.core.notice import PRIVACY_NOTICE_VERSION
from champions.extensions import db as _db
from champions.nudges.models import NudgeMessage, NudgeRule
from champions.privacy.export import export_order
from champions.privacy.models import EqualityAnswers
from champions.privacy.services import apply_retention
from champions.profiles.models import Champion, StageChange
from champions.training.models import TrainingCompletion, TrainingResource
from champions.training.services import complete
from tests.accounts.test_links import follow_sign_up_link, link_in
from tests.factories import PASSWORD
from tests.feature_samples import feature_samples

SIGN_UP = {
    "first_name": "Lena",
    "last_name": "Kowalski",
    "email": "lena@example.org",
    "password": "plenty of long words",
    "postcode": "WN1 1AA",
    "borough": "wigan",
    "privacy_consent": "y",
}


def consents(db, user_id):
    rows = db.session.scalars(select(ConsentRecord).where(ConsentRecord.user_id == user_id).order_by(ConsentRecord.id))
    return [(c.purpose, c.granted, c.wording_version) for c in rows]


def test_sign_up_records_each_consent_with_its_wording_version(client, db):
    client.post("/register", data={**SIGN_UP, "email_consent": "y", "topics": ["smoking", "hpv"]})
    user = db.session.scalar(select(User))
    assert consents(db, user.id) == [
        ("privacy_notice", True, PRIVACY_NOTICE_VERSION),
        ("email_contact", True, EMAIL_CONSENT_VERSION),
    ]
    assert {t.code for t in user.champion.topics} == {"smoking", "hpv"}


def test_email_consent_is_optional_and_unticked(client, db):
    form = client.get("/register").get_data(as_text=True)
    assert 'name="email_consent"' in form and 'name="email_consent" type="checkbox" value="y" checked' not in form
    client.post("/register", data=SIGN_UP)
    user = db.session.scalar(select(User))
    assert not has_consent(user.id, "email_contact")


def test_withdrawing_email_consent_is_one_click_and_recorded(client, db, auth):
    user = auth.login_as("champion")
    client.post("/me/preferences/email/on")
    client.post("/me/preferences/email/off")
    client.post("/me/preferences/email/off")  # the same decision twice is recorded once
    assert consents(db, user.id) == [
        ("email_contact", True, EMAIL_CONSENT_VERSION),
        ("email_contact", False, EMAIL_CONSENT_VERSION),
    ]
    assert "You said no on" in client.get("/me/preferences").get_data(as_text=True)


def test_equality_answers_are_optional_need_their_own_consent_and_are_kept_apart(client, db, auth):
    user = auth.login_as("champion")
    assert client.post("/me/equality", data={}).status_code == 302  # skipping saves nothing
    assert db.session.scalar(select(EqualityAnswers)) is None
    refused = client.post("/me/equality", data={"age_band": "25-34"})
    assert refused.status_code == 400 and "Tick the box to agree" in refused.get_data(as_text=True)
    assert db.session.scalar(select(EqualityAnswers)) is None
    client.post("/me/equality", data={"age_band": "25-34", "ethnicity": "prefer_not_to_say", "consent": "y"})
    answers = db.session.scalar(select(EqualityAnswers))
    assert (answers.user_id, answers.age_band, answers.ethnicity, answers.sex) == (
        user.id,
        "25-34",
        "prefer_not_to_say",
        None,
    )
    assert has_consent(user.id, "equality_monitoring")
    client.post("/me/equality/delete")
    assert db.session.scalar(select(EqualityAnswers)) is None and not has_consent(user.id, "equality_monitoring")


def test_staff_see_equality_answers_only_in_aggregate_and_an_admin_opening_one_is_audited(client, db, make):
    people = [make.user(role="champion") for _ in range(12)]
    from champions.privacy.services import save_equality_answers

    for i, person in enumerate(people):
        save_equality_answers(person.id, {"age_band": "25-34" if i < 11 else "75+"})
    db.session.commit()
    staff = make.user(role="staff")
    client.post("/login", data={"email": staff.email, "password": PASSWORD})
    page = client.get("/staff/equality").get_data(as_text=True)
    cells = re.findall(r'<th scope="row" class="nhsuk-table__header">([^<]+)</th><td[^>]*>([^<]+)<', page)
    # The one person aged 75 or over is never countable: 1 = 12 - 11, so 25 to 34 is merged with them.
    assert ("Other answers", "12") in cells and "75 or over" not in page and "25 to 34" not in page
    assert str(people[11].email) not in page
    assert client.get(f"/admin/equality/{people[0].id}").status_code == 403
    client.post("/logout")
    admin = make.user(role="admin")
    client.post("/login", data={"email": admin.email, "password": PASSWORD})
    assert client.get(f"/admin/equality/{people[0].id}").status_code == 200
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "equality.viewed"))
    assert (event.actor_id, event.target_id) == (admin.id, str(people[0].id))


def test_every_table_is_known_to_the_exporter_and_the_eraser(app, db):
    """Each feature classifies its own tables (Feature.holdings or Feature.not_personal), once."""
    registry = app.extensions["features"]
    covered = {h.table for h in registry.holdings} | set(registry.not_personal)
    missing = sorted(set(_db.metadata.tables) - covered)
    assert missing == [], f"classify these tables in their feature's holdings or not_personal: {missing}"
    assert {h.table for h in registry.holdings}.isdisjoint(registry.not_personal)
    for feature in registry.all:
        declared = {h.table for h in feature.holdings} | set(feature.not_personal)
        assert declared == {t.name for t in feature.tables()}, f"{feature.name} classifies tables it does not own"


def a_full_champion(client, db, make):
    """A champion with a row in every table that can hold their personal data."""
    recruiter = make.champion()
    client.post(
        f"/register?ref={recruiter.referral_code}", data={**SIGN_UP, "email_consent": "y", "topics": ["alcohol"]}
    )
    follow_sign_up_link(client, link_in(db, "lena@example.org", "/verify"))  # the emailed link signs them in
    user = db.session.scalar(select(User).where(User.email == "lena@example.org"))
    champion = user.champion
    client.post("/me/equality", data={"sex": "female", "consent": "y"})
    complete(champion, db.session.scalar(select(TrainingResource).limit(1)), "My private reflection")
    client.post("/me/pledge", data={"agree": "y"})
    log_activity(
        champion,
        {
            "type": "conversation",
            "occurred_on": today_uk(),
            "borough_code": "wigan",
            "topic_code": "alcohol",
            "people_reached": 4,
            "notes": "Spoke to my neighbour Jo",
        },
    )
    recruit = make.champion(recruited_by_id=champion.id)
    # Their life in the workshops and organisations register too.
    from tests.workshops.helpers import make_contact, make_org, make_workshop

    org = make_org(db)
    workshop = make_workshop(db, borough="wigan")
    contact = make_contact(db, org, name="Lena Kowalski", email="lena@example.org")
    contact.champion_id = champion.id
    tables = _db.metadata.tables
    db.session.execute(
        tables["organisation_affiliations"].insert().values(organisation_id=org.id, champion_id=champion.id)
    )
    db.session.execute(
        tables["workshop_signups"]
        .insert()
        .values(
            workshop_id=workshop.id,
            champion_id=champion.id,
            status="booked",
            queued_at=now_utc(),
            created_at=now_utc(),
            capacity_override=False,
        )
    )
    db.session.execute(
        tables["workshop_recruits"]
        .insert()
        .values(champion_id=champion.id, workshop_id=workshop.id, recorded_at=now_utc())
    )
    db.session.execute(tables["workshop_facilitators"].insert().values(workshop_id=workshop.id, user_id=user.id))
    # What the staff CRM holds: a note, a row from a partner's import, an invitation.
    db.session.execute(
        tables["champion_notes"]
        .insert()
        .values(champion_id=champion.id, body="Met Lena at the library stall", created_at=now_utc())
    )
    job_id = db.session.execute(
        tables["import_jobs"]
        .insert()
        .values(
            created_at=now_utc(),
            filename="partner.csv",
            content="email\nlena@example.org\n",
            encoding="utf-8",
            headers=[],
            mapping={},
            source="Partner",
            lawful_basis="consent",
            status="done",
            total_rows=1,
            processed_rows=1,
            dry_run_counts={},
            counts={},
            finished_at=now_utc(),
        )
    ).inserted_primary_key[0]
    db.session.execute(
        tables["import_rows"]
        .insert()
        .values(
            job_id=job_id,
            dry_run=False,
            line_number=2,
            outcome="new",
            flagged=False,
            email="lena@example.org",
            champion_id=champion.id,
        )
    )
    db.session.execute(
        tables["invitations"].insert().values(email="lena@example.org", role="staff", created_at=now_utc())
    )
    db.session.add(NudgeMessage(rule_id=db.session.scalar(select(NudgeRule.id).limit(1)), user_id=user.id, period=1))
    for add_rows in feature_samples("personal_rows"):  # other features' tables, from tests/<feature>/samples.py
        add_rows(db, user, champion)
    db.session.commit()
    return user, champion, recruit


def test_my_data_export_holds_a_row_from_every_personal_table(app, client, db, make):
    user, champion, _ = a_full_champion(client, db, make)
    holdings = app.extensions["features"].holdings
    data = json.loads(client.get("/me/data/export.json").get_data(as_text=True))
    files = data["about"]["files"]
    assert [f["title"] for f in files] == ["Your choices", *(h.heading for h in export_order(holdings))]
    # Their login and profile first; what was sent to them and the audit of what was done last.
    assert list(data["sections"])[:2] == ["your-account", "your-profile"]
    assert list(data["sections"])[-2:] == ["emails-we-sent-you", "things-you-did-in-the-service"]
    # A champion has no grant records; those belong to applicants, funders and reviewers (tested below).
    owners = {h.heading: app.extensions["features"].owner_of(h.table).name for h in holdings}
    empty = [f["title"] for f in files[1:] if f["held"] == "nothing held" and owners[f["title"]] != "grants"]
    assert empty == [], f"nothing exported from {empty}"
    account = data["sections"]["your-account"]["rows"][0]
    assert account["Email address"] == "lena@example.org" and "Password hash" not in account
    assert data["sections"]["your-activities"]["rows"][0]["Your notes"] == "Spoke to my neighbour Jo"
    archive = zipfile.ZipFile(io.BytesIO(client.get("/me/data/export.zip").data))
    written = {f["file"] for f in files if f["file"]}
    assert written | {"README.txt", "my-data.json"} == set(archive.namelist())
    assert "Kowalski" in archive.read("your-profile.csv").decode("utf-8-sig")
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "person.exported")) == 2


def test_erasure_needs_the_password_and_leaves_only_anonymous_counts(client, db, make):
    user, champion, recruit = a_full_champion(client, db, make)
    wrong = client.post("/me/erase", data={"password": "not it"})
    assert wrong.status_code == 400 and "Your password is not correct" in wrong.get_data(as_text=True)
    assert client.post("/me/erase", data={"password": SIGN_UP["password"]}).status_code == 200
    db.session.expire_all()
    user = db.session.get(User, user.id)
    champion = db.session.get(Champion, champion.id)
    assert user.email.endswith("@erased.invalid") and not user.active and user.erased_at is not None
    assert (champion.first_name, champion.postcode, champion.stage) == ("Erased", "", "withdrawn")
    for model in (ConsentRecord, EqualityAnswers):
        assert db.session.scalar(select(func.count()).select_from(model).where(model.user_id == user.id)) == 0
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_address == "lena@example.org")) is None
    activity = db.session.scalar(select(Activity))
    assert (activity.champion_id, activity.notes, activity.people_reached) == (None, None, 4)  # an anonymous count
    assert db.session.scalar(select(TrainingCompletion.reflection)) is None
    assert db.session.get(Champion, recruit.id).recruited_by_id == champion.id  # the recruit keeps their account
    assert client.post("/login", data={"email": "lena@example.org", "password": SIGN_UP["password"]}).status_code == 400
    dump = json.dumps(
        [dict(r) for t in _db.metadata.sorted_tables for r in db.session.execute(select(t)).mappings()], default=str
    )
    for personal in ("lena@example.org", "Kowalski", "WN1 1AA", "My private reflection", "neighbour Jo"):
        assert personal not in dump, f"{personal!r} is still stored somewhere"


def test_retention_deletes_stale_unverified_sign_ups_and_anonymises_long_withdrawn(db, make):
    stale = make.user(role="champion")
    stale.created_at = now_utc() - timedelta(days=31)
    fresh = make.user(role="champion")
    verified = make.user(role="champion")
    verified.created_at = now_utc() - timedelta(days=90)
    verified.email_verified_at = now_utc() - timedelta(days=89)
    gone = make.user(role="champion")
    gone.email_verified_at = now_utc()
    gone.champion.stage = "withdrawn"
    db.session.add(
        StageChange(
            champion_id=gone.champion.id,
            from_stage="active",
            to_stage="withdrawn",
            reason="left",
            changed_at=now_utc() - timedelta(days=400),
        )
    )
    db.session.commit()
    ids = (stale.id, fresh.id, verified.id, gone.id)
    counts = apply_retention(unverified_days=30, withdrawn_days=365)
    db.session.commit()
    assert counts == {"unverified_deleted": 1, "withdrawn_anonymised": 1, "files_cleared": 0}
    db.session.expire_all()
    assert db.session.get(User, ids[0]) is None
    assert db.session.get(User, ids[1]) is not None and db.session.get(User, ids[2]).erased_at is None
    assert db.session.get(User, ids[3]).erased_at is not None
    run = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "retention.run"))
    assert run.details == counts
    assert apply_retention(30, 365) == {"unverified_deleted": 0, "withdrawn_anonymised": 0, "files_cleared": 0}


def test_an_applicant_exports_their_applications_and_erasure_removes_their_contact_details(db, make):
    from champions.privacy.export import export_data
    from champions.privacy.services import erase

    application = make.application(status="eligible")
    applicant = application.applicant
    application.contact_name, application.contact_email = "Pat Group", "pat@group.example"
    db.session.commit()
    data = export_data(applicant)
    rows = data["sections"]["your-grant-applications"]["rows"]
    assert [(row["Project title"], row["Contact email address"]) for row in rows] == [
        (application.title, "pat@group.example")
    ]
    status = application.status
    erase(applicant)
    db.session.commit()
    db.session.refresh(application)
    assert (application.contact_name, application.contact_email) == ("Erased", "erased@erased.invalid")
    assert application.status == status  # the grant record itself is kept for the funder's audit trail
