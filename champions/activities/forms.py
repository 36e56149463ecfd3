from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from wtforms import IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from champions.activities.models import ACTIVITY_TYPE_LABELS, MAX_PEOPLE_REACHED, ActivityOutcome, OutcomeKind
from champions.activities.outcomes import TOO_BIG, OutcomeInput
from champions.core.clock import today_uk
from champions.core.forms import CONTROL, BaseForm, DateInputField, strip
from champions.core.models import BOROUGHS, TOPICS


class ActivityForm(BaseForm):
    # The earliest date allowed (services.earliest_day), set by the view; an activity's own date stays allowed.
    earliest: date | None = None

    type = RadioField(
        "What did you do?",
        choices=[(t.value, label) for t, label in ACTIVITY_TYPE_LABELS.items()],
        validators=[InputRequired("Choose what you did")],
    )
    occurred_on = DateInputField("When did you do it?", validators=[InputRequired("Enter the date you did it")])
    borough_code = SelectField(
        "Where?",
        choices=[("", "Select a borough")] + [(code, name) for code, name, _ in BOROUGHS],
        validators=[DataRequired("Select the borough where you did it")],
    )
    topic_code = SelectField(
        "What was it about?",
        choices=[("", "Select a topic")] + list(TOPICS),
        validators=[DataRequired("Select the topic it was about")],
    )
    people_reached = IntegerField(
        "How many people did you reach?",
        validators=[
            InputRequired("Enter how many people you reached, 0 or more"),
            NumberRange(0, MAX_PEOPLE_REACHED, f"Enter a number from 0 to {MAX_PEOPLE_REACHED:,}"),
        ],
    )
    notes = TextAreaField(
        "Notes (optional)",
        filters=[strip],
        validators=[Length(max=2000, message="Notes must be 2,000 characters or fewer")],
    )

    def validate_occurred_on(self, field: DateInputField) -> None:
        if field.data and field.data > today_uk():
            raise ValidationError("The date cannot be in the future")
        if field.data and self.earliest and field.data < self.earliest and field.data != field.object_data:
            raise ValidationError(
                f"Enter a date from {self.earliest:%-d %B %Y} onwards: you can log what you did from a year "
                "before you joined"
            )


# ---- "What came of it?": one row for each kind of outcome offered, read from the posted form ----------------------

_NUMBER = re.compile(r"-?[0-9]+")  # ASCII digits only: int() would also read other scripts' digits
COUNTS = ("signposted", "said", "did")
UNREADABLE = {
    "signposted": "Enter the people signposted to {name} as a whole number, like 3, or leave it blank",
    "said": "Enter how many said they would act ({name}) as a whole number, like 2, or leave it blank",
    "did": "Enter how many did act ({name}) as a whole number, like 1, or leave it blank",
}


@dataclass
class OutcomeRow:
    """One kind of outcome as the form shows it: ticked or not, and its numbers as typed."""

    code: str
    name: str
    checked: bool = False
    typed: dict[str, str] = field(default_factory=lambda: dict.fromkeys(COUNTS, ""))


class OutcomesPart:
    """The "What came of it?" part of the activity form. Its kinds are dynamic (staff add them), so it is read
    straight from the posted fields: ``outcome`` (the ticked codes), ``signposted-<code>``, ``said-<code>`` and,
    when ``with_did``, ``did-<code>``. Format mistakes are found here; the rules are ``outcomes.check_outcomes``."""

    def __init__(self, kinds: list[OutcomeKind], with_did: bool):
        self.with_did = with_did
        self.names = {kind.code: kind.name for kind in kinds}
        self.rows = [OutcomeRow(kind.code, kind.name) for kind in kinds]
        self.chosen: list[OutcomeInput] = []
        self.problems: dict[str, str] = {}

    def show(self, recorded: dict[str, ActivityOutcome]) -> None:
        for row in self.rows:
            if (kept := recorded.get(row.code)) is not None:
                row.checked = True
                row.typed = {"signposted": str(kept.signposted), "said": str(kept.said_would_act)}
                row.typed["did"] = "" if kept.did_act is None else str(kept.did_act)

    def read(self, formdata: Any) -> None:
        ticked = list(dict.fromkeys(formdata.getlist("outcome")))
        counts = COUNTS if self.with_did else COUNTS[:2]
        for row in self.rows:
            raw = {count: formdata.get(f"{count}-{row.code}") or "" for count in counts}
            row.checked = row.code in ticked
            row.typed = {count: CONTROL.sub("", text)[:20] for count, text in raw.items()}  # shown again
            if row.checked:
                item = OutcomeInput(row.code)
                item.signposted, item.said_would_act, item.did_act = (
                    self._number(row, count, raw.get(count, "")) for count in COUNTS
                )
                item.unreadable = frozenset(c for c in COUNTS if f"{c}-{row.code}" in self.problems)
                self.chosen.append(item)
        # A code no row offers (typed by hand, or retired since the page was shown): refused by the rules.
        self.chosen += [OutcomeInput(code) for code in ticked if code not in self.names]

    def _number(self, row: OutcomeRow, count: str, raw: str) -> int | None:
        text = raw.strip()
        if not text:
            return None
        if not _NUMBER.fullmatch(text):
            self.problems[f"{count}-{row.code}"] = UNREADABLE[count].format(name=row.name)
            return None
        return int(text) if len(text) <= 9 else TOO_BIG * (-1 if text.startswith("-") else 1)

    def errors(self) -> list[dict[str, str]]:
        """For the error summary, in the order of the page."""
        order = ["outcome", *(f"{count}-{row.code}" for row in self.rows for count in COUNTS)]
        return [{"text": self.problems[key], "href": f"#{key}"} for key in order if key in self.problems]


# ---- Staff: the kinds of outcome ---------------------------------------------------------------------------------


class OutcomeKindForm(BaseForm):
    """A kind of outcome; ``topic_code`` choices ("" is the activity's own topic) are set by the view."""

    name = StringField(
        "What people are signposted to",
        filters=[strip],
        validators=[
            DataRequired("Enter what people are signposted to, like Bowel cancer screening"),
            Length(max=80, message="Keep the name to 80 characters or fewer"),
        ],
    )
    topic_code = SelectField("Counts under the topic", choices=[], validate_choice=False)
    position = IntegerField(
        "Place in the list (optional)",
        validators=[Optional(), NumberRange(1, 999, "Enter a place from 1 to 999, or leave it blank")],
    )

    def validate_topic_code(self, field: SelectField) -> None:
        if field.data not in {value for value, _ in field.choices or []}:
            raise ValidationError("Choose a topic from the list")
