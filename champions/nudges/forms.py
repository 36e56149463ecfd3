from __future__ import annotations

from jinja2 import TemplateError
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from champions.core.forms import BaseForm, FilterForm, strip
from champions.nudges import sandbox
from champions.nudges.conditions import CONDITIONS
from champions.spread.models import ROLES
from champions.spread.queries import role_choices

SAMPLE_CONTEXT = {
    "first_name": "Sam",
    "home_url": "https://example.org/home",
    "training_url": "https://example.org/me/training",
    "log_url": "https://example.org/me/activities/new",
    "network_url": "https://example.org/me/network",
    "pledge_url": "https://example.org/me/pledge",
    "check_url": "https://example.org/me/training-check/later",
    "verify_url": "https://example.org/verify/x",
    "report_due": "31 March 2027",
    "report_url": "https://example.org/grants/applications/1/report",
    "group_name": "Bolton Walking Group",
    "moment_name": "Bowel Cancer Awareness Month",
    "moment_starts": "1 April",
    "moment_actions": "Share the home testing kit video",
    "days": 7,
    "context_id": 1,
    "unsubscribe_url": "https://example.org/unsubscribe/x",
    "unsubscribe_all_url": "https://example.org/unsubscribe/y",
}
AVAILABLE = ", ".join(sorted(SAMPLE_CONTEXT))


def template_problem(source: str, html: bool = False) -> str | None:
    try:
        sandbox.check(source)
        sandbox.render(source, SAMPLE_CONTEXT, html=html)
    except TemplateError as error:
        return f"This template cannot be used: {error.message}. You can use: {AVAILABLE}"
    return None


class TemplateText:
    def __init__(self, html: bool = False):
        self.html = html

    def __call__(self, form, field) -> None:
        if problem := template_problem(field.data or "", self.html):
            raise ValidationError(problem)


class RuleForm(BaseForm):
    name = StringField("Name", filters=[strip], validators=[DataRequired("Enter a name for the rule"), Length(max=120)])
    condition = SelectField(
        "Who it is for", choices=[(k, c.label) for k, c in CONDITIONS.items()], validators=[DataRequired()]
    )
    role = SelectField(
        "Network role (for rules about a network role)",
        choices=[("", "Not about a network role")] + role_choices(),
        validate_choice=False,  # checked by validate_role, with words that say what to do
    )
    days = IntegerField("N (days, or recruits for the milestone rule)")  # checked by validate_days
    subject = StringField(
        "Email subject", filters=[strip], validators=[DataRequired("Enter a subject"), Length(max=200), TemplateText()]
    )
    body_text = TextAreaField("Email text", validators=[DataRequired("Enter the email text"), TemplateText()])
    body_html = TextAreaField("Email HTML", validators=[DataRequired("Enter the email HTML"), TemplateText(html=True)])
    period_days = IntegerField(
        "Send at most once per person every (days)",
        validators=[InputRequired("Enter the period in days"), NumberRange(1, 366, "Enter a number from 1 to 366")],
    )
    holdout_percent = IntegerField(
        "Hold out (per cent of the audience not sent the nudge, to measure its effect)",
        validators=[InputRequired("Enter the hold-out share"), NumberRange(0, 50, "Enter a number from 0 to 50")],
    )
    effect_days = IntegerField(
        "Measure the effect within (days)",
        validators=[InputRequired("Enter the days"), NumberRange(1, 90, "Enter a number from 1 to 90")],
    )
    enabled = BooleanField("Switched on")

    def validate_condition(self, field: SelectField) -> None:
        if field.data not in CONDITIONS:
            raise ValidationError("Choose who the rule is for from the list")

    def _uses(self, param: str) -> bool:
        condition = CONDITIONS.get(self.condition.data or "")
        return condition is not None and param in condition.params

    def validate_role(self, field: SelectField) -> None:
        if field.data not in (None, "", *ROLES):
            raise ValidationError("Choose a network role from the list")
        if not field.data and self._uses("role"):
            raise ValidationError("Choose the network role this rule is for")

    def validate_days(self, field: IntegerField) -> None:
        """N is needed where the condition uses it, and checked wherever it is given."""
        if field.data is None:
            if field.raw_data and str(field.raw_data[0]).strip():
                raise ValidationError("Enter a number from 1 to 365")
            if self._uses("days"):
                raise ValidationError("Enter N, a number from 1 to 365")
            field.errors.clear()  # left empty where it is not used: not an error
            return
        if not 1 <= field.data <= 365:
            raise ValidationError("Enter a number from 1 to 365")


class MessageFilterForm(FilterForm):
    rule = SelectField("Rule")
    status = SelectField("Status")
