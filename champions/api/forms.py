"""The form a person makes an API token with: its name, what it may read or change, and when it expires."""

from __future__ import annotations

from wtforms import RadioField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from champions.api.tokens import READ, RESOURCES, WRITE
from champions.core.forms import BaseForm, strip

LIFETIMES = [("30", "30 days"), ("90", "90 days"), ("365", "1 year")]
NONE = "none"


class TokenForm(BaseForm):
    name = StringField(
        "Name the token",
        filters=[strip],
        validators=[
            DataRequired("Enter a name for the token, like the system that will use it"),
            Length(max=100, message="The name must be 100 characters or fewer"),
        ],
    )
    lifetime = RadioField(
        "When should it stop working?",
        choices=LIFETIMES,
        validators=[InputRequired("Choose when it should stop working")],
    )

    def scope_fields(self) -> list:
        return [field for name, field in self._fields.items() if name.startswith("scope_")]

    def scopes(self) -> dict[str, str]:
        return {f.name.removeprefix("scope_"): f.data for f in self.scope_fields() if f.data in (READ, WRITE)}


def token_form(offered: dict[str, set[str]]) -> TokenForm:
    """The form with one question per resource the person's role may give a token, offering what it may."""

    class Form(TokenForm):
        pass

    for resource in sorted(offered):
        choices = [(NONE, "No access"), (READ, "Read")]
        if WRITE in offered[resource]:
            choices.append((WRITE, "Read and change"))
        title = RESOURCES[resource].title
        # Not sent (a form from before a resource was added): no access to it.
        setattr(Form, f"scope_{resource}", RadioField(title, choices=choices, default=NONE))
    return Form()
