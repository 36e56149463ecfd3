"""Forms of the staff CRM."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, ValidationError

from champions.core.forms import BaseForm, MultiCheckboxField, strip
from champions.core.models import TOPICS
from champions.profiles.models import Stage
from champions.roster.corrections import Correction
from champions.roster.forms import DetailsForm, name_field, postcode_field
from champions.roster.importer.upload import FIELDS, LAWFUL_BASES


def note_field(label: str) -> TextAreaField:
    return TextAreaField(
        label,
        filters=[strip],
        validators=[
            DataRequired("Enter the note"),
            Length(max=5000, message="Notes must be 5,000 characters or fewer"),
        ],
    )


class NoteForm(BaseForm):
    body = note_field("Add a note")


class NoteCorrectionForm(BaseForm):
    """A note's text as staff correct it; ``version`` is the text as the page showed it (``note_version``)."""

    body = note_field("The note")
    version = HiddenField()


def stage_field() -> SelectField:
    """The stage a champion (or many) moves to, checked with ``check_stage``."""
    return SelectField(
        "New stage", choices=[("", "Select a stage")] + [(s.value, s.label) for s in Stage], validate_choice=False
    )


def check_stage(form: BaseForm, field: SelectField) -> None:
    if field.data not in {s.value for s in Stage}:
        raise ValidationError("Select the new stage")


def reason_field() -> StringField:
    """Why the stage changes, kept with the change."""
    return StringField(
        "Reason for the change",
        filters=[strip],
        validators=[
            DataRequired("Enter the reason for the change"),
            Length(max=500, message="Keep the reason under 500 characters"),
        ],
    )


class StageForm(BaseForm):
    stage = stage_field()
    reason = reason_field()
    validate_stage = check_stage


class StaffDetailsForm(DetailsForm):
    """A champion's details as staff correct them: what the champion can change themselves, and their topics and
    sign-in address. ``version`` is the record as the page showed it (``staff_services.details_version``)."""

    who, whose = "they", "their"
    first_name = name_field("First name", whose="their")
    last_name = name_field("Last name", whose="their")
    postcode = postcode_field(whose="their")
    topics = MultiCheckboxField("Topics they care about", choices=list(TOPICS))
    email = EmailField(
        "Email address they sign in with",
        filters=[strip],
        validators=[
            DataRequired("Enter their email address"),
            Email("Enter an email address in the correct format, like name@example.com", check_deliverability=False),
            Length(max=254, message="Email address must be 254 characters or fewer"),  # last: its message shows
        ],
    )
    version = HiddenField()

    def correction(self) -> Correction:
        """The correction as entered (once validated), for ``roster.corrections.correct_details``."""
        return Correction(details=self.details(), topic_codes=tuple(self.topics.data or ()), email=self.email.data)


class LeaderForm(BaseForm):
    leader = HiddenField()


class ExportForm(BaseForm):
    include_special = BooleanField("Include equality-monitoring answers (special category data)")


class UploadForm(BaseForm):
    file = FileField("CSV file")
    source = StringField(
        "Where the file came from",
        filters=[strip],
        validators=[DataRequired("Enter the partner organisation the file came from"), Length(max=150)],
    )
    lawful_basis = SelectField(
        "Lawful basis for holding these records",
        choices=[("", "Select a lawful basis")] + list(LAWFUL_BASES.items()),
        validate_choice=False,
    )

    def validate_lawful_basis(self, field: SelectField) -> None:
        if field.data not in LAWFUL_BASES:
            raise ValidationError("Select the lawful basis for holding these records")


def mapping_form(headers: list[str], mapping: dict[str, str], formdata=None) -> BaseForm:
    """One select per field, offering the file's columns."""

    class MappingForm(BaseForm):
        pass

    choices = [("", "Not in this file")] + [(h, h) for h in headers if h]
    for name, label, required, _ in FIELDS:
        setattr(
            MappingForm,
            name,
            SelectField(label + ("" if required else " (optional)"), choices=choices, validate_choice=False),
        )
    form = MappingForm(formdata=formdata, data=mapping)
    return form
