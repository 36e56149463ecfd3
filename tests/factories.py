"""Factories for test data, with the same services the app uses."""

from __future__ import annotations

import itertools
from functools import cache

from champions.accounts.models import User
from champions.accounts.services import hash_password, normalise_email
from champions.core.permissions import Role
from champions.profiles.services import create_champion

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


class Factory:
    def __init__(self, db):
        self.db = db

    def user(self, role: str = "staff", email: str | None = None, password: str = PASSWORD, **profile):
        n = next(_counter)
        # Hashing is slow on purpose; tests reuse one hash per password.
        user = User(
            email=normalise_email(email or f"user{n}@example.org"), password_hash=_hash(password), role=Role(role).value
        )
        self.db.session.add(user)
        self.db.session.flush()
        if role == Role.CHAMPION:
            self.champion_profile(user, **profile)
        self.db.session.commit()
        return user

    def champion_profile(self, user, **profile):
        defaults = {
            "first_name": "Alex",
            "last_name": f"Tester{user.id}",
            "borough_code": "bolton",
            "postcode": "BL1 1AA",
        }
        defaults.update(profile)
        return create_champion(user.id, **defaults)

    def champion(self, **profile):
        user = self.user(role="champion", **profile)
        return user.champion

    def activity(self, champion, **values):
        """An activity row of ``champion``'s, added as it is: not logged through the service, so their stage and
        last activity stay as they were."""
        from datetime import date

        from champions.activities.models import Activity

        fields = {
            "type": "conversation",
            "occurred_on": date(2026, 1, 2),
            "borough_code": "bury",
            "topic_code": "smoking",
            "people_reached": 3,
        }
        activity = Activity(champion_id=champion.id, **{**fields, **values})
        self.db.session.add(activity)
        self.db.session.commit()
        return activity

    # ---- Small Sparks grants ----

    def fund(self, name: str = "Small Sparks", funders=()):
        from champions.grants.models import Fund

        fund = Fund(name=name, funder_organisation="Greater Manchester Cancer", funders=list(funders))
        self.db.session.add(fund)
        self.db.session.commit()
        return fund

    def round(self, fund=None, **values):
        from datetime import timedelta

        from champions.core.db import now_utc
        from champions.grants.models import Criterion, Round
        from champions.grants.services.rounds import RoundData, create_round

        now = now_utc()
        data = RoundData(
            name=values.pop("name", "Round 1"),
            budget_pence=values.pop("budget_pence", 6_000_000),
            min_award_pence=values.pop("min_award_pence", 50_000),
            max_award_pence=values.pop("max_award_pence", 200_000),
            themes=values.pop("themes", ["Social isolation", "Screening"]),
            borough_codes=values.pop("borough_codes", ["bolton", "oldham", "wigan"]),
            opens_at=values.pop("opens_at", now - timedelta(days=10)),
            closes_at=values.pop("closes_at", now + timedelta(days=10)),
            reviewers_per_application=values.pop("reviewers_per_application", 2),
            criteria=values.pop("criteria", [("Reach", 3), ("Value for money", 1)]),
            second_approval_above_pence=values.pop("second_approval_above_pence", None),
            anonymise_reviews=values.pop("anonymise_reviews", False),
        )
        round_ = create_round(fund or self.fund(), data)
        reviewers = values.pop("reviewers", [])
        round_.reviewers = list(reviewers)
        assert not values, values
        self.db.session.commit()
        assert isinstance(round_, Round) and all(isinstance(c, Criterion) for c in round_.criteria)
        return round_

    def application_data(self, group="Tea Group", **values):
        """What an applicant sends; ``group`` is the group's name (or its GroupDetails)."""
        from datetime import date

        from champions.grants.services.applications import ApplicationData
        from champions.grants.services.groups import GroupDetails

        amount = values.pop("amount_requested_pence", 130_000)
        data = dict(
            group=group if isinstance(group, GroupDetails) else GroupDetails(group, "constituted", None, "BL1 1AA"),
            contact_name="Jo Bloggs",
            contact_email="jo@example.org",
            contact_phone="",
            title="Tea and talk",
            summary="Weekly tea mornings",
            activities="Tea, talks about screening",
            beneficiaries="Older people living alone",
            theme="Social isolation",
            borough_codes=["bolton"],
            people_expected=60,
            amount_requested_pence=amount,
            start_on=date(2027, 1, 1),
            end_on=date(2027, 6, 30),
            budget_lines=[("Room hire", amount - 30_000), ("Refreshments", 30_000)],
        )
        data.update(values)
        return ApplicationData(**data)

    def application(self, round=None, applicant=None, status: str = "draft", award_pence: int | None = None, **values):
        """An application driven through the real services to ``status``."""
        from datetime import date

        from champions.grants.services import applications, awards, reports, reviews
        from champions.organisations.services import create_organisation

        round_ = round or self.round()
        applicant = applicant or self.user(role="applicant")
        if not round_.reviewers and status not in ("draft", "eligible", "ineligible"):
            round_.reviewers = [self.user(role="reviewer")]
        org = create_organisation(f"Group {next(_counter)}", type="grassroots")
        data = self.application_data(values.pop("group", org.name), **values)
        application = applications.save_draft(round_, applicant, data)
        application.organisation = org  # as if staff had confirmed the group is this organisation
        if status != "draft":
            applications.submit(round_, data, applicant, application)
        if status in ("under_review", "approved", "declined", "paid_part", "paid_full", "reported", "closed"):
            if application.status == "ineligible":
                applications.override_eligibility(application, True, "test")
            reviews.assign_reviewers(application, [round_.reviewers[0].id])
        if status in ("approved", "paid_part", "paid_full", "reported", "closed"):
            amount = award_pence or application.amount_requested_pence
            awards.approve(application.id, amount, None, None, few_reviews_reason="Approved before every review")
        if status == "declined":
            awards.decline(application, "Not this time", None)
        if status == "paid_part":
            awards.add_payment(application.id, application.award_pence // 2, date(2027, 1, 1), date(2027, 1, 1), "P1")
        if status in ("paid_full", "reported", "closed"):
            awards.add_payment(application.id, application.award_pence, date(2027, 1, 1), date(2027, 1, 1), "P1")
        if status in ("reported", "closed"):
            spent = {line.id: line.amount_pence for line in application.budget_lines}
            reports.submit_report(application, reports.ReportData(spent, 200, 8, "Did it", "Good", "A story", True))
        if status == "closed":
            reports.approve_report(application)
            awards.close(application)
        assert application.status == status, (application.status, status)
        self.db.session.commit()
        return application


@cache
def _hash(password: str) -> str:
    return hash_password(password)
