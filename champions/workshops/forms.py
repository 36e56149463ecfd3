from __future__ import annotations

from datetime import UTC, datetime

from wtforms import BooleanField, EmailField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from champions.core.db import as_utc
from champions.core.forms import BaseForm, FromChoices, strip
from champions.core.templating import UK
from champions.workshops.models import OUTPUT_FIELDS, WORKSHOP_TYPE_LABELS

TYPE_CHOICES = [(t.value, label) for t, label in WORKSHOP_TYPE_LABELS.items()]


def parse_local(text: str | None) -> datetime | None:
    """A date and time typed in UK local time, as a datetime-local input sends it or as people write it."""
    for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"):
        try:
            # Stored in UTC: SQLite keeps the wall-clock time and drops the zone.
            return datetime.strptime((text or "").strip(), fmt).replace(tzinfo=UK).astimezone(UTC)
        except ValueError:
            continue
    return None


def local_input(value: datetime | None) -> str:
    return as_utc(value).astimezone(UK).strftime("%Y-%m-%dT%H:%M") if value else ""


class DateTimeText:
    def __init__(self, missing: str):
        self.missing = missing

    def __call__(self, form, field) -> None:
        if not (field.data or "").strip():
            raise ValidationError(self.missing)
        if parse_local(field.data) is None:
            raise ValidationError("Enter a real date and time, like 2027-03-14 18:30")


class WorkshopForm(BaseForm):
    type = SelectField("Type", choices=TYPE_CHOICES, validate_choice=False)
    title = StringField("Title", filters=[strip], validators=[DataRequired("Enter a title"), Length(max=200)])
    starts_at = StringField("Starts", filters=[strip], validators=[DateTimeText("Enter when the workshop starts")])
    ends_at = StringField("Ends", filters=[strip], validators=[DateTimeText("Enter when the workshop ends")])
    borough = SelectField("Borough", validate_choice=False)
    venue = StringField("Venue", filters=[strip], validators=[DataRequired("Enter the venue"), Length(max=300)])
    host_organisation = SelectField("Host organisation (optional)", validate_choice=False)
    facilitators = SelectMultipleField(
        "Facilitators", validate_choice=False, validators=[FromChoices("Select facilitators from the list")]
    )
    capacity = IntegerField(
        "Capacity (places)",
        validators=[
            InputRequired("Enter the number of places, like 20"),
            NumberRange(min=1, max=5000, message="Capacity must be between 1 and 5,000"),
        ],
    )
    description = TextAreaField("Description (optional)", filters=[strip])

    def validate_type(self, field) -> None:
        if field.data not in dict(TYPE_CHOICES):
            raise ValidationError("Select the type of workshop")

    def validate_borough(self, field) -> None:
        if field.data not in {code for code, _ in field.choices if code}:
            raise ValidationError("Select the borough")

    def validate_host_organisation(self, field) -> None:
        if field.data and field.data not in {code for code, _ in field.choices}:
            raise ValidationError("Select a host organisation from the list")

    def validate_facilitators(self, field) -> None:
        if set(field.data or []) - {code for code, _ in field.choices}:
            raise ValidationError("Select facilitators from the list")

    def validate_ends_at(self, field) -> None:
        start, end = parse_local(self.starts_at.data), parse_local(field.data)
        if start and end and end <= start:
            raise ValidationError("The end must be after the start")


class OutputsForm(BaseForm):
    pass


for _name, _label in OUTPUT_FIELDS:
    setattr(OutputsForm, _name, TextAreaField(_label, filters=[strip]))


class ChampionAttendanceForm(BaseForm):
    email = EmailField(
        "Champion's email address", filters=[strip], validators=[DataRequired("Enter the champion's email address")]
    )
    override = BooleanField("Go over capacity")
    recruited = BooleanField("They joined the movement through this workshop")


class ContactAttendanceForm(BaseForm):
    contact = SelectField("Organisation contact", validate_choice=False)

    def validate_contact(self, field) -> None:
        if field.data not in {code for code, _ in field.choices if code}:
            raise ValidationError("Select a contact")


class HeadcountForm(BaseForm):
    unregistered_count = IntegerField(
        "People who came but are not registered",
        validators=[
            InputRequired("Enter the head-count, or 0"),
            NumberRange(min=0, max=10000, message="The head-count must be 0 or more"),
        ],
    )


class CancelWorkshopForm(BaseForm):
    reason = TextAreaField(
        "Why is it cancelled? (optional)",
        filters=[strip],
        validators=[Length(max=1000, message="The reason must be 1,000 characters or fewer")],
    )
