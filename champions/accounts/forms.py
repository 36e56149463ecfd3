from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length, ValidationError

from champions.accounts.services import password_problem
from champions.privacy.services import PRIVACY_CONSENT_WORDING

# The Royal Mail postcode shapes: outward code, a space (optional when typed), inward code.
POSTCODE_RE = re.compile(
    r"^(GIR0AA|[A-PR-UWYZ](?:[0-9]{1,2}|[A-HK-Y][0-9][0-9ABEHMNPRV-Y]?|[0-9][A-HJKPS-UW])[0-9][ABD-HJLNP-UW-Z]{2})$"
)


def normalise_postcode(value: str) -> str:
    compact = re.sub(r"\s+", "", value or "").upper()
    return f"{compact[:-3]} {compact[-3:]}" if len(compact) > 3 else compact


def strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class UKPostcode:
    def __call__(self, form: FlaskForm, field: StringField) -> None:
        if not POSTCODE_RE.match(re.sub(r"\s+", "", field.data or "").upper()):
            raise ValidationError("Enter a real UK postcode, like M1 1AE")
        field.data = normalise_postcode(field.data)


class AcceptablePassword:
    def __call__(self, form: FlaskForm, field: PasswordField) -> None:
        if problem := password_problem(field.data or ""):
            raise ValidationError(problem)


class RegistrationForm(FlaskForm):
    first_name = StringField(
        "First name",
        filters=[strip],
        validators=[
            DataRequired("Enter your first name"),
            Length(max=100, message="First name must be 100 characters or fewer"),
        ],
    )
    last_name = StringField(
        "Last name",
        filters=[strip],
        validators=[
            DataRequired("Enter your last name"),
            Length(max=100, message="Last name must be 100 characters or fewer"),
        ],
    )
    email = EmailField(
        "Email address",
        filters=[strip],
        validators=[
            DataRequired("Enter your email address"),
            Length(max=254, message="Email address must be 254 characters or fewer"),
            Email("Enter an email address in the correct format, like name@example.com", check_deliverability=False),
        ],
    )
    password = PasswordField("Create a password", validators=[InputRequired("Create a password"), AcceptablePassword()])
    postcode = StringField("Postcode", filters=[strip], validators=[DataRequired("Enter your postcode"), UKPostcode()])
    borough = SelectField(
        "Borough", validators=[DataRequired("Select the borough you live or work in")], validate_choice=False
    )
    privacy_consent = BooleanField(
        PRIVACY_CONSENT_WORDING,
        validators=[DataRequired("Confirm you have read and agree to the privacy notice")],
    )

    def validate_borough(self, field: SelectField) -> None:
        if field.data not in {code for code, _ in field.choices if code}:
            raise ValidationError("Select the borough you live or work in")


class LoginForm(FlaskForm):
    email = EmailField("Email address", filters=[strip], validators=[DataRequired("Enter your email address")])
    password = PasswordField("Password", validators=[InputRequired("Enter your password")])
