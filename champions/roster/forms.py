"""The champion sign-up form."""

from __future__ import annotations

from wtforms import BooleanField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from champions.accounts.consent import EMAIL_CONSENT_WORDING, PRIVACY_CONSENT_WORDING
from champions.accounts.forms import email_field, new_password_field
from champions.core.forms import BaseForm, MultiCheckboxField, UKPostcode, strip
from champions.core.models import TOPICS
from champions.core.places import suggest_borough
from champions.roster.services import find_champion_by_referral

HEARD_VIA = [
    ("referral", "A champion I know gave me their code or link"),
    ("organisation", "Through an organisation or group"),
    ("other", "Another way"),
]


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
        if field.data not in {code for code, _ in field.choices if code}:
            suggestion = suggest_borough(self.postcode.data or "")
            if suggestion:
                field.data = suggestion  # preselected for them to confirm
                name = dict(field.choices)[suggestion]
                raise ValidationError(f"Select the borough you live or work in. Your postcode suggests {name}")
            raise ValidationError("Select the borough you live or work in")

    def validate_referral_code(self, field: StringField) -> None:
        if self.heard_via.data == "referral" and field.data and find_champion_by_referral(field.data) is None:
            raise ValidationError("We cannot find that referral code. Check it, or leave it blank")

    def validate_organisation_id(self, field: SelectField) -> None:
        if self.heard_via.data == "organisation" and field.data not in {v for v, _ in field.choices if v}:
            raise ValidationError("Select the organisation or group, or choose 'Another way'")
