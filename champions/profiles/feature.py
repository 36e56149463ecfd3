"""Champion profiles: who a champion is, their stage and its history."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case

from champions.accounts.signals import person_by_number, person_records
from champions.core.audit import detail_words
from champions.core.features import Feature
from champions.core.personal_data import Holding, Lookup
from champions.profiles import models
from champions.profiles.models import Stage
from champions.profiles.services import account_of_champion, champion_records_of, topic_choices

# A champion's stage as they would say it (the CRM's terms are for staff).
STAGE_WORDS = {
    Stage.REGISTERED.value: "Signed up, email address not yet confirmed",
    Stage.VERIFIED.value: "Email address confirmed",
    Stage.TRAINED.value: "Trained",
    Stage.ACTIVE.value: "Active champion",
    Stage.LAPSED.value: "Taking a break (no activity logged for a while)",
    Stage.WITHDRAWN.value: "Withdrawn from the programme",
}
SOURCE_WORDS = {"sign_up": "You signed up on this website", "import": "A partner organisation passed on your details"}
LAWFUL_BASIS_WORDS = {
    "consent": "Your consent",
    "legitimate_interests": "Legitimate interests (the programme's work, which you would expect)",
    "public_task": "A public task (the NHS's work)",
}
# Who recruited them: a first name only, and nothing of a recruiter who has left (or was erased since).
RECRUITER = Lookup(
    "recruited_by_id",
    "champions",
    {
        "recruited_by": lambda recruiter: case(
            (recruiter.c.stage == Stage.WITHDRAWN.value, "a champion who has since left"),
            else_=recruiter.c.first_name,
        )
    },
)
STAGE_DETAILS = frozenset({"stage", "from", "to"})


def stage_detail_words(name: str, value: Any = None) -> str | None:
    """A stage named in an audit event's details (a rejoin, a staff move), in the champion's words."""
    if name in STAGE_DETAILS and value in Stage.__members__.values():
        return Stage(value).public_label
    return None


CHANGED_BY_WORDS = {"champion": "You", "staff": "The programme team", "admin": "The programme team"}

FEATURE = Feature(
    name="profiles",
    models=(models,),
    merges=models.MERGES,
    signals=(
        (detail_words, stage_detail_words),
        (person_records, champion_records_of),
        (person_by_number, account_of_champion),
    ),
    holdings=(
        Holding(
            "champions",
            "champion",
            "id",
            "anonymise",
            title="Your profile",
            describe="Your name, where you are, how you heard about us and how far you are as a champion.",
            columns={
                "first_name": "First name",
                "last_name": "Last name",
                "postcode": "Postcode",
                "borough": "Borough",
                "phone": "Phone number",
                "stage": "Where you are as a champion",
                "is_leader": "The team has asked you to lead locally",
                "referral_code": "Your referral code",
                "recruited_by": "Recruited by",
                "heard_via_organisation": "Heard about us through",
                "heard_via_other": "Heard about us (in your words)",
                "last_activity_on": "Last activity logged",
                "source": "How your record began",
                "source_detail": "Where your details came from",
                "lawful_basis": "Why we may hold your data (lawful basis)",
                "created_at": "Joined",
                "updated_at": "Last changed",
            },
            labels={"stage": STAGE_WORDS, "source": SOURCE_WORDS, "lawful_basis": LAWFUL_BASIS_WORDS},
            lookups=(
                Lookup("borough_code", "boroughs", {"borough": "name"}, key="code"),
                RECRUITER,
                Lookup("heard_via_organisation_id", "organisations", {"heard_via_organisation": "name"}),
            ),
        ),
        Holding(
            "champion_topics",
            "champion",
            "champion_id",
            "delete",
            title="Your topics",
            describe="The cancer-prevention topics you told us you care about.",
            columns={"topic": "Topic"},
            lookups=(Lookup("topic_code", "topics", {"topic": "name"}, key="code"),),
            preferences=topic_choices,
        ),
        Holding(
            "stage_changes",
            "champion",
            "champion_id",
            "keep",
            why_kept="stages of an anonymised record, no details",
            title="Your progress as a champion",
            describe="Each time you moved on as a champion (or took a break, left or came back), and why.",
            columns={
                "changed_at": "Date",
                "from_stage": "From",
                "to_stage": "To",
                "reason": "Why",
                "changed_by": "Changed by",
            },
            labels={
                "from_stage": STAGE_WORDS,
                "to_stage": STAGE_WORDS,
                "changed_by": {**CHANGED_BY_WORDS, None: "The service, automatically"},
            },
            lookups=(Lookup("changed_by_id", "users", {"changed_by": "role"}),),
            order_by=("changed_at", "id"),
        ),
    ),
)
