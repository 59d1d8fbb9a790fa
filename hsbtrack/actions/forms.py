"""Forms of the action-plan pages.

The services check every rule (known statements, an owner with a role in the area, a known status,
priority and agency), so choice fields accept any submitted value (``validate_choice=False``) and
the service's message is shown next to the field. Only the date is parsed here: the GOV.UK date
input posts three boxes (day, month, year) that the service could not read.
"""

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from govuk_frontend_wtf.gov_form_base import GovFormBase
from wtforms import Field, HiddenField, SelectMultipleField
from wtforms.validators import Length, StopValidation

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


def owner_label(user) -> str:
    return f"{user.name} ({user.email})" if user.name else user.email


class AcceptFindingsForm(FlaskForm):
    codes = SelectMultipleField(_l("Findings to turn into actions"), validate_choice=False)
    grouping = RadioField(_l("How many actions?"), widget=GovRadioInput(), validate_choice=False, default="each",
                          choices=[("each", _l("One action per finding")),
                                   ("merge", _l("Merge the chosen findings into one action"))])
    title = StringField(_l("Title of the merged action (optional)"), widget=GovTextInput(),
                        description=_l("Used only when you merge the findings. Left blank, the merged action takes "
                                       "the draft title of its first finding."))
    owner = SelectField(_l("Owner"), widget=GovSelect(), validate_choice=False,
                        description=_l("Someone with a role in the area. They see the actions under “My actions”."))
    due_on = DayMonthYearField(_l("Due date"), required_message=_l("Enter the due date"),
                               description=_l("For example, 31 3 2027"))
    priority = RadioField(_l("Priority"), widget=GovRadioInput(), validate_choice=False, default="medium")
    agency_id = SelectField(_l("Owning agency (optional)"), widget=GovSelect(), validate_choice=False)
    description = TextAreaField(_l("Description (optional)"), widget=GovTextArea(),
                                description=_l("Added to every action created"))
    submit = SubmitField(_l("Create the actions"), widget=GovSubmitInput())


class DismissFindingForm(FlaskForm):
    code = HiddenField()
    reason = TextAreaField(_l("Why does this finding need no action?"), widget=GovTextArea(),
                           validators=[Length(max=5000, message=_l("The reason must be 5000 characters or fewer"))])
    submit = SubmitField(_l("Dismiss the finding"), widget=GovSubmitInput())


class ActionForm(FlaskForm):
    """Everything about an action: for users who may edit actions (the board)."""

    title = StringField(_l("Title"), widget=GovTextInput())
    description = TextAreaField(_l("Description (optional)"), widget=GovTextArea())
    statements = SelectMultipleField(_l("Statements this action should improve"), validate_choice=False)
    owner = SelectField(_l("Owner"), widget=GovSelect(), validate_choice=False)
    owner_email = StringField(_l("Or invite a new owner by email"), widget=GovTextInput(),
                              description=_l("They get the viewer role in the area and an email with a link to "
                                             "choose their password. Leave blank to use the owner above."))
    agency_id = SelectField(_l("Owning agency (optional)"), widget=GovSelect(), validate_choice=False)
    due_on = DayMonthYearField(_l("Due date"), required_message=_l("Enter the due date"),
                               description=_l("For example, 31 3 2027"))
    priority = RadioField(_l("Priority"), widget=GovRadioInput(), validate_choice=False, default="medium")
    status = RadioField(_l("Status"), widget=GovRadioInput(), validate_choice=False, default="not_started")
    progress = StringField(_l("Progress (%)"), widget=GovTextInput(), description=_l("A whole number from 0 to 100"))
    completion_evidence = TextAreaField(_l("Completion evidence"), widget=GovTextArea(),
                                        description=_l("What shows the action is done"))
    version = HiddenField()
    submit = SubmitField(_l("Save the action"), widget=GovSubmitInput())


class OwnerUpdateForm(FlaskForm):
    """What an action's owner may change: status, progress and completion evidence."""

    status = RadioField(_l("Status"), widget=GovRadioInput(), validate_choice=False)
    progress = StringField(_l("Progress (%)"), widget=GovTextInput(), description=_l("A whole number from 0 to 100"))
    completion_evidence = TextAreaField(_l("Completion evidence"), widget=GovTextArea(),
                                        description=_l("What shows the action is done"))
    version = HiddenField()
    submit = SubmitField(_l("Save the action"), widget=GovSubmitInput())


class ProgressUpdateForm(FlaskForm):
    note = TextAreaField(_l("What has happened?"), widget=GovTextArea())
    progress = StringField(_l("Progress now (%, optional)"), widget=GovTextInput(),
                           description=_l("A whole number from 0 to 100"))
    return_to = HiddenField()
    submit = SubmitField(_l("Post the update"), widget=GovSubmitInput())
