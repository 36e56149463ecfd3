from __future__ import annotations

from wtforms import BooleanField, PasswordField, RadioField
from wtforms.validators import InputRequired, Optional, ValidationError

from champions.accounts.consent import EQUALITY_CONSENT_WORDING
from champions.core.forms import BaseForm, MultiCheckboxField
from champions.core.models import TOPICS

PREFER_NOT = ("prefer_not_to_say", "Prefer not to say")
AGE_BANDS = [
    ("16-24", "16 to 24"),
    ("25-34", "25 to 34"),
    ("35-44", "35 to 44"),
    ("45-54", "45 to 54"),
    ("55-64", "55 to 64"),
    ("65-74", "65 to 74"),
    ("75+", "75 or over"),
    PREFER_NOT,
]
SEXES = [("female", "Female"), ("male", "Male"), PREFER_NOT]
GENDER_IDENTITY = [("yes", "Yes"), ("no", "No"), PREFER_NOT]
# The Office for National Statistics' ethnic group categories (2021 Census, England).
ETHNICITIES = [
    ("asian_indian", "Asian or Asian British: Indian"),
    ("asian_pakistani", "Asian or Asian British: Pakistani"),
    ("asian_bangladeshi", "Asian or Asian British: Bangladeshi"),
    ("asian_chinese", "Asian or Asian British: Chinese"),
    ("asian_other", "Any other Asian background"),
    ("black_african", "Black, Black British, Caribbean or African: African"),
    ("black_caribbean", "Black, Black British, Caribbean or African: Caribbean"),
    ("black_other", "Any other Black, Black British or Caribbean background"),
    ("mixed_white_black_caribbean", "Mixed or multiple ethnic groups: White and Black Caribbean"),
    ("mixed_white_black_african", "Mixed or multiple ethnic groups: White and Black African"),
    ("mixed_white_asian", "Mixed or multiple ethnic groups: White and Asian"),
    ("mixed_other", "Any other Mixed or multiple ethnic background"),
    ("white_british", "White: English, Welsh, Scottish, Northern Irish or British"),
    ("white_irish", "White: Irish"),
    ("white_gypsy_traveller", "White: Gypsy or Irish Traveller"),
    ("white_roma", "White: Roma"),
    ("white_other", "Any other White background"),
    ("other_arab", "Other ethnic group: Arab"),
    ("other_any", "Any other ethnic group"),
    PREFER_NOT,
]
DISABILITY = [("yes_a_lot", "Yes, limited a lot"), ("yes_a_little", "Yes, limited a little"), ("no", "No"), PREFER_NOT]


class EqualityForm(BaseForm):
    age_band = RadioField("Your age", choices=AGE_BANDS, validators=[Optional()])
    sex = RadioField("Your sex", choices=SEXES, validators=[Optional()])
    gender_identity = RadioField(
        "Is the gender you identify with the same as your sex registered at birth?",
        choices=GENDER_IDENTITY,
        validators=[Optional()],
    )
    ethnicity = RadioField("Your ethnic group", choices=ETHNICITIES, validators=[Optional()])
    disability = RadioField(
        "Do you have a condition or illness that limits your day-to-day activities?",
        choices=DISABILITY,
        validators=[Optional()],
    )
    consent = BooleanField(EQUALITY_CONSENT_WORDING)

    def answered(self) -> bool:
        return any(
            getattr(self, name).data for name in ("age_band", "sex", "gender_identity", "ethnicity", "disability")
        )

    def validate_consent(self, field: BooleanField) -> None:
        if self.answered() and not field.data:
            raise ValidationError("Tick the box to agree we may keep your answers, or skip this page")


class PreferencesForm(BaseForm):
    topics = MultiCheckboxField("Topics you care about", choices=list(TOPICS))


class EraseForm(BaseForm):
    password = PasswordField("Your password", validators=[InputRequired("Enter your password to confirm")])
