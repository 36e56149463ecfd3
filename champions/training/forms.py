from wtforms import BooleanField, HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length

from champions.core.forms import BaseForm, strip


class CompleteForm(BaseForm):
    reflection = TextAreaField(
        "What will you take from this? (optional)",
        filters=[strip],
        validators=[Length(max=1000, message="Keep your reflection to 1,000 characters or fewer")],
    )


class PledgeForm(BaseForm):
    # The version the champion read: checked against the current one, so nobody accepts words since replaced.
    pledge_id = HiddenField()
    agree = BooleanField("I make this pledge", validators=[DataRequired("Tick the box to make the pledge")])
