"""The champion sign-up form, and the forms a champion corrects their own details with."""

from __future__ import annotations

import re
from typing import Any

from wtforms import BooleanField, EmailField, PasswordField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError

from champions.accounts.consent import EMAIL_CONSENT_WORDING, PRIVACY_CONSENT_WORDING
from champions.accounts.forms import email_field, new_password_field
from champions.accounts.services import normalise_email
from champions.core.forms import BaseForm, MultiCheckboxField, RevealedBy, UKPostcode, optional_id, strip
from champions.core.models import TOPICS
from champions.core.places import suggest_borough
from champions.core.templating import uk_phone
from champions.organisations.services import is_working_with_us, working_with_us_containing, working_with_us_named
from champions.profiles.details import Details
from champions.profiles.models import Champion
from champions.roster.duplicates import phone_key
from champions.roster.services import find_champion_by_referral

HEARD_VIA = [
    ("referral", "A champion I know gave me their code or link"),
    ("organisation", "Through an organisation or group"),
    ("other", "Another way"),
]


def name_field(label: str, whose: str = "your") -> StringField:
    """First or last name, as sign-up and the champion's own details page ask for it (and staff, of "their")."""
    return StringField(
        label,
        filters=[strip],
        validators=[
            DataRequired(f"Enter {whose} {label.lower()}"),
            Length(max=100, message=f"{label} must be 100 characters or fewer"),
        ],
    )


def postcode_field(whose: str = "your") -> StringField:
    return StringField("Postcode", filters=[strip], validators=[DataRequired(f"Enter {whose} postcode"), UKPostcode()])


def borough_field() -> SelectField:
    # Checked by the form's validate_borough (check_borough), which can suggest one from the postcode.
    return SelectField("Borough", validate_choice=False)


def check_borough(form: BaseForm, field: SelectField, who: str = "you", whose: str = "your") -> None:
    """One of the boroughs; when none is chosen and the postcode's district is known, that borough is preselected
    and suggested."""
    if field.data not in {code for code, _ in field.choices if code}:
        suggestion = suggest_borough(form.postcode.data or "")
        if suggestion:
            field.data = suggestion  # preselected for them to confirm
            name = dict(field.choices)[suggestion]
            raise ValidationError(
                f"Select the borough {who} live or work in. {whose.capitalize()} postcode suggests {name}"
            )
        raise ValidationError(f"Select the borough {who} live or work in")


class RegistrationForm(BaseForm):
    first_name = name_field("First name")
    last_name = name_field("Last name")
    email = email_field()
    password = new_password_field()
    postcode = postcode_field()
    borough = borough_field()
    topics = MultiCheckboxField("Which topics do you care about most?", choices=list(TOPICS))
    heard_via = RadioField("How did you hear about cancer champions?", choices=HEARD_VIA, validators=[Optional()])
    referral_code = StringField(
        "Their referral code", filters=[strip], validators=[RevealedBy("heard_via", "referral"), Length(max=16)]
    )
    organisation_id = SelectField(
        "Organisation or group", validate_choice=False, validators=[RevealedBy("heard_via", "organisation")]
    )
    # Where too many organisations work with the programme to list (``views.LISTED_UP_TO``): typed, and suggested as
    # it is typed. The form then asks for the organisation by name, and finds its id from it.
    organisation_name = StringField(
        "Organisation or group",
        filters=[strip],
        validators=[
            RevealedBy("heard_via", "organisation"),
            Length(max=200, message="Keep this to 200 characters or fewer"),
        ],
    )
    by_name = False
    heard_other = StringField(
        "Tell us how",
        filters=[strip],
        validators=[RevealedBy("heard_via", "other"), Length(max=200, message="Keep this to 200 characters or fewer")],
    )
    privacy_consent = BooleanField(
        PRIVACY_CONSENT_WORDING,
        validators=[DataRequired("Confirm you have read and agree to the privacy notice")],
    )
    email_consent = BooleanField(EMAIL_CONSENT_WORDING)

    def validate_borough(self, field: SelectField) -> None:
        check_borough(self, field)

    def validate_referral_code(self, field: StringField) -> None:
        if field.data and find_champion_by_referral(field.data) is None:
            raise ValidationError("We cannot find that referral code. Check it, or leave it blank")

    def validate_organisation_id(self, field: SelectField) -> None:
        # Asked of the database, not of the listed choices: the API and a form asking by name list none.
        if self.by_name:
            return
        if not is_working_with_us(optional_id(field.data)):
            raise ValidationError("Select the organisation or group, or choose 'Another way'")

    def validate_organisation_name(self, field: StringField) -> None:
        if not self.by_name or field.errors:
            return
        if not field.data:
            raise ValidationError("Enter the name of the organisation or group, or choose 'Another way'")
        found = working_with_us_named(field.data)
        if found is None:
            near = working_with_us_containing(field.data, limit=5)
            raise ValidationError(
                "We cannot find an organisation or group working with us called that."
                + (f" Names that have it in them: {'; '.join(near)}." if near else "")
                + " Choose one of the names suggested as you type, or choose 'Another way' and tell us"
            )
        self.organisation_id.data = str(found)


# --- The champion's own details -----------------------------------------------------------------------------

_PHONE_CHARACTERS = re.compile(r"[0-9 +()\-]+")


class UKPhone:
    """A UK phone number however it is written ('+44 (0)7700 900123', '0161 496 0000'), kept as the digits the
    duplicate checks compare ('07700900123')."""

    message = "Enter a UK phone number, like 07700 900123 or 0161 496 0000"

    def __call__(self, form: BaseForm, field: StringField) -> None:
        key = phone_key(field.data) if _PHONE_CHARACTERS.fullmatch(field.data or "") else None
        if key is None or not key.startswith("0") or len(key) not in (10, 11):
            raise ValidationError(self.message)
        field.data = key


class DetailsForm(BaseForm):
    """Name, postcode, borough and phone, as the champion corrects them (and staff, with ``who``/``whose``)."""

    who, whose = "you", "your"

    first_name = name_field("First name")
    last_name = name_field("Last name")
    postcode = postcode_field()
    borough = borough_field()
    phone = StringField(
        "Phone number (optional)",
        filters=[strip],
        # The length last, so that its message is the one shown for a very long answer.
        validators=[Optional(), UKPhone(), Length(max=30, message="Phone number must be 30 characters or fewer")],
    )

    def validate_borough(self, field: SelectField) -> None:
        """As at sign-up; and a postcode whose district lies in another borough is questioned, with that borough
        preselected, rather than saved beside a borough it is not in."""
        check_borough(self, field, self.who, self.whose)
        suggestion = suggest_borough(self.postcode.data or "") if not self.postcode.errors else None
        if suggestion and suggestion != field.data:
            choices = dict(field.choices)
            chosen, field.data = choices[field.data], suggestion
            raise ValidationError(
                f"{self.whose.capitalize()} postcode {self.postcode.data} is in {choices[suggestion]}, not {chosen}. "
                f"Select {choices[suggestion]}, or check your postcode"
            )

    @staticmethod
    def data_of(champion: Champion) -> dict[str, Any]:
        """The record's details as the form shows them."""
        return {
            "first_name": champion.first_name,
            "last_name": champion.last_name,
            "postcode": champion.postcode,
            "borough": champion.borough_code,
            "phone": uk_phone(champion.phone),
        }

    def details(self) -> Details:
        """The details as entered (once validated), for ``profiles.details``."""
        return Details(
            first_name=self.first_name.data,
            last_name=self.last_name.data,
            postcode=self.postcode.data,
            borough_code=self.borough.data,
            phone=self.phone.data or None,
        )


class EmailChangeForm(BaseForm):
    """A new address to sign in with, and the password, asked again before a change that matters."""

    new_email = EmailField(
        "New email address",
        filters=[strip],
        validators=[
            DataRequired("Enter your new email address"),
            Email("Enter an email address in the correct format, like name@example.com", check_deliverability=False),
            Length(max=254, message="Email address must be 254 characters or fewer"),  # last: its message shows
        ],
    )
    password = PasswordField("Your password", validators=[InputRequired("Enter your password")])

    def __init__(self, current_email: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.current_email = current_email

    def validate_new_email(self, field: EmailField) -> None:
        if normalise_email(field.data or "") == self.current_email:
            raise ValidationError("This is already your email address. Enter a different one")
