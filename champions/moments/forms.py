from __future__ import annotations

from datetime import date, datetime

from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from champions.core.forms import BaseForm, FromChoices, strip
from champions.moments.models import Level, Recurrence

RECURRENCE_CHOICES = [(r.value, r.label) for r in Recurrence]
LEVEL_CHOICES = [(level.value, level.label) for level in Level]


def parse_date(text: str | None) -> date | None:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime((text or "").strip(), fmt).date()
        except ValueError:
            continue
    return None


class DateText:
    def __init__(self, missing: str):
        self.missing = missing

    def __call__(self, form, field) -> None:
        if not (field.data or "").strip():
            raise ValidationError(self.missing)
        if parse_date(field.data) is None:
            raise ValidationError("Enter a real date, like 2027-04-01")


class MomentForm(BaseForm):
    name = StringField("Name", filters=[strip], validators=[DataRequired("Enter the moment's name"), Length(max=200)])
    description = TextAreaField("Description", filters=[strip])
    recurrence = SelectField("How often it happens", choices=RECURRENCE_CHOICES, validate_choice=False)
    start_date = StringField("Starts on", filters=[strip], validators=[DateText("Enter the date the moment starts")])
    end_date = StringField("Ends on (optional for a single day)", filters=[strip])
    level = SelectField("Level", choices=LEVEL_CHOICES, validate_choice=False)
    topics = SelectMultipleField(
        "Topics", validate_choice=False, validators=[FromChoices("Select topics from the list")]
    )
    suggested_actions = TextAreaField("Suggested actions for champions (one a line)", filters=[strip])

    def validate_recurrence(self, field) -> None:
        if field.data not in dict(RECURRENCE_CHOICES):
            raise ValidationError("Select how often the moment happens")

    def validate_level(self, field) -> None:
        if field.data not in dict(LEVEL_CHOICES):
            raise ValidationError("Select the level")

    def validate_topics(self, field) -> None:
        if not field.data:
            raise ValidationError("Select at least one topic")
        if set(field.data) - {code for code, _ in field.choices}:
            raise ValidationError("Select topics from the list")

    def validate_end_date(self, field) -> None:
        if not field.data:
            return
        end = parse_date(field.data)
        if end is None:
            raise ValidationError("Enter a real date, like 2027-04-30")
        start = parse_date(self.start_date.data)
        if start is not None and end < start:
            raise ValidationError("The end date must be the same as or after the start date")
