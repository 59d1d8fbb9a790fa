"""Forms of the yearly report pages: a new report (kind and period, with the GOV.UK date input) and the
narrative (one text box per section of the report's kind, made for the kind)."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField

from hsbtrack.forms import (
    DayMonthYearField,
    FlaskForm,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
    RadioField,
    StringField,
    SubmitField,
    TextAreaField,
)


class NewReportForm(FlaskForm):
    kind = RadioField(_l("Kind of report"), widget=GovRadioInput(), validate_choice=False)
    period_start = DayMonthYearField(_l("First day of the period"), required_message=_l("Enter the first day of the period"),
                                     description=_l("For example, 1 4 2026"))
    period_end = DayMonthYearField(_l("Last day of the period"), required_message=_l("Enter the last day of the period"),
                                   description=_l("For example, 31 3 2027"))
    submit = SubmitField(_l("Make the report"), widget=GovSubmitInput())


def field_name(key: str) -> str:
    return f"section_{key}"


def narrative_form(kind, formdata=None):
    """A form with a text box per section of ``kind`` (its heading as the label, its hint as the hint), then
    an optional note; ``version`` carries the version number the writer started from."""
    attributes = {}
    for section in kind.sections:  # (fields are ordered as they are made: the sections first)
        attributes[field_name(section.key)] = TextAreaField(section.heading, widget=GovTextArea(),
                                                            description=section.hint, render_kw={"rows": 10})
    attributes["note"] = StringField(_l("What changed in this version (optional)"), widget=GovTextInput())
    attributes["version"] = HiddenField()
    attributes["submit"] = SubmitField(_l("Save as a new version"), widget=GovSubmitInput())
    form_class = type("NarrativeForm", (FlaskForm,), attributes)
    return form_class() if formdata else form_class(formdata=None)
