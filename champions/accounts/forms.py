from __future__ import annotations

from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email, InputRequired, Length, ValidationError

from champions.accounts.services import password_problem
from champions.core.forms import BaseForm, strip


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
