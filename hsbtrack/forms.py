"""Form building blocks shared by features: GOV.UK widgets on WTForms fields."""

from datetime import date

from flask_babel import gettext as _
from flask_wtf import FlaskForm as _FlaskForm
from govuk_frontend_wtf.gov_form_base import GovFormBase
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovPasswordInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    Field,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import StopValidation

from hsbtrack.errors import nul_message

__all__ = [
    "FlaskForm", "GovCheckboxInput", "GovPasswordInput", "GovRadioInput", "GovSelect", "GovSubmitInput",
    "GovTextArea", "GovTextInput", "BooleanField", "PasswordField", "RadioField", "SelectField", "StringField",
    "SubmitField", "TextAreaField", "apply_service_errors", "DayMonthYearField", "GovDayMonthYearInput",
]


class FlaskForm(_FlaskForm):
    """Flask-WTF's form, refusing the NUL character in any field: PostgreSQL text cannot hold it (it was a
    server error there), and no person types one. The message sits at the field, like any other, and the
    form is not valid, so nothing is saved. (The API refuses it the same way: hsbtrack.api.auth.)"""

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators=extra_validators)
        for field in self._fields.values():
            if any(isinstance(value, str) and "\x00" in value for value in field.raw_data or ()):
                field.errors = [*list(field.errors or []), nul_message()]
                valid = False
        return valid


def apply_service_errors(form, error) -> None:
    """Show a :class:`hsbtrack.errors.ServiceError` next to the fields it names."""
    placed = False
    for name, message in error.fields.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [*list(field.errors or []), message]
            placed = True
    if not placed:
        first = next(iter(form._fields.values()))
        first.errors = [*list(first.errors or []), error.message]


class GovDayMonthYearInput(GovFormBase):
    """The GOV.UK date input (day, month, year boxes) with translated labels; copes with any posted data."""

    template = "govuk_frontend_wtf/date.html"

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        return super().__call__(field, **kwargs)

    def map_gov_params(self, field, **kwargs):
        params = super().map_gov_params(field, **kwargs)
        params.pop("value", None)
        params.setdefault("fieldset", {"legend": {"text": field.label.text, "classes": "govuk-fieldset__legend--s"}})
        error = " govuk-input--error" if field.errors else ""
        parts = field.parts()
        params["items"] = [
            {"label": _("Day"), "id": f"{field.id}-day", "name": field.name, "value": parts[0],
             "classes": f"govuk-input--width-2{error}", "attributes": {"inputmode": "numeric"}},
            {"label": _("Month"), "id": f"{field.id}-month", "name": field.name, "value": parts[1],
             "classes": f"govuk-input--width-2{error}", "attributes": {"inputmode": "numeric"}},
            {"label": _("Year"), "id": f"{field.id}-year", "name": field.name, "value": parts[2],
             "classes": f"govuk-input--width-4{error}", "attributes": {"inputmode": "numeric"}},
        ]
        return params


class DayMonthYearField(Field):
    """A date typed as day, month and year (three inputs with the same name)."""

    widget = GovDayMonthYearInput()

    def __init__(self, label=None, validators=None, required_message=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.required_message = required_message
        self._raw_parts = None

    def parts(self) -> list[str]:
        if self._raw_parts is not None:
            return self._raw_parts
        if isinstance(self.data, date):
            return [str(self.data.day), str(self.data.month), str(self.data.year)]
        return ["", "", ""]

    def process_formdata(self, valuelist):
        parts = [str(v or "").strip() for v in list(valuelist)[:3]]
        parts += [""] * (3 - len(parts))
        self._raw_parts = parts
        self.data = None
        if not any(parts):
            return
        day, month, year = parts
        message = _("%(label)s must be a real date, like 31 3 2027", label=self.label.text)
        if not all(p.isdigit() for p in parts) or len(year) != 4:
            raise ValueError(message)
        try:
            self.data = date(int(year), int(month), int(day))
        except ValueError:
            raise ValueError(message) from None

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()  # the "not a real date" message is already there
        if self.data is None and self.required_message:
            raise StopValidation(str(self.required_message))
