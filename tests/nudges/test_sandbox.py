"""Nudge templates are written by staff: none may make a worker spend unbounded time or memory.

Each hostile template below would have run for minutes or used gigabytes before the render budget
(champions/nudges/sandbox.py); the budget refuses each one after a bounded amount of work, so these
tests end quickly by construction and only assert that the template is refused.
"""

from __future__ import annotations

import pytest
from jinja2 import TemplateError

from champions.nudges import sandbox
from champions.nudges.forms import SAMPLE_CONTEXT, template_problem
from tests.nudges.conftest import rule_form

HOSTILE = {
    "center": "{{ 'x'|center(10**9) }}",
    "indent": "{{ 'a\nb'|indent(10**9) }}",
    "indent text": "{{ 'a\nb'|indent('x' * 10000) }}",
    "wordwrap": "{{ 'x'|wordwrap(10**9, wrapstring='y' * 10000) }}",
    "truncate": "{{ 'x'|truncate(10**9) }}",
    "slice": "{{ [1]|slice(10**9)|list|length }}",
    "batch": "{{ [1]|batch(10**9, 'x')|list|length }}",
    "join of a huge range": "{{ range(100000)|join('x' * 1000) }}",
    "join with a long separator": "{{ ('x' * 10000)|list|join('y' * 10000) }}",
    "str.format width": "{{ '{:>999999999}'.format(1) }}",
    "str.format nested width": "{{ '{:>{}}'.format(1, 999999999) }}",
    "str.format_map width": "{{ '{a:>999999999}'.format_map({'a': 1}) }}",
    "percent width": "{{ '%999999999d' % 1 }}",
    "percent star": "{{ '%*d' % (999999999, 1) }}",
    "format filter width": "{{ '%999999999s'|format('x') }}",
    "str method width": "{{ 'x'.center(10**9) }}",
    "zfill": "{{ 'x'.zfill(10**9) }}",
    "nested loops": "{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}"
    "{% endfor %}{% endfor %}{% endfor %}",
    "loops over long lists": "{% for a in ('x' * 10000)|list %}{% for b in ('x' * 10000)|list %}"
    "{% endfor %}{% endfor %}",
    "doubling text": "{% set ns = namespace(s='x') %}{% for i in range(200) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
    "doubling with +": "{% set ns = namespace(s='x') %}{% for i in range(200) %}"
    "{% set ns.s = ns.s + ns.s %}{% endfor %}",
    "doubling with replace": "{% set ns = namespace(s='xx') %}{% for i in range(200) %}"
    "{% set ns.s = ns.s|replace('x', 'xx') %}{% endfor %}",
    "nested lists": "{% set ns = namespace(l=[1]) %}{% for i in range(200) %}{% set ns.l = [ns.l, ns.l] %}{% endfor %}"
    "{{ ns.l|length }}",
    "squaring numbers": "{% set ns = namespace(n=10) %}{% for i in range(200) %}"
    "{% set ns.n = ns.n * ns.n %}{% endfor %}",
    "power of a power": "{{ (10**100)**100**1 }}{{ ((10**100)**100)**100 }}",
    "growing a list": "{% set l = [] %}{% for i in range(10) %}{{ l.extend(l + [1]) }}{% endfor %}",
    "branching macro": "{% macro m(n) %}{% if n %}{{ m(n - 1) }}{{ m(n - 1) }}{% endif %}{% endmacro %}{{ m(60) }}",
    "doubling macro": "{% macro m(n) %}{% if n %}{% set x = m(n - 1) %}{{ x }}{{ x }}{% else %}x{% endif %}"
    "{% endmacro %}"
    "{{ m(60)|length }}",
    "output in a macro loop": "{% macro m() %}{% for a in range(1000) %}{% for b in range(100) %}"
    + "x" * 100
    + "{% endfor %}{% endfor %}{% endmacro %}{{ m()|length }}",
    "recursive loop": "{% for x in [1] recursive %}{{ loop([1, 1]) }}{% endfor %}",
    "long output": "{% for i in range(1000) %}{{ 'x' * 1000 }}{% endfor %}",
    "lipsum": "{{ lipsum(10**9) }}",
}


@pytest.mark.parametrize("source", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_template_that_would_exhaust_the_worker_is_refused(source):
    with pytest.raises(TemplateError):
        sandbox.render(source, SAMPLE_CONTEXT)
    with pytest.raises(TemplateError):
        sandbox.render(source, SAMPLE_CONTEXT, html=True)


def test_the_rule_form_says_why_a_hostile_template_is_refused():
    assert "can be at most 1,000" in template_problem("{{ 'x'|center(10**9) }}")
    assert "longer than 50,000 characters" in template_problem(HOSTILE["doubling text"])
    assert "repeats too much work" in template_problem(HOSTILE["nested loops"])


ORDINARY = {
    "Hi {{ first_name }}, it has been {{ days }} days.": "Hi Sam, it has been 7 days.",
    "{{ first_name|upper|center(9) }}|{{ group_name|truncate(9) }}": "   SAM   |Bolton...",
    "{{ '{:>4}|{:.2f}'.format(days, 2.5) }} {{ '%03d'|format(days) }} {{ '%d%%' % 50 }}": "   7|2.50 007 50%",
    "{% for i in range(3) %}{{ i }}{% if not loop.last %}, {% endif %}{% else %}none{% endfor %}": "0, 1, 2",
    "{% for a, b in [(1, 'a'), (2, 'b')] %}{{ a ~ b }} {% endfor %}": "1a 2b ",
    "{% set ns = namespace(total=0) %}{% for i in [1, 2, 3] %}{% set ns.total = ns.total + i %}{% endfor %}"
    "{{ ns.total }}": "6",
    "{% macro link(url, label) %}<{{ label }}: {{ url }}>{% endmacro %}{{ link(home_url, 'Home') }}": (
        "<Home: https://example.org/home>"
    ),
    "{{ moment_actions|wordwrap(20) }}": "Share the home\ntesting kit video",
    "{{ ['a', 'b']|join(', ') }} {{ {'k': 1}|dictsort }} {{ 2**10 }} {{ '-' * 3 }}": "a, b [('k', 1)] 1024 ---",
    "{% for x in [[1, [2]], 3] recursive %}{% if x is iterable %}{{ loop(x) }}{% else %}{{ x }}{% endif %}"
    "{% endfor %}": "123",
}


@pytest.mark.parametrize("source,expected", ORDINARY.items())
def test_ordinary_templates_still_render(source, expected):
    assert sandbox.render(source, SAMPLE_CONTEXT) == expected
    assert template_problem(source) is None


def test_a_long_but_reasonable_email_renders():
    source = "{% for i in range(100) %}{{ first_name }}, here is line {{ i }} of your update.\n{% endfor %}"
    assert sandbox.render(source, SAMPLE_CONTEXT).count("\n") == 100
    assert "<b>Sam</b>" in sandbox.render("<b>{{ first_name }}</b>", SAMPLE_CONTEXT, html=True)


def test_staff_cannot_save_a_hostile_template(client, auth, db, rules):
    auth.login_as("staff")
    rule = rules["keep-going"]
    response = client.post(
        f"/staff/nudges/{rule.id}", data=rule_form(rule, subject="Hi", body_text=HOSTILE["nested loops"])
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "This template cannot be used" in page and "too much work" in page
    db.session.refresh(rule)
    assert rule.body_text != HOSTILE["nested loops"]


def test_a_stored_template_too_costly_for_one_person_fails_that_message_and_the_batch_goes_on(
    db, rules, unverified, morning
):
    from sqlalchemy import select

    from champions.nudges import delivery, evaluation
    from champions.nudges.models import NudgeMessage

    rule = rules["verify-email"]
    rule.holdout_percent = 0
    # fine for a short name; a name of 11 letters asks for a width of 1,100 (saved before the bound existed)
    rule.body_text = "{{ first_name|center(first_name|length * 100) }}"
    ordinary = [unverified(), unverified()]
    long_named = unverified()
    long_named.first_name = "Bartholomew"
    db.session.commit()
    evaluation.evaluate_rule(rule, morning)
    result = delivery.deliver_due(now=morning)
    assert (result.sent, result.failed) == (2, 1)
    messages = {m.user_id: m for m in db.session.scalars(select(NudgeMessage))}
    assert {messages[c.user_id].status for c in ordinary} == {"sent"}
    failed = messages[long_named.user_id]
    assert failed.status == "failed" and "Template could not be rendered" in failed.error
    assert "at most 1,000" in failed.error
