"""Shared form pieces: the base form every form derives from, and parsers for what people type.

Every value that reaches a service has passed ``sane_value``: no control characters (PostgreSQL
refuses NUL outright, and none belong in anything a person types), whole numbers and ids that fit
the database's integer columns, and dates between ``EARLIEST`` and ``LATEST`` (date arithmetic on
9999-12-31 overflows). Query strings go through the same parsers and are ignored when bad.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from flask import has_request_context, request
from flask_wtf import FlaskForm
from flask_wtf.form import SUBMIT_METHODS, _Auto
from werkzeug.datastructures import CombinedMultiDict, MultiDict
from wtforms import DecimalField, Field, FileField, FloatField, Form, IntegerField, SelectMultipleField
from wtforms.meta import DefaultMeta
from wtforms.utils import unset_value
from wtforms.validators import StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from champions.core.places import POSTCODE_RE, normalise_postcode

MAX_INT = 2**31 - 1  # the largest value an INTEGER column holds on PostgreSQL
EARLIEST, LATEST = date(1900, 1, 1), date(2199, 12, 31)
MAX_PENCE = 1_000_000_000  # £10 million: far above any grant, far below the integer column's limit
# C0 controls except tab, newline and carriage return; DEL; the C1 controls.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def sane_value(form, field) -> None:
    """Refuse what no field of this app can store or use, whatever the field's own rules (when those have
    already refused it, their message says enough)."""
    if field.errors:
        return
    # Python reads other scripts' digits as numbers too ("٣" is 3): a number is typed with the digits 0 to 9.
    if isinstance(field, IntegerField | DecimalField | FloatField) and not all(
        str(raw).isascii() for raw in field.raw_data or []
    ):
        raise ValidationError("Type the number with the digits 0 to 9")
    values = field.data if isinstance(field.data, list | tuple) else [field.data]
    for value in values:
        if isinstance(value, str) and CONTROL.search(value):
            raise ValidationError("Remove the control characters (such as NUL) from this answer")
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT:
            raise ValidationError("Enter a smaller number")
        if isinstance(value, date) and not EARLIEST <= _day(value) <= LATEST:
            raise ValidationError(f"Enter a date between {EARLIEST.year} and {LATEST.year}")


def _day(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


# WTForms' own words for an answer it could not read, as sentences a person can act on: shown only when the
# field has no message of its own (a field with a range says that instead).
PLAIN_WORDS = {
    "Not a valid integer value.": "Enter a whole number, like 12",
    "Not a valid decimal value.": "Enter a number, like 12 or 12.5",
    "Not a valid float value.": "Enter a number, like 12 or 12.5",
}


class OneMessage:
    """Each field shows one message, its own validators' last: WTForms also keeps its generic words
    ("Not a valid integer value.") beside the field's own, and two messages for one answer only confuse.
    Where WTForms' words are the only message, they are put plainly (``PLAIN_WORDS``)."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)  # type: ignore[misc]
        for field in self:  # type: ignore[attr-defined]
            if len(field.errors) > 1 and all(isinstance(e, str) for e in field.errors):
                field.errors = field.errors[-1:]
            if field.errors and isinstance(field.errors, list) and isinstance(field.errors[0], str):
                field.errors = [PLAIN_WORDS.get(error, error) for error in field.errors]
        return valid


def error_items(form, extra: Sequence[dict[str, str]] = (), before: str | None = None) -> list[dict[str, str]]:
    """Every message of ``form`` for the error summary, each linked to its field, nested forms included
    (a budget line's amount links to that line's amount, not to the list as a whole). ``extra`` (messages of a
    part of the page that is not a field of the form) come just before the field named ``before``, where that part
    is on the page, or last."""
    items: list[dict[str, str]] = []
    for field in form:
        if field.name == before:
            items += [{"text": item["text"], "href": item["href"]} for item in extra]
            extra = ()
        if field.type == "CSRFTokenField":
            continue
        if field.type in ("FieldList", "FormField"):
            items += error_items(field)
        else:
            items += [{"text": error, "href": f"#{field.id}"} for error in field.errors]
    return items + [{"text": item["text"], "href": item["href"]} for item in extra]


class FromChoices:
    """Every value chosen is one of the field's choices (for multiple selects that validate nothing themselves)."""

    def __init__(self, message: str = "Choose from the list"):
        self.message = message

    def __call__(self, form, field) -> None:
        offered = {str(value) for value, _ in field.choices or []}
        # A value that could not even be read as a choice (an id too big for the column) is not one either.
        if field.process_errors or any(str(value) not in offered for value in field.data or []):
            raise ValidationError(self.message)


class RevealedBy:
    """A follow-up question shown under one answer of a radio (the NHS.UK conditional reveal), first of its
    validators: it is checked only when that answer is chosen. Otherwise nothing checks it (not even
    ``sane_value``) and it has no message: what was typed before another answer was chosen is hidden from the
    person, who could neither see nor mend it, and the services read it only with its answer. It is kept, to show
    again if they go back to that answer."""

    def __init__(self, radio: str, answer: str):
        self.radio, self.answer = radio, answer

    def __call__(self, form, field) -> None:
        if form[self.radio].data != self.answer:
            field.errors.clear()
            raise StopValidation()


class SaneMeta(DefaultMeta):
    """Runs ``sane_value`` on every field of every form (and sub-form) after the field's own validators."""

    def bind_field(self, form, unbound_field, options):
        field = super().bind_field(form, unbound_field, options)
        field.validators = [*field.validators, sane_value]
        return field


class PostedMeta(SaneMeta):
    """Forms read what a browser posts: form fields, and uploads only into file fields.

    Flask-WTF would also hand a text field an uploaded file of the same name, and read a JSON body as
    if it were the form; neither is anything this app's pages send, and both reached code expecting text.
    """

    def wrap_formdata(self, form, formdata):
        if formdata is not _Auto or not has_request_context() or request.method not in SUBMIT_METHODS:
            return super().wrap_formdata(form, formdata)
        uploads = {name for name, f in form._fields.items() if isinstance(f, FileField)}
        files = [(name, file) for name, file in request.files.items(multi=True) if name in uploads]
        return CombinedMultiDict((MultiDict(files), request.form)) if files else request.form


class BaseForm(OneMessage, FlaskForm):
    """The base of every form the app shows (CSRF from Flask-WTF, ``sane_value`` on every field)."""

    class Meta(PostedMeta, FlaskForm.Meta):
        pass


class SubForm(OneMessage, Form):
    """The base of forms nested in another with ``FormField`` (the outer form carries the CSRF token)."""

    class Meta(SaneMeta, Form.Meta):
        pass


class FilterForm(BaseForm):
    """A list's filters, read from the query string: a bad value is reported on the page and not applied."""

    class Meta:
        csrf = False

    def applied(self) -> dict:
        self.validate()
        return {name: f.data for name, f in self._fields.items() if not f.errors and f.data not in (None, "", [])}


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes; rendered with the NHS.UK checkboxes component in templates."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form) -> None:
        valid = {value for value, _ in self.choices}
        for value in self.data or []:
            if value not in valid:
                raise ValidationError("Choose from the list")


MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name} | {
    name.lower(): number for number, name in enumerate(calendar.month_abbr) if name
}
_NUMBER = re.compile(r"[0-9]{1,4}")  # ASCII digits only: int() would also read other scripts' digits
DATE_PARTS = ("day", "month", "year")


class DateInputField(Field):
    """A date typed in three boxes, Day, Month and Year (the NHS.UK date input; forms.html's ``date_input``),
    posted as ``<name>-day``, ``<name>-month`` and ``<name>-year``. A month may also be typed as its name
    ("March", "mar"). One value under the field's own name in the form YYYY-MM-DD is read too, as a
    script would post it.

    Each mistake gets its own sentence ("31 February 2026 is not a real date..."), and ``error_parts``
    says which boxes to mark. ``parts`` holds what was typed, to show it again.
    """

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.parts: dict[str, str] = dict.fromkeys(DATE_PARTS, "")
        self.error_parts: tuple[str, ...] = DATE_PARTS

    def process(self, formdata, data=unset_value, extra_filters=None) -> None:
        self._formdata = formdata
        super().process(formdata, data, extra_filters)

    def process_data(self, value) -> None:
        self.data = value
        if isinstance(value, date):
            self.parts = {"day": str(value.day), "month": str(value.month), "year": str(value.year)}

    def process_formdata(self, valuelist) -> None:
        names = {part: f"{self.name}-{part}" for part in DATE_PARTS}
        if any(name in self._formdata for name in names.values()):
            self.parts = {part: str(self._formdata.get(name) or "").strip()[:20] for part, name in names.items()}
            self.raw_data = [" ".join(v for v in self.parts.values() if v)]
            self.data = self._from_parts() if self.raw_data[0] else None
        elif valuelist:
            self.data = None
            if text := str(valuelist[0] or "").strip():
                self.process_data(_iso_day(text))

    def _refuse(self, message: str, *parts: str) -> None:
        self.error_parts = parts or DATE_PARTS
        raise ValueError(message)

    def _from_parts(self) -> date:
        if missing := [part for part in DATE_PARTS if not self.parts[part]]:
            self._refuse(f"The date must include a {' and a '.join(missing)}", *missing)
        numbers = {part: _number(self.parts[part]) for part in DATE_PARTS}
        numbers["month"] = MONTHS.get(self.parts["month"].lower(), numbers["month"])
        if wrong := [part for part, value in numbers.items() if value is None]:
            self._refuse("Enter the date as numbers, for example 15 3 2026", *wrong)
        day, month, year = (numbers[part] or 0 for part in DATE_PARTS)
        if len(self.parts["year"]) != 4:
            self._refuse("The year must be 4 numbers, for example 2026", "year")
        if not EARLIEST.year <= year <= LATEST.year:
            self._refuse(f"Enter a year between {EARLIEST.year} and {LATEST.year}", "year")
        if not 1 <= month <= 12:
            self._refuse("The month must be a number from 1 to 12", "month")
        if not 1 <= day <= 31:
            self._refuse("The day must be a number from 1 to 31", "day")
        if day > (length := calendar.monthrange(year, month)[1]):
            name = calendar.month_name[month]
            self._refuse(f"{day} {name} {year} is not a real date: {name} {year} has {length} days", "day")
        return date(year, month, day)


def _number(text: str) -> int | None:
    return int(text) if _NUMBER.fullmatch(text) else None


def _iso_day(text: str) -> date:
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise ValueError("Enter a real date, for example 15 3 2026")


# ---- Parsers for form fields and query strings --------------------------------------------------


def db_id(value) -> int:
    """An id typed or posted, as a database key; ``ValueError`` (which WTForms and ``args.get`` treat as
    invalid) for anything else, including numbers too big for the column."""
    number = int(value)
    if not 0 < number <= MAX_INT:
        raise ValueError("Not a valid choice")
    return number


def optional_id(value) -> int | None:
    """``db_id`` for a query string: None when absent or not an id."""
    try:
        return db_id(value)
    except (TypeError, ValueError):
        return None


def parse_day(value: str | None) -> date | None:
    """A date typed in a query string (YYYY-MM-DD), or None when empty; ``ValueError`` when not a real
    date in the range the app handles."""
    text = (value or "").strip()
    if not text:
        return None
    day = date.fromisoformat(text)
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"Enter a date between {EARLIEST.year} and {LATEST.year}")
    return day


def parse_pounds(text: str | None) -> int | None:
    """'1,300', '£1300.5' or '1300.50' to pence; None when it is not an amount of money up to £10 million."""
    cleaned = (text or "").strip().replace(",", "").replace("£", "").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not value.is_finite() or not 0 <= value <= MAX_PENCE // 100 or value != value.quantize(Decimal("0.01")):
        return None
    return int(value * 100)


class Money:
    """An amount in pounds (held in pence), up to £10 million."""

    def __init__(self, message: str = "Enter an amount in pounds, like 1300 or 1300.50"):
        self.message = message

    def __call__(self, form, field) -> None:
        if (field.data or "").strip() and parse_pounds(field.data) is None:
            raise ValidationError(f"{self.message}, up to £{MAX_PENCE // 100:,}")


def search_text(value: str | None, limit: int = 100) -> str:
    """What was typed into a list's search or filter box, bounded (SQLite refuses a LIKE pattern over
    50,000 characters; nobody searches with more than a line) and without control characters."""
    return CONTROL.sub("", (value or "").strip())[:limit]


class ConfirmForm(BaseForm):
    """A button that needs nothing but the CSRF token."""


class UKPostcode:
    """A real UK postcode, written the usual way (upper case, one space)."""

    def __call__(self, form: BaseForm, field: Field) -> None:
        if not POSTCODE_RE.match(re.sub(r"\s+", "", field.data or "").upper()):
            raise ValidationError("Enter a real UK postcode, like M1 1AE")
        field.data = normalise_postcode(field.data)
