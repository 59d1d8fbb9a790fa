"""Form building blocks shared by features: GOV.UK widgets on WTForms fields."""

from flask_wtf import FlaskForm
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
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)

__all__ = [
    "FlaskForm", "GovCheckboxInput", "GovPasswordInput", "GovRadioInput", "GovSelect", "GovSubmitInput",
    "GovTextArea", "GovTextInput", "BooleanField", "PasswordField", "RadioField", "SelectField", "StringField",
    "SubmitField", "TextAreaField", "apply_service_errors",
]


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
