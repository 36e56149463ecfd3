from flask_wtf import FlaskForm
from wtforms import BooleanField, TextAreaField
from wtforms.validators import DataRequired, Length

from champions.core.forms import strip


class CompleteForm(FlaskForm):
    reflection = TextAreaField(
        "What will you take from this? (optional)",
        filters=[strip],
        validators=[Length(max=1000, message="Keep your reflection to 1,000 characters or fewer")],
    )


class PledgeForm(FlaskForm):
    agree = BooleanField("I make this pledge", validators=[DataRequired("Tick the box to make the pledge")])
