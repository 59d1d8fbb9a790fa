"""Training forms (GOV.UK widgets)."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import GovFileInput
from wtforms import DecimalField, IntegerField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from hsbtrack.forms import (
    DayMonthYearField,
    FlaskForm,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
    SelectField,
    StringField,
    SubmitField,
)


class CourseForm(FlaskForm):
    title = StringField(_l("Course title"), widget=GovTextInput(),
                        validators=[DataRequired(_l("Enter the course title")), Length(max=200)])
    tier = SelectField(_l("Tier"), coerce=int, widget=GovSelect(), validators=[InputRequired(_l("Choose a tier"))])
    provider = StringField(_l("Provider (optional)"), widget=GovTextInput(), validators=[Optional(), Length(max=200)])
    length_hours = DecimalField(_l("Length in hours (optional)"), widget=GovTextInput(), places=None,
                                validators=[Optional(), NumberRange(min=0.25, max=1000,
                                                                    message=_l("Enter a length from 0.25 to 1,000 hours"))])
    refresher_months = IntegerField(_l("Refresher period in months (optional)"), widget=GovTextInput(),
                                    description=_l("Leave empty if the training does not need refreshing"),
                                    validators=[Optional(), NumberRange(min=1, max=120,
                                                                        message=_l("Enter a whole number from 1 to 120"))])
    submit = SubmitField(_l("Add course"), widget=GovSubmitInput())


class PersonForm(FlaskForm):
    name = StringField(_l("Full name"), widget=GovTextInput(),
                       validators=[DataRequired(_l("Enter the person’s name")), Length(max=200)])
    email = StringField(_l("Work email (optional)"), widget=GovTextInput(), validators=[Optional(), Length(max=254)])
    agency_id = SelectField(_l("Agency"), coerce=int, widget=GovSelect(),
                            validators=[InputRequired(_l("Choose an agency"))])
    discipline = SelectField(_l("Discipline"), widget=GovSelect(), validators=[InputRequired(_l("Choose a discipline"))])
    submit = SubmitField(_l("Add person"), widget=GovSubmitInput())


class LeftForm(FlaskForm):
    person_id = SelectField(_l("Who left?"), coerce=int, widget=GovSelect(),
                            validators=[InputRequired(_l("Choose a person"))])
    left_on = DayMonthYearField(_l("The day they left"), description=_l("For example, 27 3 2026. Leave it empty if "
                                                                        "they did not leave after all"))
    submit = SubmitField(_l("Save"), widget=GovSubmitInput())


class SessionForm(FlaskForm):
    """The outcome of each person is a plain select named ``outcome-<person id>`` in the template."""

    course_id = SelectField(_l("Course"), coerce=int, widget=GovSelect(),
                            validators=[InputRequired(_l("Choose a course"))])
    held_on = DayMonthYearField(_l("Date held"), description=_l("For example, 27 3 2026"),
                                required_message=_l("Enter the date the session was held"))
    submit = SubmitField(_l("Record session"), widget=GovSubmitInput())


class SubmitOnlyForm(FlaskForm):
    submit = SubmitField(_l("Save"), widget=GovSubmitInput())


class UploadForm(FlaskForm):
    file = FileField(_l("Upload a CSV or XLSX file"), widget=GovFileInput(),
                     validators=[FileRequired(_l("Choose a file to upload"))],
                     description=_l("One row per person and course, with a header row. Exports of training "
                                    "systems work: you choose which column holds what in the next step."))
    submit = SubmitField(_l("Upload and continue"), widget=GovSubmitInput())


def mapping_form(headers, fields, required):
    """A form with one select per field, choices being the file's columns."""

    class MappingForm(FlaskForm):
        submit = SubmitField(_l("Check the rows"), widget=GovSubmitInput())

    choices = [("", _l("Not in this file"))] + [(str(i), h or f"#{i + 1}") for i, h in enumerate(headers)]
    for name, label in fields.items():
        validators = [InputRequired(_l("Choose the column that holds this"))] if name in required else [Optional()]
        setattr(MappingForm, f"col_{name}", SelectField(label, choices=choices, widget=GovSelect(),
                                                        validators=validators))
    return MappingForm


class ImpactItemForm(FlaskForm):
    subscale = SelectField(_l("Subscale"), widget=GovSelect(), choices=[
        ("attitudes", _l("Professional attitudes")), ("knowledge", _l("Knowledge and awareness")),
        ("self_efficacy", _l("Self-efficacy"))], validators=[InputRequired(_l("Choose a subscale"))])
    text = StringField(_l("Statement people rate from 1 (strongly disagree) to 5 (strongly agree)"),
                       widget=GovTextInput(), validators=[DataRequired(_l("Enter the statement people rate")),
                                                          Length(max=300)])
    submit = SubmitField(_l("Add item"), widget=GovSubmitInput())


class ImpactResponseForm(FlaskForm):
    """The ratings are radios named ``item-<id>`` in the template."""

    course_id = SelectField(_l("Course"), coerce=int, widget=GovSelect(), validators=[InputRequired(_l("Choose a course"))])
    person_id = SelectField(_l("Person"), coerce=int, widget=GovSelect(), validators=[InputRequired(_l("Choose a person"))])
    phase = SelectField(_l("When were the answers given?"), widget=GovSelect(),
                        choices=[("pre", _l("Before the course")), ("post", _l("After the course"))],
                        validators=[InputRequired(_l("Choose before or after the course"))])
    answered_on = DayMonthYearField(_l("Date answered"), description=_l("For example, 27 3 2026"),
                                    required_message=_l("Enter the date of the answers"))
    submit = SubmitField(_l("Save answers"), widget=GovSubmitInput())


class SupervisionForm(FlaskForm):
    person_id = SelectField(_l("Person"), coerce=int, widget=GovSelect(), validators=[InputRequired(_l("Choose a person"))])
    held_on = DayMonthYearField(_l("Date of the supervision"), description=_l("For example, 27 3 2026"),
                                required_message=_l("Enter the date of the supervision"))
    kind = SelectField(_l("Kind"), widget=GovSelect(), choices=[("individual", _l("Individual")), ("group", _l("Group"))],
                       validators=[InputRequired(_l("Choose individual or group supervision"))])
    submit = SubmitField(_l("Log supervision"), widget=GovSubmitInput())
