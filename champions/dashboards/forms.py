from __future__ import annotations

from wtforms import DateField, IntegerField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from champions.core.forms import BaseForm


class SettingsForm(BaseForm):
    target = IntegerField(
        "Target number of champions",
        validators=[
            InputRequired("Enter the target"),
            NumberRange(1, 10_000_000, "Enter a number from 1 to 10,000,000"),
        ],
    )
    start_date = DateField("Programme start date", validators=[InputRequired("Enter the start date")])
    target_date = DateField("Date to reach the target by", validators=[InputRequired("Enter the target date")])
    milestone_label = StringField("Interim milestone name", validators=[DataRequired("Enter a name"), Length(max=80)])
    milestone_target = IntegerField(
        "Interim milestone number of champions",
        validators=[
            InputRequired("Enter the milestone"),
            NumberRange(1, 10_000_000, "Enter a number from 1 to 10,000,000"),
        ],
    )
    milestone_date = DateField("Interim milestone date", validators=[InputRequired("Enter the milestone date")])

    def validate_target_date(self, field: DateField) -> None:
        if self.start_date.data and field.data and field.data <= self.start_date.data:
            raise ValidationError("The target date must be after the start date")

    def validate_milestone_target(self, field: IntegerField) -> None:
        if self.target.data and field.data and field.data > self.target.data:
            raise ValidationError("The interim milestone cannot be more than the target")
