from __future__ import annotations

from sqlalchemy import func, or_, select

from champions.accounts.models import User
from champions.activities.models import ACTIVITY_COPIES, Activity, ActivityOutcome
from champions.core.models import AuditEvent
from champions.core.snapshots import latest_snapshot
from champions.dashboards.services import PROGRAMME
from champions.nudges.evaluation import holdout_bucket
from champions.nudges.models import NudgeMessage, NudgeRule
from champions.profiles.models import Champion


def test_create_admin_makes_the_first_admin(app, db):
    result = app.test_cli_runner().invoke(
        args=["create-admin", "--email", "Boss@Example.org", "--password", "a very good password"]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User))
    assert (user.email, user.role) == ("boss@example.org", "admin")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.created_by_cli"))
    assert event is not None and event.target_id == str(user.id)


def test_create_admin_refuses_a_weak_password_and_a_taken_email(app, db, make):
    runner = app.test_cli_runner()
    weak = runner.invoke(args=["create-admin", "--email", "a@example.org", "--password", "password"])
    assert weak.exit_code != 0 and "too common" in weak.output
    make.user(email="b@example.org")
    taken = runner.invoke(args=["create-admin", "--email", "B@example.org", "--password", "a very good password"])
    assert taken.exit_code != 0 and "already exists" in taken.output


def test_seed_demo_fills_an_empty_database_once(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo", "--champions", "120"])
    assert result.exit_code == 0, result.output
    assert "admin@champions.example" in result.output
    assert {r for (r,) in db.session.execute(select(User.role).distinct())} == {
        "admin",
        "staff",
        "champion",
        "funder",
        "reviewer",
        "applicant",
    }
    champions = list(db.session.scalars(select(Champion)))
    assert len(champions) == 120
    assert len({c.borough_code for c in champions}) == 10
    assert len({c.stage for c in champions}) >= 4
    assert any(c.recruited_by_id for c in champions)
    assert all(c.history and c.history[0].to_stage == "registered" for c in champions)
    assert latest_snapshot(PROGRAMME).data["headline"]["champions"] > 0
    demo = db.session.scalar(select(User).where(User.email == "champion@champions.example")).champion
    assert demo.stage == "active" and demo.user.email_verified_at is not None
    assert db.session.scalar(select(func.count()).select_from(Activity).where(Activity.champion_id == demo.id)) >= 1
    # Every active champion has been active recently, so the lapse job does not lapse the demo on first start.
    assert all(c.last_activity_on for c in champions if c.stage == "active")
    # A nudge history, so the dashboard's nudge effect has figures; sent or held out as the engine decides.
    effect = {row["rule"]: row for row in latest_snapshot(PROGRAMME).data["nudges"]}
    assert effect["Confirm your email address"]["nudged"] > 0
    for rule in db.session.scalars(select(NudgeRule)):
        statuses = db.session.execute(
            select(NudgeMessage.status, holdout_bucket(NudgeMessage.user_id, rule.id) < rule.holdout_percent).where(
                NudgeMessage.rule_id == rule.id
            )
        ).all()
        assert all((status == "holdout") == bool(held) for status, held in statuses), rule.key
    # Its outcomes carry their activity's columns (ACTIVITY_COPIES), which the outcome figures group by.
    copied = [getattr(ActivityOutcome, copy) != getattr(Activity, column) for copy, column in ACTIVITY_COPIES.items()]
    outcomes = select(func.count()).select_from(ActivityOutcome).join(ActivityOutcome.activity)
    assert db.session.scalar(outcomes) > 0
    assert db.session.scalar(outcomes.where(or_(*copied))) == 0
    # The demo member of staff has follow-ups to show: tasks on champions they own, one of them overdue.
    from champions.core.clock import today_uk
    from champions.followups.models import Task

    staff = db.session.scalar(select(User).where(User.email == "staff@champions.example"))
    tasks = list(db.session.scalars(select(Task).where(Task.assignee_id == staff.id)))
    assert len(tasks) == 4 and sum(t.due_on < today_uk() for t in tasks) == 1
    assert all(t.champion.owner_id == staff.id for t in tasks)
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code != 0
    quiet = runner.invoke(args=["seed-demo", "--if-empty"])
    assert quiet.exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(Champion)) == 120
