"""Nudge rules aimed at a network role: hubs who have recruited no one lately, and boundary spanners in boroughs
where R is below 1. The audience is exactly the people the network run found, with the engine's consent and
holdout, the staff page says who it is for in words and refuses a role or N it cannot use, and the effect table
measures the rules like any other."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from champions.accounts.consent import set_consent
from champions.extensions import db as _db
from champions.nudges import evaluation
from champions.nudges.conditions import CONDITIONS, audience, describe
from champions.nudges.effect import rule_effect
from champions.nudges.models import MessageStatus, NudgeMessage, NudgeRule
from champions.spread.models import ChampionRole
from tests.nudges.conftest import rule_form
from tests.spread.helpers import measure_network


def _joined(champion, when) -> None:
    champion.created_at = when


def _star(make, now, recruits: int = 5, recent: int = 0, borough: str = "bolton"):
    """A champion who joined 300 days ago with ``recruits`` recruits, ``recent`` of them in the last 10 days and the
    others 200 days ago; everyone agreed to email."""
    centre = make.champion(borough_code=borough)
    _joined(centre, now - timedelta(days=300))
    for n in range(recruits):
        recruit = make.champion(borough_code=borough, recruited_by_id=centre.id)
        _joined(recruit, now - timedelta(days=10 if n < recent else 200))
    for champion in (centre, *centre_recruits(centre)):
        set_consent(champion.user_id, "email_contact", True)
    return centre


def centre_recruits(centre):
    from champions.profiles.models import Champion

    return list(_db.session.scalars(select(Champion).where(Champion.recruited_by_id == centre.id)))


def who(condition: str, params: dict, now) -> set[int]:
    return {row.user_id for row in _db.session.execute(audience(condition, params, now))}


def rule_for(db, condition: str, params: dict, holdout: int = 0, key: str | None = None) -> NudgeRule:
    rule = NudgeRule(
        key=key or f"{condition}-rule",
        name=condition,
        condition=condition,
        params=params,
        subject="Hello {{ first_name }}",
        body_text="Bring a friend: {{ network_url }}",
        body_html="<p>Bring a friend</p>",
        holdout_percent=holdout,
    )
    db.session.add(rule)
    db.session.commit()
    return rule


def test_hubs_who_have_recruited_no_one_in_n_days(db, make, morning):
    quiet = _star(make, morning)
    busy = _star(make, morning, recent=1)
    loner = make.champion()
    _joined(loner, morning - timedelta(days=300))
    db.session.commit()
    measure_network(db)
    hubs = set(db.session.scalars(select(ChampionRole.champion_id).where(ChampionRole.hub)))
    assert hubs == {quiet.id, busy.id}

    assert who("role_no_recruit", {"role": "hub", "days": 60}, morning) == {quiet.user_id}
    assert who("role_no_recruit", {"role": "hub", "days": 5}, morning) == {quiet.user_id, busy.user_id}
    gatekeepers = set(db.session.scalars(select(ChampionRole.champion_id).where(ChampionRole.gatekeeper)))
    assert gatekeepers == {quiet.id, busy.id}  # each the only path between their recruits
    assert who("role_no_recruit", {"role": "gatekeeper", "days": 60}, morning) == {quiet.user_id}
    pulsetakers = set(db.session.scalars(select(ChampionRole.champion_id).where(ChampionRole.pulsetaker)))
    recruits = {c.id: c.user_id for c in centre_recruits(quiet) + centre_recruits(busy)}
    assert pulsetakers == set(recruits)  # few ties, the most people within three steps; none has recruited
    assert who("role_no_recruit", {"role": "pulsetaker", "days": 60}, morning) == set(recruits.values())
    assert who("role_no_recruit", {"role": "wizard", "days": 60}, morning) == set()  # an unknown role: no one
    assert describe("role_no_recruit", {"role": "hub", "days": 60}) == (
        "Hubs who have recruited no one in the last 60 days"
    )
    rule = rule_for(db, "role_no_recruit", {"role": "hub", "days": 60})
    assert evaluation.evaluate_rule(rule, morning) == 1
    assert db.session.scalars(select(NudgeMessage.user_id)).all() == [quiet.user_id]
    assert CONDITIONS["role_no_recruit"].target == "recruit"


def test_no_run_yet_reaches_no_one(db, make, morning):
    _star(make, morning)
    db.session.commit()
    assert who("role_no_recruit", {"role": "hub", "days": 60}, morning) == set()
    assert who("role_r_below_one", {"role": "spanner"}, morning) == set()


def test_boundary_spanners_in_boroughs_where_r_is_below_one(db, make, morning):
    # Two spanners, each recruiting one person in each of three other boroughs: Bolton's recruited them late (200
    # days after joining, so Bolton's R is 0), Manchester's within 90 days of joining (Manchester's R is 3).
    late = make.champion(borough_code="bolton")
    early = make.champion(borough_code="manchester")
    stay = make.champion(borough_code="bolton")  # in Bolton, no ties: not a spanner
    for spanner, after in ((late, 200), (early, 20)):
        _joined(spanner, morning - timedelta(days=400))
        for borough in ("bury", "wigan", "oldham"):
            recruit = make.champion(borough_code=borough, recruited_by_id=spanner.id)
            _joined(recruit, morning - timedelta(days=400 - after))
    _joined(stay, morning - timedelta(days=400))
    db.session.commit()
    run = measure_network(db)
    spanners = set(db.session.scalars(select(ChampionRole.champion_id).where(ChampionRole.spanner)))
    assert spanners == {late.id, early.id}
    r = {row["borough"]: row["r"] for row in run.figures["r"]["by_borough"]}
    assert r["Bolton"] == 0 and r["Manchester"] == 3

    assert who("role_r_below_one", {"role": "spanner"}, morning) == {late.user_id}
    assert who("role_r_below_one", {"role": "hub"}, morning) == set()
    assert describe("role_r_below_one", {"role": "spanner"}).startswith("Boundary spanners in boroughs where R is")

    for champion in (late, early, stay):
        set_consent(champion.user_id, "email_contact", True)
    db.session.commit()
    rule = rule_for(db, "role_r_below_one", {"role": "spanner"})
    assert evaluation.evaluate_rule(rule, morning) == 1
    assert db.session.scalars(select(NudgeMessage.user_id)).all() == [late.user_id]


def test_the_holdout_is_recorded_and_the_effect_table_measures_the_rule(db, make, morning):
    hubs = [_star(make, morning) for _ in range(20)]
    consent_refused = _star(make, morning)
    set_consent(consent_refused.user_id, "email_contact", False)
    db.session.commit()
    measure_network(db)
    rule = rule_for(db, "role_no_recruit", {"role": "hub", "days": 60}, holdout=30)
    asked_at = morning - timedelta(days=20)
    assert evaluation.evaluate_rule(rule, asked_at) == 20  # not the one who said no to email

    messages = {m.user_id: m for m in db.session.scalars(select(NudgeMessage))}
    expected = {h.user_id for h in hubs if evaluation.holdout_bucket_of(h.user_id, rule.id) < 30}
    held = {user for user, m in messages.items() if m.status == MessageStatus.HOLDOUT.value}
    assert held == expected and 0 < len(held) < 20
    assert evaluation.evaluate_rule(rule, asked_at) == 0  # once per period

    # Delivered to the rest; one nudged hub and one held-out hub recruit someone within the 14 days measured.
    for m in messages.values():
        if m.status == MessageStatus.PENDING.value:
            m.status, m.sent_at = MessageStatus.SENT.value, asked_at
    nudged = next(h for h in hubs if h.user_id not in held)
    held_hub = next(h for h in hubs if h.user_id in held)
    late = next(h for h in hubs if h.user_id not in held and h is not nudged)
    for recruiter, days_after in ((nudged, 3), (held_hub, 5), (late, 16)):  # late: after the 14 days
        recruit = make.champion(recruited_by_id=recruiter.id)
        _joined(recruit, asked_at + timedelta(days=days_after))
    db.session.commit()

    effect = rule_effect(rule)
    assert (effect.nudged, effect.nudged_acted) == (20 - len(held), 1)
    assert (effect.held_out, effect.held_out_acted) == (len(held), 1)


def test_staff_make_a_role_rule_and_see_who_it_is_for(client, auth, db, make, rules, morning):
    auth.login_as("staff")
    base = rules["keep-going"]
    response = client.post(
        "/staff/nudges/new",
        data=rule_form(base, name="Ask hubs", condition="role_no_recruit", role="hub", days="60"),
    )
    assert response.status_code == 302
    rule = db.session.scalar(select(NudgeRule).where(NudgeRule.name == "Ask hubs"))
    assert rule.params == {"role": "hub", "days": 60}
    page = client.get("/staff/nudges").get_data(as_text=True)
    assert "Hubs who have recruited no one in the last 60 days" in page
    page = client.get(f"/staff/nudges/{rule.id}").get_data(as_text=True)
    assert "Who it is for: Hubs who have recruited no one in the last 60 days." in page

    # The R rule needs no N; its page says where R is below 1, or that no run has finished yet.
    response = client.post(
        "/staff/nudges/new",
        data=rule_form(base, name="Spanners", condition="role_r_below_one", role="spanner", days=""),
    )
    assert response.status_code == 302
    spanners = db.session.scalar(select(NudgeRule).where(NudgeRule.name == "Spanners"))
    assert spanners.params == {"role": "spanner"}
    page = client.get(f"/staff/nudges/{spanners.id}").get_data(as_text=True)
    assert "No network run has finished yet" in page
    star = _star(make, morning, borough="wigan")
    _joined(star, morning - timedelta(days=300))
    db.session.commit()
    measure_network(db)
    page = client.get(f"/staff/nudges/{spanners.id}").get_data(as_text=True)
    assert "R is below 1 in " in page and "Wigan" in page

    # Other rules keep only their N.
    assert client.post("/staff/nudges/new", data=rule_form(base, name="Plain", role="hub")).status_code == 302
    assert db.session.scalar(select(NudgeRule.params).where(NudgeRule.name == "Plain")) == {"days": 30}


def test_a_role_or_n_the_rule_cannot_use_is_a_field_error(client, auth, db, rules):
    auth.login_as("staff")
    base = rules["keep-going"]
    before = db.session.scalar(select(NudgeRule.id).order_by(NudgeRule.id.desc()).limit(1))
    cases = [
        ({"role": "wizard", "days": "60"}, "Choose a network role from the list"),
        ({"role": "", "days": "60"}, "Choose the network role this rule is for"),
        ({"role": "hub", "days": "-5"}, "Enter a number from 1 to 365"),
        ({"role": "hub", "days": ""}, "Enter N, a number from 1 to 365"),
        ({"role": "hub", "days": "1e308"}, "Enter a number from 1 to 365"),
        ({"role": "hub\x00", "days": "60"}, ""),
        ({"role": "h" * 100_000, "days": "60"}, ""),
    ]
    for fields, message in cases:
        form = rule_form(base, name="Bad", condition="role_no_recruit", **fields)
        response = client.post("/staff/nudges/new", data=form)
        assert response.status_code == 400, fields
        assert message in response.get_data(as_text=True)
    form = rule_form(base, name="Bad", condition="role_r_below_one", role="spanner", days="-1")
    assert client.post("/staff/nudges/new", data=form).status_code == 400  # N given must still be a real one
    assert db.session.scalar(select(NudgeRule.id).order_by(NudgeRule.id.desc()).limit(1)) == before


def test_the_example_rule_asks_hubs_and_is_switched_off_until_staff_turn_it_on(db, make, rules, morning):
    from champions.accounts.models import User
    from champions.nudges.forms import template_problem
    from champions.nudges.rendering import context_for, render

    rule = rules["ask-hubs"]
    assert (rule.condition, rule.params, rule.enabled) == ("role_no_recruit", {"role": "hub", "days": 60}, False)
    assert rule.holdout_percent > 0
    for source, html in ((rule.subject, False), (rule.body_text, False), (rule.body_html, True)):
        assert template_problem(source, html) is None
    assert evaluation.evaluate_all(morning).get("ask-hubs") is None  # off: not evaluated
    hub = _star(make, morning)
    db.session.commit()
    measure_network(db)
    assert evaluation.evaluate_rule(rule, morning) == 1
    message = db.session.scalar(select(NudgeMessage).where(NudgeMessage.rule_id == rule.id))
    subject, text, _ = render(rule, context_for(db.session.get(User, hub.user_id), rule, message.context_id))
    assert hub.first_name in subject and "/me/network" in text and "Stop these emails" in text
