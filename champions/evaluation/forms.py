"""The check a champion answers (built for the version shown) and the form staff write its questions in."""

from __future__ import annotations

from typing import Any

from wtforms import IntegerField, RadioField, StringField
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from champions.core.forms import BaseForm, strip
from champions.evaluation.models import SCALE, CheckVersion, Kind
from champions.evaluation.services import Draft

KNOWLEDGE_SLOTS = 5
CONFIDENCE_SLOTS = 5
MAX_OPTIONS = 5
TEXT_MAX = 300
OPTION_MAX = 120


class OneOfThem:
    """The answer is one of those shown (anything else: a clear message, not WTForms' "Not a valid choice")."""

    def __init__(self, message: str):
        self.message = message

    def __call__(self, form, field) -> None:
        if field.data not in {value for value, _ in field.choices}:
            raise ValidationError(self.message)


class CheckForm(BaseForm):
    """One radio field per question of the version, named ``q<question id>``: every question needs an answer
    (to leave the check, there is "Skip this")."""

    @classmethod
    def for_version(cls, version: CheckVersion, **kwargs: Any) -> CheckForm:
        fields = {}
        for q in version.questions:
            if q.kind == Kind.KNOWLEDGE.value:
                choices = [(str(i), option) for i, option in enumerate(q.options)]
                message = "Choose an answer to this question"
            else:
                choices = [(str(n), f"{n} – {words}") for n, words in enumerate(SCALE, start=1)]
                message = "Choose how confident you feel, from 1 to 5"
            fields[f"q{q.id}"] = RadioField(
                q.text, choices=choices, validate_choice=False, validators=[OneOfThem(message)]
            )
        form_class = type("VersionCheckForm", (cls,), fields)
        return form_class(**kwargs)

    def answers(self, version: CheckVersion) -> dict[int, int]:
        return {q.id: int(self[f"q{q.id}"].data) for q in version.questions}

    def question_fields(self) -> list:
        return [field for name, field in self._fields.items() if name.startswith("q")]


class QuestionsForm(BaseForm):
    """Up to five knowledge questions and five confidence statements; a blank slot is left out."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for n in range(1, KNOWLEDGE_SLOTS + 1):
            valid &= self._slot_valid(n)
        if valid and not self.drafts(Kind.KNOWLEDGE):
            self.k1_text.errors = ["Write at least one knowledge question"]
            valid = False
        if valid and not self.drafts(Kind.CONFIDENCE):
            self.c1_text.errors = ["Write at least one confidence statement"]
            valid = False
        return valid

    def _filled(self, n: int) -> list[tuple[int, str]]:
        """Question ``n``'s options as (box number, text), the empty boxes left out."""
        boxes = (self[f"k{n}_option{m}"] for m in range(1, MAX_OPTIONS + 1))
        return [(m, box.data) for m, box in enumerate(boxes, start=1) if box.data]

    def _slot_valid(self, n: int) -> bool:
        """A knowledge question needs its text, at least two options and the number of the right one, together."""
        text, correct = self[f"k{n}_text"], self[f"k{n}_correct"]
        boxes = [self[f"k{n}_option{m}"] for m in range(1, MAX_OPTIONS + 1)]
        if text.errors or correct.errors or any(box.errors for box in boxes):
            return False
        filled = self._filled(n)
        if not text.data:
            if filled:
                text.errors = ["Write the question, or clear its options"]
            return not filled
        seen: dict[str, int] = {}
        for m, option in filled:
            if (same := seen.setdefault(option.casefold(), m)) != m:
                boxes[m - 1].errors = [f"Option {m} is the same as option {same}: make each option different"]
        if len(filled) < 2:
            boxes[len(filled)].errors = ["Give at least 2 options"] if filled else ["Give the options, at least 2"]
        elif correct.data is None:
            correct.errors = ["Give the number of the right option"]
        elif correct.data not in {m for m, _ in filled}:
            correct.errors = [f"Option {correct.data} is empty: give the number of an option you wrote"]
        return not (any(box.errors for box in boxes) or correct.errors)

    def drafts(self, kind: Kind | None = None) -> list[Draft]:
        found = []
        for n in range(1, KNOWLEDGE_SLOTS + 1):
            if text := self[f"k{n}_text"].data:
                filled = self._filled(n)
                right = [m for m, _ in filled].index(self[f"k{n}_correct"].data)
                found.append(Draft(Kind.KNOWLEDGE, text, tuple(option for _, option in filled), right))
        for n in range(1, CONFIDENCE_SLOTS + 1):
            if text := self[f"c{n}_text"].data:
                found.append(Draft(Kind.CONFIDENCE, text))
        return [d for d in found if kind is None or d.kind is kind]

    @classmethod
    def data_from(cls, drafts: list[Draft]) -> dict[str, Any]:
        data: dict[str, Any] = {}
        knowledge = [d for d in drafts if d.kind is Kind.KNOWLEDGE]
        confidence = [d for d in drafts if d.kind is Kind.CONFIDENCE]
        for n, d in enumerate(knowledge[:KNOWLEDGE_SLOTS], start=1):
            data |= {f"k{n}_text": d.text, f"k{n}_correct": (d.correct or 0) + 1}
            data |= {f"k{n}_option{m}": option for m, option in enumerate(d.options, start=1)}
        for n, d in enumerate(confidence[:CONFIDENCE_SLOTS], start=1):
            data[f"c{n}_text"] = d.text
        return data


def _text_field(label: str) -> StringField:
    too_long = Length(max=TEXT_MAX, message=f"Keep this to {TEXT_MAX} characters or fewer")
    return StringField(label, filters=[strip], validators=[Optional(), too_long])


for _n in range(1, KNOWLEDGE_SLOTS + 1):
    setattr(QuestionsForm, f"k{_n}_text", _text_field(f"Knowledge question {_n}"))
    for _m in range(1, MAX_OPTIONS + 1):
        too_long = Length(max=OPTION_MAX, message=f"Keep each option to {OPTION_MAX} characters or fewer")
        option = StringField(f"Option {_m}", filters=[strip], validators=[Optional(), too_long])
        setattr(QuestionsForm, f"k{_n}_option{_m}", option)
    setattr(
        QuestionsForm,
        f"k{_n}_correct",
        IntegerField(
            f"Number of the right option for question {_n}",
            validators=[
                Optional(),
                NumberRange(min=1, max=MAX_OPTIONS, message=f"Enter a number from 1 to {MAX_OPTIONS}"),
            ],
        ),
    )
for _n in range(1, CONFIDENCE_SLOTS + 1):
    setattr(QuestionsForm, f"c{_n}_text", _text_field(f"Confidence statement {_n}"))
