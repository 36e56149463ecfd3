"""Forms of the roster's actions on many champions at once (the selection itself travels as plain fields)."""

from __future__ import annotations

from wtforms import HiddenField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from champions.core.forms import BaseForm, db_id, strip
from champions.followups.forms import BulkOwnerForm as OwnerForm
from champions.roster.bulk import TAG_MAX, WHEN_FULL
from champions.roster.staff_forms import check_stage, reason_field, stage_field


class BulkForm(BaseForm):
    # The fingerprint of the plan the person confirmed (bulk.Plan.fingerprint); empty on the first step.
    checked = HiddenField()


# Field names differ from the roster's filters (stage, tag …), which travel in the same form to re-run the filter.


class BulkStageForm(BulkForm):
    new_stage = stage_field()
    reason = reason_field()
    validate_new_stage = check_stage


class BulkTagForm(BulkForm):
    tag_name = StringField(
        "Tag",
        filters=[strip],
        validators=[
            DataRequired("Enter a tag: a new one, or one already in use"),
            Length(max=TAG_MAX, message=f"Keep the tag to {TAG_MAX} characters or fewer"),
        ],
    )


class BulkOwnerForm(OwnerForm, BulkForm):
    """The owner select of the organisations' and applications' lists, on the roster."""


class BulkWorkshopForm(BulkForm):
    workshop = SelectField("Workshop", coerce=db_id, validate_choice=False)
    when_full = RadioField(
        "If there are not enough places", choices=list(WHEN_FULL.items()), default="waiting", validate_choice=False
    )

    def validate_workshop(self, field: SelectField) -> None:
        # Any workshop's id gets through here, so that one cancelled or started since the list was shown is refused
        # by the service, saying so (bulk.plan_workshop).
        if field.data is None:
            raise ValidationError("Choose a workshop from the list")

    def validate_when_full(self, field: RadioField) -> None:
        if field.data not in WHEN_FULL:
            raise ValidationError("Choose what happens when there are not enough places")


FORMS: dict[str, type[BulkForm]] = {
    "stage": BulkStageForm,
    "tag": BulkTagForm,
    "owner": BulkOwnerForm,
    "workshop": BulkWorkshopForm,
}
