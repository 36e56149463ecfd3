"""Shared form pieces."""

from __future__ import annotations

from wtforms import SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget


def strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes; rendered with the NHS.UK checkboxes component in templates."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form) -> None:
        valid = {value for value, _ in self.choices}
        for value in self.data or []:
            if value not in valid:
                raise ValueError("Choose from the list")
