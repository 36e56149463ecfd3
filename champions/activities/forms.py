from __future__ import annotations

from datetime import date

from wtforms import IntegerField, RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from champions.activities.models import ACTIVITY_TYPE_LABELS, MAX_PEOPLE_REACHED
from champions.core.clock import today_uk
from champions.core.forms import BaseForm, DateInputField, strip
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
