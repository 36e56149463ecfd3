from __future__ import annotations

import re

from wtforms import BooleanField, EmailField, PasswordField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError

from champions.accounts.services import password_problem
from champions.core.forms import BaseForm, MultiCheckboxField, strip
from champions.core.models import TOPICS
from champions.privacy.services import EMAIL_CONSENT_WORDING, PRIVACY_CONSENT_WORDING

# The Royal Mail postcode shapes: outward code, a space (optional when typed), inward code.
POSTCODE_RE = re.compile(
    r"^(GIR0AA|[A-PR-UWYZ](?:[0-9]{1,2}|[A-HK-Y][0-9][0-9ABEHMNPRV-Y]?|[0-9][A-HJKPS-UW])[0-9][ABD-HJLNP-UW-Z]{2})$"
)


def normalise_postcode(value: str) -> str:
    compact = re.sub(r"\s+", "", value or "").upper()
    return f"{compact[:-3]} {compact[-3:]}" if len(compact) > 3 else compact


HEARD_VIA = [
    ("referral", "A champion I know gave me their code or link"),
    ("organisation", "Through an organisation or group"),
    ("other", "Another way"),
]


class UKPostcode:
    def __call__(self, form: BaseForm, field: StringField) -> None:
        if not POSTCODE_RE.match(re.sub(r"\s+", "", field.data or "").upper()):
            raise ValidationError("Enter a real UK postcode, like M1 1AE")
        field.data = normalise_postcode(field.data)


class AcceptablePassword:
    def __call__(self, form: BaseForm, field: PasswordField) -> None:
        if problem := password_problem(field.data or ""):
            raise ValidationError(problem)


def email_field() -> EmailField:
    """The email address field shared by every sign-up form."""
    return EmailField(
        "Email address",
        filters=[strip],
        validators=[
            DataRequired("Enter your email address"),
            Length(max=254, message="Email address must be 254 characters or fewer"),
            Email("Enter an email address in the correct format, like name@example.com", check_deliverability=False),
        ],
    )


def new_password_field(label: str = "Create a password") -> PasswordField:
    return PasswordField(label, validators=[InputRequired("Create a password"), AcceptablePassword()])


class RegistrationForm(BaseForm):
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
    email = email_field()
    password = new_password_field()
    postcode = StringField("Postcode", filters=[strip], validators=[DataRequired("Enter your postcode"), UKPostcode()])
    # Checked in validate_borough, which can suggest one from the postcode.
    borough = SelectField("Borough", validate_choice=False)
    topics = MultiCheckboxField("Which topics do you care about most?", choices=list(TOPICS))
    heard_via = RadioField("How did you hear about cancer champions?", choices=HEARD_VIA, validators=[Optional()])
    referral_code = StringField("Their referral code", filters=[strip], validators=[Length(max=16)])
    organisation_id = SelectField("Organisation or group", validate_choice=False)
    heard_other = StringField(
        "Tell us how", filters=[strip], validators=[Length(max=200, message="Keep this to 200 characters or fewer")]
    )
    privacy_consent = BooleanField(
        PRIVACY_CONSENT_WORDING,
        validators=[DataRequired("Confirm you have read and agree to the privacy notice")],
    )
    email_consent = BooleanField(EMAIL_CONSENT_WORDING)

    def validate_borough(self, field: SelectField) -> None:
        from champions.roster.postcodes import suggest_borough

        if field.data not in {code for code, _ in field.choices if code}:
            suggestion = suggest_borough(self.postcode.data or "")
            if suggestion:
                field.data = suggestion  # preselected for them to confirm
                name = dict(field.choices)[suggestion]
                raise ValidationError(f"Select the borough you live or work in. Your postcode suggests {name}")
            raise ValidationError("Select the borough you live or work in")

    def validate_referral_code(self, field: StringField) -> None:
        from champions.accounts.services import find_champion_by_referral

        if self.heard_via.data == "referral" and field.data and find_champion_by_referral(field.data) is None:
            raise ValidationError("We cannot find that referral code. Check it, or leave it blank")

    def validate_organisation_id(self, field: SelectField) -> None:
        if self.heard_via.data == "organisation" and field.data not in {v for v, _ in field.choices if v}:
            raise ValidationError("Select the organisation or group, or choose 'Another way'")


class LoginForm(BaseForm):
    email = EmailField("Email address", filters=[strip], validators=[DataRequired("Enter your email address")])
    password = PasswordField("Password", validators=[InputRequired("Enter your password")])


class ResendVerificationForm(BaseForm):
    pass


class ContinueForm(BaseForm):
    """The 'Continue' button that signs a new account in from its emailed link (CSRF only)."""


class ResetRequestForm(BaseForm):
    email = EmailField(
        "Email address",
        filters=[strip],
        validators=[
            DataRequired("Enter your email address"),
            Email("Enter an email address in the correct format, like name@example.com", check_deliverability=False),
        ],
    )


class ResetPasswordForm(BaseForm):
    password = PasswordField("New password", validators=[InputRequired("Create a new password"), AcceptablePassword()])


class ChangePasswordForm(BaseForm):
    current_password = PasswordField("Current password", validators=[InputRequired("Enter your current password")])
    password = PasswordField("New password", validators=[InputRequired("Create a new password"), AcceptablePassword()])
