"""Audience conditions: each builds ONE set-based query of (user_id, context_id) for a rule.

Whatever the number of champions, evaluating a rule costs a fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, Select, and_, cast, false, func, literal, null, or_, select
from sqlalchemy.orm import aliased

from champions.accounts.models import User
from champions.activities.models import Activity
from champions.core.clock import uk_date
from champions.evaluation.models import Point
from champions.evaluation.models import Response as CheckResponse
from champions.evaluation.services import core_finished
from champions.grants.models import Application, GrantReport, ReportStatus
from champions.grants.services.lifecycle import REPORTABLE
from champions.moments.models import moment_topics
from champions.moments.services import upcoming_moments
from champions.profiles.models import Champion, Stage, StageChange
from champions.profiles.models import champion_topics as champion_topics_table
from champions.spread import queries as spread
from champions.spread.figures import R_DAYS
from champions.spread.models import ROLES
from champions.training.models import (
    PLEDGE_NEWEST_FIRST,
    Pledge,
    PledgeAcceptance,
    TrainingCompletion,
    TrainingResource,
)

# The kinds of reminder a person can turn on or off, in their words: each condition belongs to one kind.
KINDS: dict[str, str] = {
    "getting-started": "Help getting started",
    "quiet": "When we have not heard from you for a while",
    "training": "New training on your topics",
    "recruits": "News about people you recruited",
    "moments": "Awareness days on your topics",
    "pledge": "When the champion pledge changes",
    "grant-report": "Grant report reminders",
    "spread": "Asking you to bring others in",
    "training-check": "Checking what you remember from training",
}


def kind_purpose(kind: str) -> str:
    """The consent purpose of a whole kind of reminder (beside each rule's own, "nudge:<rule key>")."""
    return f"nudge-kind:{kind}"


@dataclass(frozen=True)
class Reach:
    """What decides which kinds of reminder can reach one person: shown on their preferences and in their export."""

    champion: bool
    verified: bool
    stage: str | None
    applicant: bool


@dataclass(frozen=True)
class Condition:
    key: str
    label: str  # for staff
    default_days: int
    target: str  # the action whose uptake measures the nudge's effect
    kind: str  # a key of KINDS
    params: tuple[str, ...] = ("days",)  # what a rule of it sets: "days" (N) and "role" (a key of spread's ROLES)

    @property
    def public_label(self) -> str:
        """The kind of reminder, in the words of the person it is sent to."""
        return KINDS[self.kind]

    def can_reach(self, person: Reach) -> bool:
        """Whether a reminder of this condition could ever be sent to this person as they are now (onboarding
        reminders stop once they are past that step; grant report reminders go to applicants only)."""
        if self.key in APPLICANT_CONDITIONS:
            return person.applicant
        if not person.champion or person.stage == Stage.WITHDRAWN.value:
            return False
        if self.key == "not_verified":
            return not person.verified
        if self.key in ONBOARDING_UNTIL:
            return person.stage in ONBOARDING_UNTIL[self.key]
        if self.key in TRAINED_ONLY:
            return person.stage in PAST_TRAINING
        return True


# Conditions whose reminders go to grant applicants (as part of their grant agreement), not to champions.
APPLICANT_CONDITIONS = {"grant_report_due"}

# Conditions for champions past the core training, and the stages they can be at then (nobody goes back).
TRAINED_ONLY = {"training_check_later"}
PAST_TRAINING = {Stage.TRAINED.value, Stage.ACTIVE.value, Stage.LAPSED.value}

# The stages at which an onboarding reminder can still reach someone (they only move forward from these).
ONBOARDING_UNTIL = {
    "no_core_training": {Stage.REGISTERED.value, Stage.VERIFIED.value},
    "no_pledge_or_activity": {Stage.REGISTERED.value, Stage.VERIFIED.value, Stage.TRAINED.value},
}


CONDITIONS: dict[str, Condition] = {
    c.key: c
    for c in (
        Condition(
            "not_verified", "Signed up but has not confirmed their email after N days", 2, "verified", "getting-started"
        ),
        Condition(
            "no_core_training",
            "Confirmed their email but no core training after N days",
            7,
            "trained",
            "getting-started",
        ),
        Condition(
            "no_pledge_or_activity",
            "Trained but no pledge or first activity after N days",
            7,
            "active",
            "getting-started",
        ),
        Condition("inactive", "Active but no activity logged for N days (before they lapse)", 30, "activity", "quiet"),
        Condition(
            "new_resource",
            "A training resource on a topic they follow was added in the last N days",
            7,
            "training",
            "training",
        ),
        Condition(
            "recruit_trained",
            "A champion they recruited finished the core training in the last N days",
            7,
            "activity",
            "recruits",
        ),
        Condition("recruits_milestone", "They have recruited at least N champions", 5, "recruit", "recruits"),
        Condition(
            "moment_upcoming", "A social moment on a topic they follow starts within N days", 14, "activity", "moments"
        ),
        Condition(
            "grant_report_due",
            "Their end-of-grant report falls due within N days (applicants)",
            21,
            "report",
            "grant-report",
        ),
        Condition("lapsed", "Lapsed (no activity for a while) for at least N days", 14, "activity", "quiet"),
        Condition(
            "pledge_updated",
            "A new pledge version they have not accepted was published N days ago",
            7,
            "pledge",
            "pledge",
        ),
        Condition(
            "role_no_recruit",
            "Champions in a network role who have recruited no one in the last N days",
            60,
            "recruit",
            "spread",
            params=("role", "days"),
        ),
        Condition(
            "training_check_later",
            "Finished the core training N days ago (up to twice that) and not answered the later check",
            56,
            "training_check",
            "training-check",
        ),
        Condition(
            "role_r_below_one",
            "Champions in a network role whose borough's R is below 1 (newest network run)",
            0,
            "recruit",
            "spread",
            params=("role",),
        ),
    )
}


def describe(condition: str, params: dict[str, Any]) -> str:
    """Who a rule is for, in plain words, with its own numbers ("Hubs who have recruited no one in the last 60
    days")."""
    found = CONDITIONS.get(condition)
    if found is None:
        return "A kind of rule no longer offered: it reaches no one"
    days = params.get("days", found.default_days)
    role = str(params.get("role", ""))
    if "role" in found.params and role not in ROLES:
        return "No network role is chosen, so it reaches no one"
    if condition == "role_no_recruit":
        return f"{spread.role_plural(role)} who have recruited no one in the last {days} days"
    if condition == "role_r_below_one":
        return (
            f"{spread.role_plural(role)} in boroughs where R is below 1: where each champion brought in fewer than "
            f"one more within {R_DAYS} days of joining, in the newest network run"
        )
    return found.label.replace("N days", f"{days} days").replace("N champions", f"{days} champions")


def _stage_reached_at(stage: Stage):
    return (
        select(StageChange.champion_id, func.max(StageChange.changed_at).label("at"))
        .where(StageChange.to_stage == stage.value)
        .group_by(StageChange.champion_id)
        .subquery()
    )


def audience(condition: str, params: dict[str, Any], now: datetime) -> Select:
    """Champions (as user_id, context_id) who meet the condition right now."""
    days = int(params.get("days", CONDITIONS[condition].default_days))
    since = now - timedelta(days=days)
    base = select(Champion.user_id.label("user_id"))
    if condition in ("role_no_recruit", "role_r_below_one"):
        return _role_audience(condition, base, str(params.get("role", "")), since)
    if condition == "not_verified":
        return (
            base.add_columns(cast(null(), Integer).label("context_id"))
            .join(User, User.id == Champion.user_id)
            .where(User.email_verified_at.is_(None), User.created_at < since)
        )
    if condition == "no_core_training":
        return (
            base.add_columns(cast(null(), Integer).label("context_id"))
            .join(User, User.id == Champion.user_id)
            .where(Champion.stage == Stage.VERIFIED.value, User.email_verified_at < since)
        )
    if condition == "no_pledge_or_activity":
        trained = _stage_reached_at(Stage.TRAINED)
        return (
            base.add_columns(cast(null(), Integer).label("context_id"))
            .join(trained, trained.c.champion_id == Champion.id)
            .where(Champion.stage == Stage.TRAINED.value, trained.c.at < since)
        )
    if condition == "inactive":
        return base.add_columns(cast(null(), Integer).label("context_id")).where(
            Champion.stage == Stage.ACTIVE.value, Champion.last_activity_on < uk_date(since)
        )
    if condition == "new_resource":
        done = select(TrainingCompletion.id).where(
            TrainingCompletion.champion_id == Champion.id, TrainingCompletion.resource_id == TrainingResource.id
        )
        return (
            base.add_columns(func.min(TrainingResource.id).label("context_id"))
            .join(champion_topics_table, champion_topics_table.c.champion_id == Champion.id)
            .join(TrainingResource, TrainingResource.topic_code == champion_topics_table.c.topic_code)
            .where(
                TrainingResource.created_at >= since,
                TrainingResource.created_at > Champion.created_at,  # new to them: added after they joined
                TrainingResource.retired_at.is_(None),
                ~done.exists(),
            )
            .group_by(Champion.user_id)
        )
    if condition == "recruit_trained":
        trained = _stage_reached_at(Stage.TRAINED)
        recruit = select(Champion.id.label("id"), Champion.recruited_by_id.label("by")).subquery()
        return (
            base.add_columns(func.min(recruit.c.id).label("context_id"))
            .join(recruit, recruit.c.by == Champion.id)
            .join(trained, trained.c.champion_id == recruit.c.id)
            .where(trained.c.at >= since)
            .group_by(Champion.user_id)
        )
    if condition == "recruits_milestone":
        recruits = (
            select(Champion.recruited_by_id.label("by"), func.count().label("n"))
            .where(Champion.recruited_by_id.is_not(None))
            .group_by(Champion.recruited_by_id)
            .subquery()
        )
        return (
            base.add_columns(literal(days, Integer).label("context_id"))
            .join(recruits, recruits.c.by == Champion.id)
            .where(recruits.c.n >= days)
        )
    if condition == "lapsed":
        lapsed = _stage_reached_at(Stage.LAPSED)
        return (
            base.add_columns(cast(null(), Integer).label("context_id"))
            .join(lapsed, lapsed.c.champion_id == Champion.id)
            .where(Champion.stage == Stage.LAPSED.value, lapsed.c.at <= since)
        )
    if condition == "pledge_updated":
        return _pledge_updated(base, since)
    if condition == "training_check_later":
        return _training_check_later(base, since, now - timedelta(days=2 * days))
    if condition == "grant_report_due":
        reported = select(GrantReport.id).where(GrantReport.application_id == Application.id).exists()
        # Owed: a paid grant with no report yet, or one whose report staff sent back to be sent again.
        owed = or_(
            and_(Application.status.in_([s.value for s in REPORTABLE]), ~reported),
            Application.report_status == ReportStatus.RETURNED.value,
        )
        return (
            select(Application.applicant_id.label("user_id"), func.min(Application.id).label("context_id"))
            .where(
                owed,
                Application.report_due_on >= uk_date(now),
                Application.report_due_on <= uk_date(now + timedelta(days=days)),
            )
            .group_by(Application.applicant_id)
        )
    if condition == "moment_upcoming":
        # One query for the calendar (a handful of moments), then one for the champions.
        coming = [occurrence.moment.id for occurrence in upcoming_moments(days, uk_date(now))]
        return (
            base.add_columns(func.min(moment_topics.c.moment_id).label("context_id"))
            .join(champion_topics_table, champion_topics_table.c.champion_id == Champion.id)
            .join(moment_topics, moment_topics.c.topic_code == champion_topics_table.c.topic_code)
            .where(moment_topics.c.moment_id.in_(coming), Champion.stage != Stage.WITHDRAWN.value)
            .group_by(Champion.user_id)
        )
    raise ValueError(f"Unknown condition {condition!r}")


def _role_audience(condition: str, base: Select, role: str, since: datetime) -> Select:
    """Champions holding ``role`` in the newest network run who have recruited no one since ``since``, or whose
    borough's R in that run is below 1 (one query for the run's figures, then one for the champions). An unknown
    role, or no finished run, reaches no one."""
    query = base.add_columns(cast(null(), Integer).label("context_id")).where(spread.has_role(role, Champion.id))
    if condition == "role_no_recruit":
        recruit = aliased(Champion)
        recent = select(recruit.id).where(recruit.recruited_by_id == Champion.id, recruit.created_at >= since)
        return query.where(~recent.exists())
    codes = spread.boroughs_below_one().codes
    return query.where(Champion.borough_code.in_(codes) if codes else false())


def _pledge_updated(base: Select, since: datetime) -> Select:
    """Champions who accepted an earlier pledge but not the current one, published at least N days ago; the context
    is the current pledge. (Someone who never pledged is onboarding's to ask.)"""
    current = select(Pledge.id).order_by(*PLEDGE_NEWEST_FIRST).limit(1).scalar_subquery()
    accepted = select(PledgeAcceptance.id).where(PledgeAcceptance.champion_id == Champion.id)
    return (
        base.add_columns(Pledge.id.label("context_id"))
        .join(Pledge, Pledge.id == current)
        .where(
            Pledge.published_at <= since,
            accepted.where(PledgeAcceptance.pledge_id != Pledge.id).exists(),
            ~accepted.where(PledgeAcceptance.pledge_id == Pledge.id).exists(),
        )
    )


def _training_check_later(base: Select, since: datetime, until: datetime) -> Select:
    """Champions who finished the core training at least N days ago, and no more than 2N (long after, the answers
    would no longer say what was kept eight weeks on), who have not answered the later check, and not withdrawn."""
    finished = core_finished()
    answered = select(CheckResponse.id).where(
        CheckResponse.champion_id == Champion.id, CheckResponse.point == Point.LATER.value
    )
    return (
        base.add_columns(cast(null(), Integer).label("context_id"))
        .join(finished, finished.c.champion_id == Champion.id)
        .where(
            finished.c.at <= since,
            finished.c.at > until,
            ~answered.exists(),
            Champion.stage != Stage.WITHDRAWN.value,
        )
    )


def target_done(target: str, user_id_col, since_col, until_col, champion_id_col=None, verified_at_col=None):
    """Did this user do the target action between the two times (most often an EXISTS clause)? ``champion_id_col``,
    when the caller has joined the user's champion record, saves looking it up for each row; ``verified_at_col``,
    when the caller has joined the user's account, answers "verified" from it with no look-up at all."""
    if target == "verified":  # on the account, not the champion record
        if verified_at_col is not None:  # true or false, never NULL, as EXISTS is
            return and_(verified_at_col.is_not(None), verified_at_col >= since_col, verified_at_col < until_col)
        return (
            select(User.id)
            .where(User.id == user_id_col, User.email_verified_at >= since_col, User.email_verified_at < until_col)
            .exists()
        )
    # Every other target is on the champion record: the person's champion id. This sits two levels inside the
    # caller's query (within an EXISTS), where automatic correlation does not reach: without correlate_except the
    # caller's table would be joined in here, and the look-up would return every champion instead of this person's.
    champion = (
        champion_id_col
        if champion_id_col is not None
        else select(Champion.id).where(Champion.user_id == user_id_col).correlate_except(Champion).scalar_subquery()
    )
    if target in ("trained", "active"):
        return (
            select(StageChange.id)
            .where(
                StageChange.champion_id == champion,
                StageChange.to_stage == target,
                and_(StageChange.changed_at >= since_col, StageChange.changed_at < until_col),
            )
            .exists()
        )
    if target == "training":
        return (
            select(TrainingCompletion.id)
            .where(
                TrainingCompletion.champion_id == champion,
                TrainingCompletion.completed_at >= since_col,
                TrainingCompletion.completed_at < until_col,
            )
            .exists()
        )
    if target == "pledge":
        return (
            select(PledgeAcceptance.id)
            .where(
                PledgeAcceptance.champion_id == champion,
                PledgeAcceptance.accepted_at >= since_col,
                PledgeAcceptance.accepted_at < until_col,
            )
            .exists()
        )
    if target == "training_check":
        return (
            select(CheckResponse.id)
            .where(
                CheckResponse.champion_id == champion,
                CheckResponse.point == Point.LATER.value,
                CheckResponse.answered_at >= since_col,
                CheckResponse.answered_at < until_col,
            )
            .exists()
        )
    if target == "report":
        return (
            select(GrantReport.id)
            .join(Application, Application.id == GrantReport.application_id)
            .where(
                Application.applicant_id == user_id_col,
                GrantReport.submitted_at >= since_col,
                GrantReport.submitted_at < until_col,
            )
            .exists()
        )
    if target == "recruit":
        return (
            select(Champion.id)
            .where(
                Champion.recruited_by_id == champion, Champion.created_at >= since_col, Champion.created_at < until_col
            )
            .exists()
        )
    return (
        select(Activity.id)
        .where(Activity.champion_id == champion, Activity.created_at >= since_col, Activity.created_at < until_col)
        .exists()
    )
