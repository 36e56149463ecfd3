"""Forms for managing the training catalogue and the pledge."""

from __future__ import annotations

from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional, ValidationError

from champions.core.forms import BaseForm, strip
from champions.training.models import PLEDGE_SUMMARY_MAX, ResourceFormat

BODY_MAX = 20_000


class ResourceForm(BaseForm):
    title = StringField("Title", filters=[strip], validators=[DataRequired("Enter a title"), Length(max=200)])
    summary = TextAreaField(
        "Summary", filters=[strip], validators=[DataRequired("Enter a short summary"), Length(max=2000)]
    )
    body = TextAreaField(
        "What to read (optional)",
        filters=[strip],
        validators=[Length(max=BODY_MAX, message=f"Keep what to read to {BODY_MAX:,} characters or fewer")],
    )
    format = SelectField(
        "Format",
        choices=[("", "Select a format")] + [(f.value, f.label) for f in ResourceFormat],
        validate_choice=False,
    )
    url = StringField(
        "Web address",
        filters=[strip],
        validators=[
            Optional(),
            URL(require_tld=True, message="Enter a web address starting https://"),
            Length(max=500),
        ],
    )
    topic_code = SelectField("Topic", choices=[])
    minutes = IntegerField(
        "Minutes it takes",
        validators=[
            DataRequired("Enter how many minutes it takes, as a number"),
            NumberRange(min=1, max=600, message="Minutes must be between 1 and 600"),
        ],
    )
    is_core = BooleanField("Part of the core training every champion completes")

    def validate_format(self, field: SelectField) -> None:
        if field.data not in {f.value for f in ResourceFormat}:
            raise ValidationError("Select the format")


class PledgeForm(BaseForm):
    version = StringField(
        "Version name", filters=[strip], validators=[DataRequired("Enter a version name, like 2026-12"), Length(max=40)]
    )
    text = TextAreaField(
        "Pledge text", filters=[strip], validators=[DataRequired("Enter the pledge text"), Length(max=5000)]
    )
    summary = TextAreaField(
        "What changed (optional)",
        filters=[strip],
        validators=[
            Length(max=PLEDGE_SUMMARY_MAX, message=f"Keep what changed to {PLEDGE_SUMMARY_MAX} characters or fewer")
        ],
    )
    must_accept = BooleanField("Champions must accept this version to stay active")
