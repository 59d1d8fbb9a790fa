"""Forms of the schools plugin (GOV.UK widgets). Rating pages are built from the checklist, so
they use :class:`CsrfForm` for the token and the service validates the fields."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import GovFileInput
from wtforms.validators import InputRequired

from hsbtrack.forms import (
    FlaskForm,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)


class CsrfForm(FlaskForm):
    """Only the CSRF token: for buttons and pages whose fields come from the checklist."""


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file of schools"), widget=GovFileInput(),
                     description=_l("Columns: name, phase (secondary, further education or other), dsl_name, dsl_email. "
                                    "A school already listed is updated."))
    submit = SubmitField(_l("Import schools"), widget=GovSubmitInput())


class LeadForm(FlaskForm):
    email = StringField(_l("Email address of the school lead"), widget=GovTextInput(),
                        validators=[InputRequired(message=_l("Enter an email address"))])
    name = StringField(_l("Name (optional)"), widget=GovTextInput())
    submit = SubmitField(_l("Add school lead"), widget=GovSubmitInput())


class LocalItemForm(FlaskForm):
    checklist = RadioField(_l("Checklist"), widget=GovRadioInput(),
                           choices=[("school", _l("School self-assessment")), ("partnership", _l("Multi-agency checklist"))],
                           default="school")
    section = SelectField(_l("Area of the checklist"), widget=GovSelect(),
                          choices=[("structures", _l("Structures and systems")), ("prevention", _l("Prevention")),
                                   ("identification", _l("Identification")),
                                   ("response", _l("Response and intervention"))])
    text = TextAreaField(_l("Item"), widget=GovTextArea(),
                         description=_l("Write it as a statement a school can rate red, amber or green."))
    submit = SubmitField(_l("Add the item"), widget=GovSubmitInput())
