from __future__ import annotations

from typing import Any

from wtforms import BooleanField, EmailField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import URL, DataRequired, Email, Length, Optional, ValidationError

from champions.core.forms import BaseForm, FromChoices, strip
from champions.core.places import POSTCODE_RE, normalise_postcode
from champions.organisations.models import ORGANISATION_TYPE_LABELS, EngagementLevel
from champions.organisations.services import charity_number_problem

TYPE_CHOICES = [(t.value, label) for t, label in ORGANISATION_TYPE_LABELS.items()]
LEVEL_CHOICES = [(level.value, level.value.capitalize()) for level in EngagementLevel]


class OptionalPostcode:
    def __call__(self, form, field) -> None:
        if field.data:
            if not POSTCODE_RE.match(field.data.replace(" ", "").upper()):
                raise ValidationError("Enter a real UK postcode, like M1 1AE")
            field.data = normalise_postcode(field.data)


class OrganisationForm(BaseForm):
    name = StringField(
        "Name",
        filters=[strip],
        validators=[
            DataRequired("Enter the organisation's name"),
            Length(max=200, message="Name must be 200 characters or fewer"),
        ],
    )
    type = SelectField("Type", choices=TYPE_CHOICES, validate_choice=False)
    charity_number = StringField("Charity number (optional)", filters=[strip])
    boroughs = SelectMultipleField(
        "Boroughs served", validate_choice=False, validators=[FromChoices("Select the boroughs from the list")]
    )
    postcode = StringField("Postcode (optional)", filters=[strip], validators=[OptionalPostcode()])
    website = StringField(
        "Website (optional)",
        filters=[strip],
        validators=[Optional(), URL(message="Enter a website address starting with https://"), Length(max=255)],
    )
    notes = TextAreaField("Notes (optional)", filters=[strip])

    def validate_type(self, field) -> None:
        if field.data not in dict(TYPE_CHOICES):
            raise ValidationError("Select the type of organisation")

    def validate_charity_number(self, field) -> None:
        if problem := charity_number_problem(field.data):
            raise ValidationError(problem)

    def validate_boroughs(self, field) -> None:
        if not field.data:
            raise ValidationError("Select at least one borough the organisation serves")
        if set(field.data) - {code for code, _ in field.choices}:
            raise ValidationError("Select boroughs from the list")

    def fields(self) -> dict[str, Any]:
        """What was entered (once validated), as ``register_organisation`` and ``update_organisation`` take it."""
        return {
            "name": self.name.data,
            "type": self.type.data,
            "borough_codes": self.boroughs.data,
            "charity_number": self.charity_number.data,
            "postcode": self.postcode.data or None,
            "website": self.website.data or None,
            "notes": self.notes.data or None,
        }


class NewOrganisationForm(OrganisationForm):
    engagement_level = SelectField("Engagement level", choices=LEVEL_CHOICES, validate_choice=False)

    def fields(self) -> dict[str, Any]:
        return super().fields() | {"engagement_level": self.engagement_level.data}

    def validate_engagement_level(self, field) -> None:
        if field.data not in dict(LEVEL_CHOICES):
            raise ValidationError("Select an engagement level")


class EngagementForm(BaseForm):
    engagement_level = SelectField("New engagement level", choices=LEVEL_CHOICES, validate_choice=False)
    reason = StringField(
        "Reason for the change",
        filters=[strip],
        validators=[DataRequired("Enter the reason for the change"), Length(max=500)],
    )

    def validate_engagement_level(self, field) -> None:
        if field.data not in dict(LEVEL_CHOICES):
            raise ValidationError("Select an engagement level")


class ContactForm(BaseForm):
    name = StringField(
        "Full name", filters=[strip], validators=[DataRequired("Enter the person's name"), Length(max=200)]
    )
    role = StringField("Role in the organisation (optional)", filters=[strip], validators=[Length(max=200)])
    email = EmailField(
        "Email address (optional)",
        filters=[strip],
        validators=[
            Optional(),
            Email("Enter an email address in the correct format, like name@example.com", check_deliverability=False),
        ],
    )
    phone = StringField("Phone number (optional)", filters=[strip], validators=[Length(max=40)])
    consent_to_contact = BooleanField("They agreed that the programme may contact them")


class AffiliationForm(BaseForm):
    email = EmailField(
        "Champion's email address",
        filters=[strip],
        validators=[DataRequired("Enter the champion's email address")],
    )
