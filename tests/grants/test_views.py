"""Small Sparks pages: applicant sign-up, applying with bad input, object-level access, staff actions."""

from __future__ import annotations

import html
from datetime import timedelta

from sqlalchemy import select

from champions.accounts.models import ConsentRecord, User
from champions.core.db import as_utc, now_utc
from champions.grants.models import Application, Payment
from champions.organisations.models import Organisation
from tests.accounts.test_links import follow_sign_up_link, link_in
from tests.factories import PASSWORD
from tests.grants.helpers import login


def form_for(**values):
    data = {
        "group_name": "Tea Group",
        "group_type": "constituted",
        "group_number": "",
        "group_postcode": "BL1 1AA",
        "group_website": "",
        "contact_name": "Jo Bloggs",
        "contact_email": "jo@example.org",
        "title": "Tea and talk",
        "summary": "Weekly tea mornings",
        "activities": "Tea and talks",
        "beneficiaries": "Older people",
        "theme": "Social isolation",
        "boroughs": ["bolton"],
        "people_expected": "60",
        "amount_requested": "1,300",
        "start_on": "2027-01-01",
        "end_on": "2027-06-30",
        "budget_lines-0-description": "Room hire",
        "budget_lines-0-amount": "1000",
        "budget_lines-1-description": "Refreshments",
        "budget_lines-1-amount": "300",
        "action": "submit",
    }
    data.update(values)
    return data


def test_a_community_group_signs_up_with_consent_recorded_and_the_emailed_link_signs_them_in(client, db):
    response = client.post(
        "/grants/register",
        data={"email": "Group@Example.org", "password": "knitting every tuesday", "privacy_consent": "y"},
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/register/check-your-email")
    user = db.session.scalar(select(User).where(User.email == "group@example.org"))
    assert user.role == "applicant"
    consent = db.session.scalar(select(ConsentRecord).where(ConsentRecord.user_id == user.id))
    assert consent.granted and consent.purpose == "privacy_notice"
    assert client.get("/grants/my").status_code == 302  # not signed in until the link is followed

    signed_in = follow_sign_up_link(client, link_in(db, "group@example.org", "/verify"))
    landed = client.get(signed_in.headers["Location"], follow_redirects=True)
    assert landed.request.path == "/grants/my" and "Your email address is confirmed" in landed.get_data(as_text=True)


def test_sign_up_without_consent_is_refused_and_creates_nothing(client, db):
    response = client.post("/grants/register", data={"email": "g@example.org", "password": "knitting every tuesday"})
    assert response.status_code == 400
    assert "Confirm you have read and agree to the privacy notice" in response.get_data(as_text=True)
    assert db.session.scalar(select(User.id)) is None


def test_an_applicant_adds_their_group_and_submits(client, auth, make, db):
    round_ = make.round()
    auth.login_as("applicant")
    response = client.post(
        f"/grants/rounds/{round_.id}/apply", data=form_for(group_name="Bolton Knit and Natter")
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    application = db.session.scalar(select(Application))
    assert application.status == "eligible" and application.group_name == "Bolton Knit and Natter"
    # Nothing is added to the register by an applicant: staff confirm who the group is.
    assert application.organisation is None and db.session.query(Organisation).count() == 0
    assert application.amount_requested_pence == 130_000
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Eligible" in page and "£1,300" in page


def test_bad_input_gets_a_message_and_saves_nothing(client, auth, make, db):
    round_ = make.round(max_award_pence=150_000)
    make.application(round=round_)  # one group on the register
    auth.login_as("applicant")
    before = db.session.query(Application).count()
    cases = [
        (
            form_for(**{"budget_lines-1-amount": "200"}),
            "The budget lines add up to £1,200, but the amount requested is £1,300",
        ),
        (form_for(amount_requested="1600", **{"budget_lines-0-amount": "1300"}), "must be £1,500 or less"),
        (form_for(amount_requested="lots"), "Enter an amount in pounds"),
        (form_for(group_name=""), "Enter your group&#39;s name"),
        (form_for(action="draft", amount_requested="1600"), "must be £1,500 or less"),
    ]
    for data, message in cases:
        response = client.post(f"/grants/rounds/{round_.id}/apply", data=data)
        page = response.get_data(as_text=True)
        assert response.status_code == 400, message
        assert "There is a problem" in page and message in page, message
        assert 'value="Tea and talk"' in page  # what was typed is kept
    assert db.session.query(Application).count() == before
    assert db.session.query(Organisation).count() == 1


def test_a_submission_after_closing_is_refused_but_a_draft_saves(client, auth, make, db):
    round_ = make.round(opens_at=now_utc() - timedelta(days=30), closes_at=now_utc() - timedelta(seconds=1))
    auth.login_as("applicant")
    response = client.post(f"/grants/rounds/{round_.id}/apply", data=form_for(group_name="Late Ladies"))
    assert response.status_code == 400
    assert "applications can no longer be submitted" in response.get_data(as_text=True)
    assert db.session.query(Application).count() == 0 and db.session.query(Organisation).count() == 0
    response = client.post(
        f"/grants/rounds/{round_.id}/apply", data=form_for(group_name="Late Ladies", action="draft")
    )
    assert response.status_code == 302
    assert db.session.scalar(select(Application.status)) == "draft"


def test_extra_posted_fields_do_not_change_status_or_owner(client, auth, make, db):
    round_ = make.round()
    other = make.user(role="applicant")
    me = auth.login_as("applicant")
    data = form_for(
        group_name="Sneaky Group",
        action="draft",
        status="approved",
        applicant_id=str(other.id),
        award_pence="999999",
    )
    assert client.post(f"/grants/rounds/{round_.id}/apply", data=data).status_code == 302
    application = db.session.scalar(select(Application))
    assert (application.status, application.applicant_id, application.award_pence) == ("draft", me.id, None)


def test_an_applicant_sees_only_their_own_applications(client, auth, make, db):
    theirs = make.application(status="paid_full")
    auth.login_as("applicant")
    for url in (f"/grants/my/{theirs.id}", f"/grants/my/{theirs.id}/edit", f"/grants/my/{theirs.id}/report"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/grants/my/{theirs.id}/report", data={}).status_code == 404
    assert theirs.title not in client.get("/grants/my").get_data(as_text=True)


def test_a_reviewer_sees_only_their_assignments_and_a_score_outside_1_to_5_is_refused(client, make, db):
    reviewer, other = make.user(role="reviewer"), make.user(role="reviewer")
    round_ = make.round(reviewers=[reviewer, other])
    application = make.application(round=round_, status="under_review")
    assignment = application.assignments[0]
    assert assignment.reviewer_id == reviewer.id
    login(client, other)
    assert client.get(f"/grants/reviews/{assignment.id}").status_code == 404
    client.post("/logout")
    login(client, reviewer)
    assert (
        client.post(f"/grants/reviews/{assignment.id}", data={"action": "conflict", "c-conflict": "no"}).status_code
        == 302
    )
    c1, c2 = round_.criteria
    response = client.post(
        f"/grants/reviews/{assignment.id}", data={"action": "scores", f"score_{c1.id}": "6", f"score_{c2.id}": "3"}
    )
    assert response.status_code == 400
    assert "Score 'Reach' from 1 to 5" in html.unescape(response.get_data(as_text=True))
    db.session.expire_all()
    assert assignment.scores == [] and assignment.submitted_at is None
    response = client.post(
        f"/grants/reviews/{assignment.id}", data={"action": "scores", f"score_{c1.id}": "4", f"score_{c2.id}": "3"}
    )
    assert response.status_code == 302


def test_staff_approval_beyond_the_budget_and_payment_beyond_the_award_are_refused(client, auth, make, db):
    round_ = make.round(budget_pence=150_000, max_award_pence=100_000)
    make.application(round=round_, status="approved", amount_requested_pence=100_000)
    application = make.application(round=round_, status="under_review", amount_requested_pence=100_000)
    auth.login_as("staff")
    response = client.post(f"/grants/staff/applications/{application.id}/approve", data={"ap-award": "1000"})
    assert response.status_code == 400
    assert "more than the £500 left in the round's budget" in html.unescape(response.get_data(as_text=True))
    db.session.expire_all()
    assert application.status == "under_review" and application.award_pence is None
    assert (
        client.post(
            f"/grants/staff/applications/{application.id}/approve",
            data={"ap-award": "500", "ap-few_reviews_reason": "The panel met without them"},
        ).status_code
        == 302
    )
    response = client.post(
        f"/grants/staff/applications/{application.id}/payment",
        data={"pa-amount": "500.01", "pa-due_on": "2027-01-01"},
    )
    assert response.status_code == 400 and "of the award not yet paid or scheduled" in response.get_data(as_text=True)
    assert db.session.query(Payment).count() == 0


def test_an_invalid_staff_action_is_refused_with_a_message(client, auth, make, db):
    application = make.application(status="eligible")
    auth.login_as("staff")
    response = client.post(f"/grants/staff/applications/{application.id}/close")
    assert response.status_code == 400
    assert "An application that is eligible cannot become closed" in response.get_data(as_text=True)


def test_the_round_csv_lists_its_applications(client, auth, make, db):
    application = make.application(status="approved")
    auth.login_as("staff")
    response = client.get(f"/grants/staff/rounds/{application.round_id}/applications.csv")
    assert response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0].startswith("Id,Group,Title,Status")
    assert f"{application.id},{application.organisation.name},Tea and talk,Approved" in lines[1]


def test_staff_add_a_fund_and_a_round_and_bad_round_limits_are_refused(client, auth, make, db):
    from champions.grants.models import Fund, Round

    auth.login_as("staff")
    response = client.post("/grants/staff", data={"name": "Small Sparks", "funder_organisation": "GM Cancer"})
    fund = db.session.scalar(select(Fund))
    assert response.status_code == 302 and fund.funder_organisation == "GM Cancer"
    good = {
        "name": "Round 2",
        "budget": "30,000",
        "min_award": "500",
        "max_award": "2000",
        "themes": "Social isolation\nScreening",
        "boroughs": ["bolton", "wigan"],
        "opens_at": "2027-03-01T09:00",
        "closes_at": "2027-04-01T17:00",
        "reviewers_per_application": "2",
        "criteria": "Reach: 3\nValue for money: 1",
    }
    bad = dict(good, min_award="2500")
    response = client.post(f"/grants/staff/funds/{fund.id}/rounds/new", data=bad)
    assert response.status_code == 400
    assert "The minimum award must not be more than the maximum award" in response.get_data(as_text=True)
    assert db.session.scalar(select(Round.id)) is None
    response = client.post(f"/grants/staff/funds/{fund.id}/rounds/new", data=dict(good, criteria="Reach"))
    assert response.status_code == 400 and "like 'Reach: 3'" in html.unescape(response.get_data(as_text=True))
    assert client.post(f"/grants/staff/funds/{fund.id}/rounds/new", data=good).status_code == 302
    round_ = db.session.scalar(select(Round))
    assert (round_.budget_pence, round_.max_award_pence) == (3_000_000, 200_000)
    assert [(c.name, c.weight) for c in round_.criteria] == [("Reach", 3), ("Value for money", 1)]
    assert as_utc(round_.opens_at).hour == 9  # 9am UK time in March, before the clocks change, is 9:00 UTC
    assert as_utc(round_.closes_at).hour == 16  # 5pm UK time in April is 4pm UTC
    assert {b.code for b in round_.boroughs} == {"bolton", "wigan"}


def test_staff_link_funders_and_only_funder_accounts_can_be_linked(client, auth, make, db):
    fund = make.fund()
    funder, champion = make.user(role="funder"), make.user(role="reviewer")
    auth.login_as("staff")
    response = client.post(f"/grants/staff/funds/{fund.id}", data={"funders": [str(funder.id), str(champion.id)]})
    assert response.status_code == 400 and "Select funders from the list" in response.get_data(as_text=True)
    db.session.expire_all()
    assert fund.funders == []  # a forged list changes nothing, not even its valid part
    assert client.post(f"/grants/staff/funds/{fund.id}", data={"funders": [str(funder.id)]}).status_code == 302
    db.session.expire_all()
    assert [u.id for u in fund.funders] == [funder.id]


def test_a_draft_is_continued_and_then_submitted(client, auth, make, db):
    round_ = make.round()
    auth.login_as("applicant")
    draft = form_for(group_name="Wigan Walkers", action="draft", summary="", amount_requested="")
    location = client.post(f"/grants/rounds/{round_.id}/apply", data=draft).headers["Location"]
    application = db.session.scalar(select(Application))
    assert application.status == "draft" and location.endswith(f"/grants/my/{application.id}")
    page = client.get(f"/grants/my/{application.id}/edit").get_data(as_text=True)
    assert 'value="Tea and talk"' in page and "Wigan Walkers" in page
    response = client.post(f"/grants/my/{application.id}/edit", data=form_for(summary=""))
    assert response.status_code == 400 and "Enter a summary of the project" in response.get_data(as_text=True)
    assert client.post(f"/grants/my/{application.id}/edit", data=form_for()).status_code == 302
    db.session.expire_all()
    assert application.status == "eligible" and application.summary == "Weekly tea mornings"
    assert client.get(f"/grants/my/{application.id}/edit").status_code == 302  # submitted: no more changes


def test_a_closed_round_refuses_submissions(client, auth, make, db):
    round_ = make.round()
    application = make.application(round=round_)
    auth.login_as("staff")
    assert client.post(f"/grants/staff/rounds/{round_.id}", data={"action": "close"}).status_code == 302
    client.post("/logout")
    client.post("/login", data={"email": application.applicant.email, "password": PASSWORD})
    response = client.post(f"/grants/my/{application.id}/edit", data=form_for())
    assert response.status_code == 400 and "applications can no longer be submitted" in response.get_data(as_text=True)
    db.session.expire_all()
    assert application.status == "draft"


def test_the_report_form_needs_the_spend_on_every_budget_line(client, make, db):
    application = make.application(status="paid_full")
    login(client, application.applicant)
    lines = application.budget_lines
    data = {
        f"spent_{lines[0].id}": "1000",
        f"spent_{lines[1].id}": "a lot",
        "people_reached": "40",
        "champions_recruited": "3",
        "activities": "Teas",
        "outcomes": "Friends made",
    }
    response = client.post(f"/grants/my/{application.id}/report", data=data)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400 and "Enter what you spent on 'Refreshments', in pounds" in page
    assert 'value="1000"' in page
    db.session.expire_all()
    assert application.status == "paid_full" and application.report is None
    data[f"spent_{lines[1].id}"] = "280.50"
    assert client.post(f"/grants/my/{application.id}/report", data=data).status_code == 302
    db.session.expire_all()
    assert application.status == "reported" and lines[1].spent_pence == 28_050


def test_the_report_form_refuses_a_count_of_nothing_but_commas(client, make, db):
    application = make.application(status="paid_full")
    login(client, application.applicant)
    data = {f"spent_{line.id}": "10" for line in application.budget_lines}
    data |= {"people_reached": ",", "champions_recruited": "1,200", "activities": "Teas", "outcomes": "Friends made"}
    response = client.post(f"/grants/my/{application.id}/report", data=data)
    assert response.status_code == 400 and "Enter a whole number, like 120" in response.get_data(as_text=True)
    data["people_reached"] = "40"
    assert client.post(f"/grants/my/{application.id}/report", data=data).status_code == 302
    db.session.expire_all()
    assert application.report.people_reached == 40 and application.report.champions_recruited == 1200


def test_staff_mark_a_scheduled_tranche_as_paid(client, auth, make, db):
    application = make.application(status="approved", amount_requested_pence=100_000)
    auth.login_as("staff")
    for amount in ("600", "400"):
        response = client.post(
            f"/grants/staff/applications/{application.id}/payment",
            data={"pa-amount": amount, "pa-due_on": "2027-01-01"},
        )
        assert response.status_code == 302
    page = client.get(f"/grants/staff/applications/{application.id}").get_data(as_text=True)
    assert page.count("Mark as paid") == 2
    first, second = application.payments
    for payment in (first, second):
        response = client.post(
            f"/grants/staff/applications/{application.id}/paid",
            data={"payment_id": str(payment.id), "mp-paid_on": "2027-01-05", "mp-reference": f"BACS-{payment.id}"},
        )
        assert response.status_code == 302
        db.session.expire_all()
        assert application.status == ("paid_part" if payment is first else "paid_full")
    response = client.post(
        f"/grants/staff/applications/{application.id}/paid",
        data={"payment_id": str(first.id), "mp-paid_on": "2027-01-06"},
    )
    assert response.status_code == 400 and "already marked as paid" in response.get_data(as_text=True)
