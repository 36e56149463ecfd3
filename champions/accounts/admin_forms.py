"""Forms of user administration and of accepting an invitation."""

from __future__ import annotations

from wtforms import EmailField, HiddenField, PasswordField, SelectField
from wtforms.validators import DataRequired, Email, Length, ValidationError

from champions.accounts.admin_services import INVITABLE
from champions.accounts.services import password_problem
from champions.core.forms import BaseForm, strip
from champions.core.permissions import Role


def _role_choices(roles) -> list[tuple[str, str]]:
    return [("", "Select a role")] + [(r.value, r.value.capitalize()) for r in roles]


class InviteForm(BaseForm):
    email = EmailField(
        "Email address",
        filters=[strip],
        validators=[
            DataRequired("Enter their email address"),
            Email("Enter an email address in the correct format, like name@example.org"),
            Length(max=254),
        ],
    )
    role = SelectField("Role", choices=_role_choices(INVITABLE), validate_choice=False)

    def validate_role(self, field: SelectField) -> None:
        if field.data not in {r.value for r in INVITABLE}:
            raise ValidationError("Select the role to give them")


class RoleForm(BaseForm):
    role = SelectField("Role", choices=_role_choices(Role), validate_choice=False)

    def validate_role(self, field: SelectField) -> None:
        if field.data not in {r.value for r in Role}:
            raise ValidationError("Select a role")


class ActiveForm(BaseForm):
    active = HiddenField()


class AcceptInvitationForm(BaseForm):
    password = PasswordField("Choose a password", validators=[DataRequired("Choose a password")])

    def validate_password(self, field: PasswordField) -> None:
        if problem := password_problem(field.data or ""):
            raise ValidationError(problem)
