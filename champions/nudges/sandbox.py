"""Where nudge templates are rendered: staff write them, so they may only print the person's fields.

Jinja's sandbox stops attribute tricks; on top of it a nudge template cannot reach another template
(include, import, extends: there is no loader that would answer), cannot change a list or dict, and
cannot make the worker spend unbounded time or memory. Every render has a budget:

* widths, counts and paddings given to filters, methods and formats are at most ``MAX_WIDTH``;
* every loop turn, call and filter spends a step (``MAX_STEPS``), so nested loops and recursion end;
* every value the template makes (text, lists, numbers) is measured as it is made (``MAX_TEXT``),
  so doubling a value in a loop stops at the first step past the bound;
* all output, inside macros too, counts towards ``MAX_EMITTED``; the email itself is at most ``MAX_TEXT``.

Whatever goes wrong while rendering is the template's fault and is raised as a ``TemplateError``,
which the rule form shows and delivery records, never a crash.
"""

from __future__ import annotations

import re
import string
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache, wraps
from typing import Any

from jinja2 import BaseLoader, StrictUndefined, Template, TemplateError, nodes
from jinja2.compiler import CodeGenerator
from jinja2.exceptions import SecurityError, TemplateRuntimeError
from jinja2.nodes import EvalContext
from jinja2.runtime import Context, LoopContext, Macro
from jinja2.sandbox import ImmutableSandboxedEnvironment

NO_TEMPLATES = "nudge templates cannot include, import or extend other templates"
REACHES_OUT = (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)
MAX_REPEAT = 10_000  # longest string or list "x" * n may build
MAX_POWER = 100
MAX_WIDTH = 1_000  # widths, counts, paddings and short texts given to filters, methods and formats
MAX_RANGE = 1_000
MAX_TEXT = 50_000  # characters (or items) in any value a template makes, and in the email
MAX_EMITTED = 4 * MAX_TEXT  # characters output anywhere (macros and blocks count their output again when used)
MAX_STEPS = 100_000  # loop turns, calls, filters and measuring work in one render
MAX_BITS = 4_096  # about 1,200 digits

TOO_WIDE = f"a width, count or number given to a filter or format can be at most {MAX_WIDTH:,}"
TOO_LONG = f"the text would be longer than {MAX_TEXT:,} characters"
TOO_BIG = "that number is too big for a nudge template"
TOO_MUCH = "the template repeats too much work (loops, macros or filters)"
# %-formats: the width and precision of each conversion ("%*d" takes the width from the arguments)
PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d*)(?:\.(\*|\d*))?")
DIGITS = re.compile(r"\d+")
# Filters whose arguments are values to print, not widths ("format" has its format string checked instead)
VALUE_FILTERS = frozenset({"default", "d", "format", "int", "float", "sum"})


@dataclass
class _Budget:
    steps: int = 0
    emitted: int = 0


_budget: ContextVar[_Budget] = ContextVar("nudge_render_budget")


def _spend(steps: int) -> None:
    budget = _budget.get()
    budget.steps += steps
    if budget.steps > MAX_STEPS:
        raise SecurityError(TOO_MUCH)


def _made(value: Any) -> Any:
    """Measure a value the template made, counting shared parts each time they appear (as printing does)."""
    size, visits, stack = 0, 0, [value]
    while stack:
        item = stack.pop()
        visits += 1
        if isinstance(item, str):
            size += 1 + len(item)
        elif isinstance(item, dict):
            size += 1
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            size += 1
            stack.extend(item)
        elif isinstance(item, int) and item.bit_length() > MAX_BITS:
            raise SecurityError(TOO_BIG)
        if size > MAX_TEXT:
            raise SecurityError(TOO_LONG)
    _spend(visits + size // 1_000)
    return value


def _counted(iterable: Any):
    for item in iterable:
        _spend(1)
        yield item


def _check_widths(args: Any) -> None:
    for arg in args:
        if isinstance(arg, bool):
            continue
        if isinstance(arg, int | float) and abs(arg) > MAX_WIDTH:
            raise SecurityError(TOO_WIDE)
        if isinstance(arg, str) and len(arg) > MAX_WIDTH:
            raise SecurityError(TOO_WIDE)


def _check_percent_format(text: str) -> None:
    for width, precision in PERCENT_SPEC.findall(text):
        for number in (width, precision):
            if number == "*" or (number and int(number) > MAX_WIDTH):
                raise SecurityError(TOO_WIDE)


def _check_str_format(text: str) -> None:
    for _, field, spec, _ in string.Formatter().parse(text):
        # a spec may take its width from the arguments ("{:{}}"): refused, as "%*d" is
        if field is not None and spec and ("{" in spec or any(int(d) > MAX_WIDTH for d in DIGITS.findall(spec))):
            raise SecurityError(TOO_WIDE)


def _safe_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise SecurityError(f"a range can have at most {MAX_RANGE:,} numbers")
    return numbers


def _guarded_filter(name: str, func: Any) -> Any:
    @wraps(func)  # keeps jinja_pass_arg, so Jinja still passes the context where the filter wants it
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _spend(1)
        given = [a for a in args if not isinstance(a, Context | EvalContext | ImmutableSandboxedEnvironment)]
        if name == "format" and given and isinstance(given[0], str):
            _check_percent_format(given[0])
        if name not in VALUE_FILTERS:
            _check_widths([*given[1:], *kwargs.values()])
        return _made(func(*args, **kwargs))

    return guarded


class _NoTemplates(BaseLoader):
    def get_source(self, environment, template):
        raise SecurityError(NO_TEMPLATES)


class _MeasuringCodeGenerator(CodeGenerator):
    """Compiles templates so that what they make, loop over and output passes through the budget."""

    def visit_For(self, node, frame):
        self._loop_iters = getattr(self, "_loop_iters", set()) | {id(node.iter)}
        super().visit_For(node, frame)

    def visit(self, node, *args, **kwargs):
        if id(node) in getattr(self, "_loop_iters", ()):
            self.write("environment.counted(")
            super().visit(node, *args, **kwargs)
            self.write(")")
            return None
        return super().visit(node, *args, **kwargs)

    def _measured(self, visit, node, frame) -> None:
        self.write("environment.made(")
        visit(node, frame)
        self.write(")")

    def visit_Concat(self, node, frame):
        self._measured(super().visit_Concat, node, frame)

    def visit_List(self, node, frame):
        self._measured(super().visit_List, node, frame)

    def visit_Dict(self, node, frame):
        self._measured(super().visit_Dict, node, frame)

    def visit_Tuple(self, node, frame):
        if node.ctx != "load":  # "{% for a, b in ... %}": an assignment target, not a value
            return super().visit_Tuple(node, frame)
        return self._measured(super().visit_Tuple, node, frame)

    def _output_const_repr(self, group):
        return f"environment.emitted({super()._output_const_repr(group)})"

    def _output_child_pre(self, node, frame, finalize):
        self.write("environment.emitted(")
        super()._output_child_pre(node, frame, finalize)

    def _output_child_post(self, node, frame, finalize):
        super()._output_child_post(node, frame, finalize)
        self.write(")")


class NudgeSandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "+", "%"})
    code_generator_class = _MeasuringCodeGenerator

    def __init__(self, autoescape: bool):
        super().__init__(loader=_NoTemplates(), undefined=StrictUndefined, autoescape=autoescape)
        self.globals["range"] = _safe_range
        del self.globals["lipsum"]  # paragraphs of filler: nothing a nudge needs
        self.filters = {name: _guarded_filter(name, func) for name, func in self.filters.items()}

    @staticmethod
    def made(value: Any) -> Any:
        return _made(value)

    @staticmethod
    def counted(iterable: Any) -> Any:
        return _counted(iterable)

    @staticmethod
    def emitted(text: str) -> str:
        budget = _budget.get()
        budget.emitted += len(text)
        if budget.emitted > MAX_EMITTED:
            raise SecurityError(TOO_LONG)
        return text

    def call_binop(self, context, operator, left, right):
        _spend(1)
        if operator == "**" and isinstance(right, int | float) and abs(right) > MAX_POWER:
            raise SecurityError(TOO_BIG)
        if operator == "*" and _repeats(left, right) > MAX_REPEAT:
            raise SecurityError("that text is too long for a nudge template")
        if operator == "%" and isinstance(left, str):
            _check_percent_format(left)
        return _made(super().call_binop(context, operator, left, right))

    def wrap_str_format(self, value):
        wrapper = super().wrap_str_format(value)
        if wrapper is not None:
            _check_str_format(value.__self__)
            # Its arguments are values to print, their widths are checked above. Set through vars(): Jinja types
            # the wrapper as a plain callable, whose attributes the type checker does not know.
            vars(wrapper)["prints_values"] = True
        return wrapper

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805  (names as Jinja's, which passes them on)
        _spend(1)
        if isinstance(__obj, LoopContext) and args:  # loop(children) in a recursive for: each turn counts
            args = (_counted(args[0]), *args[1:])
        elif not isinstance(__obj, Macro) and not getattr(__obj, "prints_values", False):
            _check_widths([*args, *kwargs.values()])
        return _made(super().call(__context, __obj, *args, **kwargs))


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


@lru_cache(maxsize=256)
def _compiled(source: str, html: bool) -> Template:
    """A template compiled once, not once per message: a rule's three templates serve a whole batch."""
    return (HTML if html else TEXT).from_string(source)


def render(source: str, context: dict[str, Any], html: bool = False) -> str:
    token = _budget.set(_Budget())
    try:
        return _bounded_output(_compiled(source, html).generate(context))
    except TemplateError:
        raise
    except Exception as error:  # noqa: BLE001  (1/0, "a" + 1...: the template's mistake, reported as one)
        raise TemplateRuntimeError(f"{type(error).__name__}: {error}") from error
    finally:
        _budget.reset(token)


def _bounded_output(pieces) -> str:
    """Join the output as it comes, stopping at the first piece past the bound."""
    kept, length = [], 0
    try:
        for piece in pieces:
            length += len(piece)
            if length > MAX_TEXT:
                raise SecurityError(TOO_LONG)
            kept.append(piece)
    finally:
        pieces.close()
    return "".join(kept)
