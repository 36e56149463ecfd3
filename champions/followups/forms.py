from __future__ import annotations

from datetime import date, timedelta

from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from champions.core.clock import today_uk
from champions.core.forms import BaseForm, DateInputField, FilterForm, strip
from champions.followups.bulk import owner_choices as owner_choices_with_none
from champions.followups.models import NOTE_MAX, TITLE_MAX
from champions.followups.services import STATUSES, owner_choices

FURTHEST_DUE = timedelta(days=5 * 366)  # a follow-up is due within about five years


def staff_choices(empty: str | None = None) -> list[tuple[str, str]]:
    choices = [(str(user.id), user.email) for user in owner_choices()]
    return [("", empty), *choices] if empty is not None else choices


class TaskForm(BaseForm):
    title = StringField(
        "What needs doing",
        filters=[strip],
        validators=[
            DataRequired("Enter what needs doing"),
            Length(max=TITLE_MAX, message=f"What needs doing must be {TITLE_MAX} characters or fewer"),
        ],
    )
    note = TextAreaField(
        "Note (optional)",
        filters=[strip],
        validators=[Optional(), Length(max=NOTE_MAX, message=f"The note must be {NOTE_MAX:,} characters or fewer")],
    )
    due_on = DateInputField("Due date", validators=[InputRequired("Enter the date the task is due")])
    assignee = SelectField("Who will do it", validate_choice=False)

    def __init__(self, *args, kept_due_on: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.assignee.choices = staff_choices()
        self.kept_due_on = kept_due_on  # an edit may keep a due date that has passed

    def validate_due_on(self, field) -> None:
        if field.data is None:
            return
        today = today_uk()
        if field.data < today and field.data != self.kept_due_on:
            raise ValidationError("The due date must be today or in the future")
        if field.data > today + FURTHEST_DUE:
            raise ValidationError("The due date must be within 5 years")

    def validate_assignee(self, field) -> None:
        if str(field.data) not in {value for value, _ in field.choices}:
            raise ValidationError("Choose a member of staff from the list")

    @property
    def assignee_id(self) -> int:
        return int(self.assignee.data)


class OwnerForm(BaseForm):
    owner = SelectField("Owner", validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner.choices = staff_choices("No owner")

    def validate_owner(self, field) -> None:
        if str(field.data or "") not in {value for value, _ in field.choices}:
            raise ValidationError("Choose a member of staff from the list, or no owner")

    @property
    def owner_id(self) -> int | None:
        return int(self.owner.data) if self.owner.data else None


class BulkOwnerForm(BaseForm):
    """One owner (or none) for many records at once; ``checked`` is the fingerprint of the plan the person confirmed
    (empty on the first step)."""

    owner = SelectField("Owner", validate_choice=False)
    checked = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner.choices = [("", "Select a member of staff"), *owner_choices_with_none()]

    def validate_owner(self, field: SelectField) -> None:
        if str(field.data or "") not in {value for value, _ in field.choices or []}:
            raise ValidationError("Choose a member of staff from the list, or no owner")


class DigestForm(BaseForm):
    daily_digest = RadioField(
        "Email me each morning a list of my tasks due that day or overdue",
        choices=[("yes", "Yes"), ("no", "No")],
        validate_choice=False,
    )

    def validate_daily_digest(self, field) -> None:
        if field.data not in ("yes", "no"):
            raise ValidationError("Choose yes or no")


class TaskFilterForm(FilterForm):
    assignee = SelectField("Given to", validate_choice=False, default="me")
    status = SelectField("Status", choices=list(STATUSES.items()), validate_choice=False, default="open")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.assignee.choices = [("me", "Me"), ("anyone", "Anyone"), *staff_choices()]

    def validate_assignee(self, field) -> None:
        if field.data not in {value for value, _ in field.choices}:
            raise ValidationError("Choose someone from the list")

    def validate_status(self, field) -> None:
        if field.data not in STATUSES:
            raise ValidationError("Choose a status from the list")
