"""The check a champion answers (built for the version shown) and the form staff write its questions in."""

from __future__ import annotations

from typing import Any

from wtforms import IntegerField, RadioField, StringField, TextAreaField
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


def _options(form, field) -> None:
    lines = [line.strip() for line in (field.data or "").splitlines() if line.strip()]
    if not lines:
        return
    if not 2 <= len(lines) <= MAX_OPTIONS:
        raise ValidationError(f"Give between 2 and {MAX_OPTIONS} options, one on each line")
    if any(len(line) > OPTION_MAX for line in lines):
        raise ValidationError(f"Keep each option to {OPTION_MAX} characters or fewer")


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

    def _slot_valid(self, n: int) -> bool:
        """A knowledge question needs its text, its options and the number of the right one, all together."""
        text, options, correct = self[f"k{n}_text"], self[f"k{n}_options"], self[f"k{n}_correct"]
        if text.errors or options.errors or correct.errors:
            return False
        lines = [line for line in (options.data or "").splitlines() if line.strip()]
        if not text.data:
            if lines:
                text.errors = ["Write the question, or clear its options"]
            return not lines
        if not lines:
            options.errors = [f"Give between 2 and {MAX_OPTIONS} options, one on each line"]
        elif correct.data is None:
            correct.errors = ["Give the number of the right option"]
        elif not 1 <= correct.data <= len(lines):
            correct.errors = [
                f"The right option must be one of the {len(lines)} given: a number from 1 to {len(lines)}"
            ]
        return not (options.errors or correct.errors)

    def drafts(self, kind: Kind | None = None) -> list[Draft]:
        found = []
        for n in range(1, KNOWLEDGE_SLOTS + 1):
            if text := self[f"k{n}_text"].data:
                options = tuple(line.strip() for line in self[f"k{n}_options"].data.splitlines() if line.strip())
                found.append(Draft(Kind.KNOWLEDGE, text, options, self[f"k{n}_correct"].data - 1))
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
            data |= {f"k{n}_text": d.text, f"k{n}_options": "\n".join(d.options), f"k{n}_correct": (d.correct or 0) + 1}
        for n, d in enumerate(confidence[:CONFIDENCE_SLOTS], start=1):
            data[f"c{n}_text"] = d.text
        return data


def _text_field(label: str) -> StringField:
    too_long = Length(max=TEXT_MAX, message=f"Keep this to {TEXT_MAX} characters or fewer")
    return StringField(label, filters=[strip], validators=[Optional(), too_long])


for _n in range(1, KNOWLEDGE_SLOTS + 1):
    setattr(QuestionsForm, f"k{_n}_text", _text_field(f"Knowledge question {_n}"))
    setattr(
        QuestionsForm,
        f"k{_n}_options",
        TextAreaField(
            f"Options for question {_n}, one on each line",
            filters=[strip],
            validators=[Length(max=2_000, message="Keep the options to 2,000 characters or fewer"), _options],
        ),
    )
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
