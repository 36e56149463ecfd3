"""Forms for Small Sparks. Amounts are typed in pounds and held in pence."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypeVar

from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FieldList,
    FormField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import URL, AnyOf, DataRequired, Email, InputRequired, Length, Optional, ValidationError

from champions.accounts.forms import email_field, new_password_field
from champions.core.clock import UK
from champions.core.forms import BaseForm, DateInputField, FromChoices, Money, SubForm, db_id, parse_pounds, strip
from champions.grants.models import THEME_LENGTH
from champions.grants.services.groups import GROUP_TYPES, MAX_GROUP_LIMIT, number_problem
from champions.organisations.forms import OptionalPostcode

BUDGET_ROWS = 6
GRANTS_CONSENT_WORDING = (
    "I have read the privacy notice and agree that Champions may hold my details and my group's "
    "details to manage Small Sparks grant applications."
)


class WholeNumber:
    def __init__(self, message: str):
        self.message = message

    def __call__(self, form, field) -> None:
        # Commas may group the digits, but commas alone are not a number: whole() would read them as nothing.
        text = (field.data or "").strip()
        number = whole(text)
        if text and (number is None or number > 10_000_000):
            raise ValidationError(self.message)


def whole(value: str | None) -> int | None:
    text = (value or "").strip().replace(",", "")
    return int(text) if text.isdecimal() else None


def pence(value: str | None) -> int | None:
    return parse_pounds(value)


T = TypeVar("T")


def validated(value: T | None) -> T:
    """What a field's validators already required and checked, read back (an amount, a number, the criteria).
    None here means a form let through a value its validators should have refused."""
    if value is None:
        raise ValueError("A validated form field has no value")
    return value


class ApplicantRegistrationForm(BaseForm):
    email = email_field()
    password = new_password_field()
    privacy_consent = BooleanField(
        GRANTS_CONSENT_WORDING, validators=[DataRequired("Confirm you have read and agree to the privacy notice")]
    )


class BudgetLineForm(SubForm):
    description = StringField(
        "What the money is for",
        filters=[strip],
        validators=[Length(max=200, message="Describe this item in 200 characters or fewer")],
    )
    amount = StringField("Amount in pounds", filters=[strip], validators=[Money()])


GROUP_TYPE_CHOICES = [(value, label) for value, (label, _) in GROUP_TYPES.items()]


def _length(max: int, what: str) -> Length:
    return Length(max=max, message=f"{what} must be {max:,} characters or fewer")


class ApplicationForm(BaseForm):
    group_name = StringField(
        "Your group's name",
        filters=[strip],
        validators=[DataRequired("Enter your group's name"), _length(200, "Your group's name")],
    )
    group_type = RadioField("What kind of group is it?", choices=GROUP_TYPE_CHOICES, validate_choice=False)
    group_number = StringField("Charity or company number (optional)", filters=[strip])
    group_postcode = StringField("Your group's postcode", filters=[strip], validators=[OptionalPostcode()])
    group_website = StringField(
        "Website (optional)",
        filters=[strip],
        validators=[
            Optional(),
            URL(message="Enter a website address starting with https://, like https://www.example.org"),
            _length(255, "The website address"),
        ],
    )
    contact_name = StringField("Contact name", filters=[strip], validators=[_length(200, "The contact's name")])
    contact_email = EmailField(
        "Contact email address",
        filters=[strip],
        validators=[Optional(), Email("Enter an email address in the correct format, like name@example.com")],
    )
    contact_phone = StringField(
        "Contact phone number (optional)", filters=[strip], validators=[_length(40, "The phone number")]
    )
    title = StringField(
        "Project title",
        filters=[strip],
        validators=[DataRequired("Enter a project title"), _length(200, "The project title")],
    )
    summary = TextAreaField("Summary of the project", filters=[strip], validators=[_length(2000, "The summary")])
    activities = TextAreaField("Activities", filters=[strip], validators=[_length(4000, "The activities")])
    beneficiaries = TextAreaField("Who will benefit", filters=[strip], validators=[_length(2000, "Who will benefit")])
    theme = RadioField("Theme", validate_choice=False, validators=[Optional()])
    boroughs = SelectMultipleField(
        "Boroughs where the project will happen",
        validate_choice=False,
        validators=[FromChoices("Select the boroughs from the list")],
    )
    people_expected = StringField(
        "People you expect to reach", filters=[strip], validators=[WholeNumber("Enter a whole number, like 120")]
    )
    amount_requested = StringField("Amount requested, in pounds", filters=[strip], validators=[Money()])
    start_on = DateInputField("Start date", validators=[Optional()])
    end_on = DateInputField("End date", validators=[Optional()])
    budget_lines = FieldList(FormField(BudgetLineForm), min_entries=BUDGET_ROWS, max_entries=BUDGET_ROWS)

    def validate_theme(self, field) -> None:
        # Checked for a draft too: what is saved must be one of the round's themes (which fit the column).
        if field.data and field.data not in {value for value, _ in field.choices or []}:
            raise ValidationError("Select one of the round's themes")

    def validate_group_type(self, field) -> None:
        if field.data and field.data not in GROUP_TYPES:
            raise ValidationError("Select the kind of group you are from the list")

    def validate_group_number(self, field) -> None:
        if problem := number_problem(field.data):
            raise ValidationError(problem)

    def validate_budget_lines(self, field) -> None:
        for entry in field.entries:
            described, amount = entry.form.description.data, entry.form.amount.data
            if described and not amount:
                entry.form.amount.errors.append(f"Enter the amount for '{described}'")
                raise ValidationError(f"Enter the amount for '{described}'")
            if amount and not described:
                entry.form.description.errors.append("Say what this amount is for")
                raise ValidationError("Say what this amount is for")

    def lines(self) -> list[tuple[str, int]]:
        return [
            (e.form.description.data, parse_pounds(e.form.amount.data) or 0)
            for e in self.budget_lines.entries
            if e.form.description.data and parse_pounds(e.form.amount.data)
        ]


class EligibilityForm(BaseForm):
    decision = RadioField(
        "Eligibility",
        choices=[("eligible", "Eligible"), ("ineligible", "Not eligible")],
        validators=[DataRequired("Choose eligible or not eligible")],
    )
    reason = TextAreaField(
        "Reason for overriding the check",
        filters=[strip],
        validators=[DataRequired("Give a reason for overriding the eligibility check")],
    )


class AssignReviewersForm(BaseForm):
    reviewers = SelectMultipleField(
        "Reviewers", coerce=db_id, validate_choice=False, validators=[FromChoices("Select reviewers from the list")]
    )


def reason_field(label: str, missing: str) -> TextAreaField:
    return TextAreaField(
        label,
        filters=[strip],
        validators=[DataRequired(missing), Length(max=2000, message="Keep the reason to 2,000 characters or fewer")],
    )


class ApproveForm(BaseForm):
    award = StringField(
        "Award, in pounds", filters=[strip], validators=[DataRequired("Enter the amount to award"), Money()]
    )
    conditions = TextAreaField("Conditions of the grant (optional)", filters=[strip], validators=[Length(max=2000)])
    # Required by the service only when the application has fewer reviews than the round asks for.
    few_reviews_reason = TextAreaField(
        "Why approve it with fewer reviews than the round asks for",
        filters=[strip],
        validators=[Length(max=2000, message="Keep the reason to 2,000 characters or fewer")],
    )


class SendBackForm(BaseForm):
    reason = reason_field("Why send it back", "Give the reason for sending it back")


class DeclineForm(BaseForm):
    reason = TextAreaField(
        "Reason for declining", filters=[strip], validators=[DataRequired("Give the reason for declining")]
    )


class PaymentForm(BaseForm):
    amount = StringField(
        "Amount, in pounds", filters=[strip], validators=[DataRequired("Enter the amount of the payment"), Money()]
    )
    due_on = DateField("Due date", format="%Y-%m-%d", validators=[InputRequired("Enter the date the payment is due")])
    paid_on = DateField("Date paid (leave empty if not paid yet)", format="%Y-%m-%d", validators=[Optional()])
    reference = StringField("Payment reference (optional)", filters=[strip], validators=[Length(max=100)])
    waits_on_report = BooleanField("Wait for the end-of-grant report: pay this tranche only once it is approved")


class MarkPaidForm(BaseForm):
    paid_on = DateField("Date paid", format="%Y-%m-%d", validators=[InputRequired("Enter the date it was paid")])
    reference = StringField("Payment reference (optional)", filters=[strip], validators=[Length(max=100)])


class CorrectPaymentForm(BaseForm):
    amount = StringField(
        "Amount, in pounds", filters=[strip], validators=[DataRequired("Enter the amount of the payment"), Money()]
    )
    due_on = DateField("Due date", format="%Y-%m-%d", validators=[InputRequired("Enter the date the payment is due")])
    reference = StringField(
        "Payment reference (optional)",
        filters=[strip],
        validators=[Length(max=100, message="Keep the reference to 100 characters or fewer")],
    )
    reason = reason_field("Reason for the correction", "Give the reason for the correction")


class VoidPaymentForm(BaseForm):
    reason = reason_field("Reason for voiding this tranche", "Give the reason for voiding this tranche")


class ReturnReportForm(BaseForm):
    reason = reason_field("What the group needs to change", "Say what the group needs to change in its report")


class WaiveReportForm(BaseForm):
    reason = reason_field("Reason for waiving the report", "Give the reason for waiving the report")


class ConflictForm(BaseForm):
    conflict = RadioField(
        "Do you have a conflict of interest with this group or project?",
        choices=[("no", "No"), ("yes", "Yes")],
        validators=[DataRequired("Say whether you have a conflict of interest")],
    )
    note = TextAreaField("If yes, describe it", filters=[strip], validators=[Length(max=2000)])

    def validate_note(self, field) -> None:
        if self.conflict.data == "yes" and not field.data:
            raise ValidationError("Describe the conflict of interest")


SCORE_CHOICES = [(str(n), str(n)) for n in range(1, 6)]


def score_form(criteria):
    """A form with a 1-to-5 score and a comment for each of the round's criteria."""

    class ScoreForm(BaseForm):
        pass

    for c in criteria:
        setattr(
            ScoreForm,
            f"score_{c.id}",
            RadioField(
                f"{c.name} (weight {c.weight})",
                choices=SCORE_CHOICES,
                validate_choice=False,
                validators=[
                    DataRequired(f"Score '{c.name}' from 1 to 5"),
                    AnyOf([v for v, _ in SCORE_CHOICES], message=f"Score '{c.name}' from 1 to 5"),
                ],
            ),
        )
        setattr(
            ScoreForm,
            f"comment_{c.id}",
            TextAreaField(f"Comment on {c.name}", filters=[strip], validators=[Length(max=2000)]),
        )
    return ScoreForm()


class FundForm(BaseForm):
    name = StringField(
        "Fund name",
        filters=[strip],
        validators=[
            DataRequired("Enter the fund's name"),
            Length(max=200, message="The fund's name must be 200 characters or fewer"),
        ],
    )
    funder_organisation = StringField(
        "Funder organisation",
        filters=[strip],
        validators=[
            DataRequired("Enter the funder organisation"),
            Length(max=200, message="The funder organisation must be 200 characters or fewer"),
        ],
    )


class FundFundersForm(BaseForm):
    funders = SelectMultipleField(
        "Funder users who may see this fund",
        coerce=db_id,
        validate_choice=False,
        validators=[FromChoices("Select funders from the list")],
    )


class RoundReviewersForm(BaseForm):
    reviewers = SelectMultipleField(
        "Reviewers on this round's panel",
        coerce=db_id,
        validate_choice=False,
        validators=[FromChoices("Select reviewers from the list")],
    )


class LocalDateTime:
    def __call__(self, form, field) -> None:
        try:
            datetime.strptime(field.data or "", "%Y-%m-%dT%H:%M")
        except ValueError:
            raise ValidationError("Enter a date and time, like 2027-03-01 09:00") from None


def uk_datetime(value: str) -> datetime:
    # Staff type UK local time; the database holds UTC.
    return datetime.strptime(value, "%Y-%m-%dT%H:%M").replace(tzinfo=UK).astimezone(UTC)


class RoundForm(BaseForm):
    name = StringField(
        "Round name", filters=[strip], validators=[DataRequired("Enter the round's name"), Length(max=200)]
    )
    budget = StringField("Budget, in pounds", filters=[strip], validators=[DataRequired("Enter the budget"), Money()])
    min_award = StringField(
        "Minimum award, in pounds", filters=[strip], validators=[DataRequired("Enter the minimum award"), Money()]
    )
    max_award = StringField(
        "Maximum award, in pounds", filters=[strip], validators=[DataRequired("Enter the maximum award"), Money()]
    )
    themes = TextAreaField("Themes, one a line", filters=[strip], validators=[DataRequired("Enter at least one theme")])
    boroughs = SelectMultipleField(
        "Eligible boroughs",
        validate_choice=False,
        validators=[
            DataRequired("Select at least one eligible borough"),
            FromChoices("Select the boroughs from the list"),
        ],
    )
    opens_at = StringField("Opens (UK time)", filters=[strip], validators=[LocalDateTime()])
    closes_at = StringField("Closes (UK time)", filters=[strip], validators=[LocalDateTime()])
    reviewers_per_application = StringField(
        "Reviewers per application",
        default="2",
        filters=[strip],
        validators=[
            DataRequired("Enter how many reviewers score each application"),
            WholeNumber("Enter a whole number, like 2"),
        ],
    )
    second_approval_above = StringField(
        "Awards above this need a second approval, in pounds (optional)",
        filters=[strip],
        validators=[Money("Enter an amount in pounds, like 1500")],
    )
    anonymise_reviews = BooleanField("Reviewers see anonymised applications")
    criteria = TextAreaField(
        "Scoring criteria with weights, one a line",
        filters=[strip],
        validators=[DataRequired("Enter at least one scoring criterion, like 'Reach: 3'")],
    )

    def validate_themes(self, field) -> None:
        # An application stores the theme it chose: each must fit its column.
        if any(len(line.strip()) > THEME_LENGTH for line in field.data.splitlines()):
            raise ValidationError(f"Keep each theme to {THEME_LENGTH} characters or fewer")

    def validate_criteria(self, field) -> None:
        if parse_criteria(field.data) is None:
            raise ValidationError("Write each criterion as a name, a colon and a weight from 1 to 10, like 'Reach: 3'")

    def validate_reviewers_per_application(self, field) -> None:
        number = whole(field.data)
        if number is not None and not 1 <= number <= 10:
            raise ValidationError("Enter a number from 1 to 10")


def parse_criteria(text: str | None) -> list[tuple[str, int]] | None:
    criteria = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        name, _, weight = line.rpartition(":")
        if not name.strip() or not weight.strip().isdecimal() or not 1 <= int(weight) <= 10:
            return None
        criteria.append((name.strip()[:200], int(weight)))
    return criteria or None


class ReportForm(BaseForm):
    people_reached = StringField(
        "People reached",
        filters=[strip],
        validators=[DataRequired("Enter how many people you reached"), WholeNumber("Enter a whole number, like 120")],
    )
    champions_recruited = StringField(
        "Cancer champions recruited",
        filters=[strip],
        validators=[
            DataRequired("Enter how many champions you recruited (0 if none)"),
            WholeNumber("Enter a whole number, like 4"),
        ],
    )
    activities = TextAreaField("What you did", filters=[strip], validators=[DataRequired("Describe what you did")])
    outcomes = TextAreaField(
        "What changed as a result", filters=[strip], validators=[DataRequired("Describe the outcomes")]
    )
    story = TextAreaField("A short story (optional)", filters=[strip], validators=[Length(max=3000)])
    story_public_consent = BooleanField("We agree that this story may be used publicly by the programme")


def spend_problems(formdata, lines) -> tuple[dict[int, int], dict[int, str]]:
    """Read 'spent_<line id>' amounts; return the pence spent and any problems, by line id."""
    spent, problems = {}, {}
    for line in lines:
        raw = (formdata.get(f"spent_{line.id}") or "").strip()
        value = parse_pounds(raw)
        if value is None:
            problems[line.id] = f"Enter what you spent on '{line.description}', in pounds (0 if nothing)"
        else:
            spent[line.id] = value
    return spent, problems


# What a group reports for one kind of outcome: (people signposted, said they would act, did act or None).
OutcomeCounts = tuple[int, int, int | None]
OUTCOME_BOXES = ("signposted", "said", "did")


def _count(raw: str) -> int | None:
    """A whole number someone typed (commas allowed), or None; never an overflow from thousands of digits."""
    text = raw.replace(",", "")
    return int(text) if text.isdecimal() and text.isascii() and len(text) <= 8 else None


def outcome_problems(formdata, kinds, people_reached: int | None) -> tuple[dict[str, OutcomeCounts], dict[str, str]]:
    """Read the ticked kinds of outcome and each one's 'signposted_<code>', 'said_<code>' and 'did_<code>'; return
    the counts by code and any problems, by the id of the box they belong beside."""
    ticked = set(formdata.getlist("outcome"))
    found: dict[str, OutcomeCounts] = {}
    problems: dict[str, str] = {}
    if kinds and ticked - {kind.code for kind in kinds}:  # retired while the form was open, or never on it
        problems[unknown_outcome_box(kinds)] = (
            "A service you ticked is no longer on the list: check the services ticked and send the report again"
        )
    for kind in kinds:
        # As on a champion's activity form, a service left unticked is ignored, numbers and all: the numbers of one
        # ticked then unticked are still posted when script hides them.
        if kind.code not in ticked:
            continue
        raw = {box: (formdata.get(f"{box}_{kind.code}") or "").strip() for box in OUTCOME_BOXES}
        counts = _outcome_counts(kind, raw, people_reached, problems)
        if counts is not None:
            found[kind.code] = counts
    return found, problems


def unknown_outcome_box(kinds) -> str:
    """Where a message about the services as a whole goes: the first service's box, which the summary links to."""
    return f"outcome-{kinds[0].code}"


def _outcome_counts(kind, raw: dict[str, str], people_reached: int | None, problems: dict[str, str]):
    code, name = kind.code, kind.name
    numbers = {box: _count(text) for box, text in raw.items()}
    before = len(problems)
    for box, message in (
        ("signposted", f"Enter how many people you signposted to ‘{name}’"),
        ("said", f"Enter how many of them said they would act (0 if none): ‘{name}’"),
    ):
        if not raw[box]:
            problems[f"{box}-{code}"] = message
    for box in OUTCOME_BOXES:
        if raw[box] and numbers[box] is None:
            problems[f"{box}-{code}"] = f"Enter a whole number, 0 or more, for ‘{name}’"
    signposted, said, did = numbers["signposted"], numbers["said"], numbers["did"]
    if signposted == 0:
        problems[f"signposted-{code}"] = f"Enter at least 1, or untick ‘{name}’"
    elif signposted is not None and people_reached is not None and signposted > people_reached:
        problems[f"signposted-{code}"] = (
            f"People signposted to ‘{name}’ cannot be more than the {people_reached:,} people you reached"
        )
    if said is not None and signposted is not None and said > signposted:
        problems[f"said-{code}"] = (
            f"Those who said they would act cannot be more than the {signposted:,} signposted to ‘{name}’"
        )
    if did is not None and said is not None and did > said:
        problems[f"did-{code}"] = f"Those who went to ‘{name}’ cannot be more than the {said:,} who said they would"
    if len(problems) > before or signposted is None or said is None:
        return None
    return signposted, said, did


class GroupMatchForm(BaseForm):
    """Staff say which register organisation an applicant's group is."""

    choice = RadioField(
        "Which organisation on the register is this group?",
        validate_choice=False,
        validators=[DataRequired("Choose the proposed match, another organisation, or to add a new one")],
    )
    organisation_id = SelectField("Organisation on the register", validate_choice=False)

    def validate_choice(self, field) -> None:
        if field.data not in {value for value, _ in field.choices or []}:
            raise ValidationError("Choose the proposed match, another organisation, or to add a new one")

    def validate_organisation_id(self, field) -> None:
        if self.choice.data == "other" and field.data not in {v for v, _ in field.choices or [] if v}:
            raise ValidationError("Choose the organisation from the list")


class GroupLimitForm(BaseForm):
    allowed = StringField(
        "Applications this group may send to this round",
        filters=[strip],
        validators=[
            DataRequired("Enter how many applications this group may send to this round"),
            WholeNumber("Enter a whole number, like 2"),
        ],
    )

    def validate_allowed(self, field) -> None:
        number = whole(field.data)
        if number is not None and not 1 <= number <= MAX_GROUP_LIMIT:
            raise ValidationError(f"Enter a number from 1 to {MAX_GROUP_LIMIT}")
