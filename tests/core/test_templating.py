"""The template environment: the quicker look-ups give the answers Jinja's own would."""

from __future__ import annotations

import pytest
from jinja2 import ChainableUndefined, DictLoader
from jinja2 import Environment as JinjaEnvironment

from champions.core.templating import PageEnvironment

TEMPLATES = {
    "page.html": (
        '{% from "macros.html" import shout %}'
        "{{ d.text }}|{{ d.missing.deeper }}|{{ d.items is callable }}|{{ d['items'] }}|{{ d.get('text') }}|"
        "{{ shout(d.text) }}|{{ n.real }}|{{ o.name }}"
    ),
    "macros.html": "{% macro shout(text) %}{{ text | upper }}{{ mark }}{% endmacro %}",
}


class Named:
    name = "an object's attribute"


@pytest.mark.once
def test_the_page_environment_answers_as_jinja_does(app):
    """A key of a dict, a missing key, a dict's method named like one of its keys, an attribute of another object,
    and a global seen from an imported macro: each the same as Jinja's own environment renders it."""
    values = {"d": {"text": "hello", "items": ["one"]}, "n": 3, "o": Named()}

    def render(env) -> str:
        env.globals["mark"] = "!"
        return env.get_template("page.html").render(values)

    options = {"loader": DictLoader(TEMPLATES), "undefined": ChainableUndefined}
    jinja = render(JinjaEnvironment(**options))
    assert jinja == "hello||True|['one']|hello|HELLO!|3|an object's attribute"
    assert render(PageEnvironment(app, **options)) == jinja
    assert isinstance(app.jinja_env, PageEnvironment)


@pytest.mark.once
def test_select_options_escape_and_mark_the_chosen_one(app):
    """Values and texts are escaped (a hostile organisation name stays text), and only the option whose value is
    the current one, compared as text, is selected; with none current, none is."""
    options = [(1, 'A & "B"'), ("2", "<script>x</script>"), (12, "Twelve")]
    rendered = app.jinja_env.from_string("{{ select_options(options, current) }}")
    html = rendered.render(options=options, current="2")
    assert html == (
        '<option value="1">A &amp; &#34;B&#34;</option>'
        '<option value="2" selected>&lt;script&gt;x&lt;/script&gt;</option>'
        '<option value="12">Twelve</option>'
    )
    assert 'value="12" selected' in rendered.render(options=options, current=12)
    assert 'value="1" selected' not in rendered.render(options=options, current=12)
    for nothing in (None, ""):
        assert "selected" not in rendered.render(options=options, current=nothing)
