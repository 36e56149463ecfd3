"""Where nudge templates are rendered: staff write them, so they may only print the person's fields.

Jinja's sandbox stops attribute tricks; on top of it a nudge template cannot reach another template
(include, import, extends: there is no loader that would answer) and cannot ask for huge numbers or
strings. Whatever goes wrong while rendering is the template's fault and is raised as a
``TemplateError``, which the rule form shows and delivery records, never a crash.
"""

from __future__ import annotations

from typing import Any

from jinja2 import BaseLoader, StrictUndefined, TemplateError, nodes
from jinja2.exceptions import SecurityError, TemplateRuntimeError
from jinja2.sandbox import SandboxedEnvironment

NO_TEMPLATES = "nudge templates cannot include, import or extend other templates"
REACHES_OUT = (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)
MAX_REPEAT = 10_000  # longest string or list "x" * n may build
MAX_POWER = 100


class _NoTemplates(BaseLoader):
    def get_source(self, environment, template):
        raise SecurityError(NO_TEMPLATES)


class NudgeSandbox(SandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def __init__(self, autoescape: bool):
        super().__init__(loader=_NoTemplates(), undefined=StrictUndefined, autoescape=autoescape)

    def call_binop(self, context, operator, left, right):
        if operator == "**" and isinstance(right, int | float) and abs(right) > MAX_POWER:
            raise SecurityError("that number is too big for a nudge template")
        if operator == "*" and _repeats(left, right) > MAX_REPEAT:
            raise SecurityError("that text is too long for a nudge template")
        return super().call_binop(context, operator, left, right)


def _repeats(left, right) -> int:
    for seq, times in ((left, right), (right, left)):
        if isinstance(seq, str | list | tuple) and isinstance(times, int):
            return len(seq) * times
    return 0


TEXT = NudgeSandbox(autoescape=False)
HTML = NudgeSandbox(autoescape=True)


def check(source: str) -> None:
    """Refuse at save time what could never render (raises ``TemplateError``)."""
    if next(TEXT.parse(source).find_all(REACHES_OUT), None) is not None:
        raise SecurityError(NO_TEMPLATES)


def render(source: str, context: dict[str, Any], html: bool = False) -> str:
    try:
        return (HTML if html else TEXT).from_string(source).render(context)
    except TemplateError:
        raise
    except Exception as error:  # noqa: BLE001  (1/0, "a" + 1...: the template's mistake, reported as one)
        raise TemplateRuntimeError(f"{type(error).__name__}: {error}") from error
