"""Forms of the action-plan pages.

The services check every rule (known statements, an owner with a role in the area, a known status,
priority and agency), so choice fields accept any submitted value (``validate_choice=False``) and
the service's message is shown next to the field. Only the date is parsed here: the GOV.UK date
input posts three boxes (day, month, year) that the service could not read.
"""


from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import GovFileInput
from wtforms import HiddenField, SelectMultipleField
from wtforms.validators import Length

from hsbtrack.forms import (
    BooleanField,
    DayMonthYearField,
    FlaskForm,
    GovCheckboxInput,
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


def owner_label(user) -> str:
    if user.erased_at is not None:  # (UK GDPR erasure: "former member", never the placeholder's address)
        return user.display_name
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
    record_overdue = BooleanField(_l("These actions are being recorded late (from an earlier plan)"),
                                  widget=GovCheckboxInput())
    priority = RadioField(_l("Priority"), widget=GovRadioInput(), validate_choice=False, default="medium")
    agency_id = SelectField(_l("Owning agency (optional)"), widget=GovSelect(), validate_choice=False)
    description = TextAreaField(_l("Description (optional)"), widget=GovTextArea(),
                                description=_l("Added to every action created"))
    submit = SubmitField(_l("Create the actions"), widget=GovSubmitInput())

    # Errors of inputs that are not fields of the form (the title of each finding's action,
    # ``{input id: [message]}``): listed first in the error summary, as they come first on the page.
    extra_errors: dict | None = None

    @property
    def errors(self):
        return {**(self.extra_errors or {}), **super().errors}


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
    record_overdue = BooleanField(_l("This action is being recorded late (from an earlier plan)"),
                                  widget=GovCheckboxInput())
    priority = RadioField(_l("Priority"), widget=GovRadioInput(), validate_choice=False, default="medium")
    status = RadioField(_l("Status"), widget=GovRadioInput(), validate_choice=False, default="not_started")
    progress = StringField(_l("Progress (%)"), widget=GovTextInput(), description=_l("A whole number from 0 to 100"))
    completion_evidence = TextAreaField(_l("Completion evidence"), widget=GovTextArea(),
                                        description=_l("What shows the action is done. To mark it done, describe it here "
                                                       "or attach a completion document"))
    # a completion document counts as completion evidence (hsbtrack.actions.documents)
    completion_file = FileField(_l("Completion document (optional)"), widget=GovFileInput())
    completion_title = StringField(_l("Title of the completion document (optional)"), widget=GovTextInput(),
                                   description=_l("Left blank, the document takes the name of its file"))
    version = HiddenField()
    submit = SubmitField(_l("Save the action"), widget=GovSubmitInput())


class OwnerUpdateForm(FlaskForm):
    """What an action's owner may change: status, progress and completion evidence."""

    status = RadioField(_l("Status"), widget=GovRadioInput(), validate_choice=False)
    progress = StringField(_l("Progress (%)"), widget=GovTextInput(), description=_l("A whole number from 0 to 100"))
    completion_evidence = TextAreaField(_l("Completion evidence"), widget=GovTextArea(),
                                        description=_l("What shows the action is done. To mark it done, describe it here "
                                                       "or attach a completion document"))
    # a completion document counts as completion evidence (hsbtrack.actions.documents)
    completion_file = FileField(_l("Completion document (optional)"), widget=GovFileInput())
    completion_title = StringField(_l("Title of the completion document (optional)"), widget=GovTextInput(),
                                   description=_l("Left blank, the document takes the name of its file"))
    version = HiddenField()
    submit = SubmitField(_l("Save the action"), widget=GovSubmitInput())


class LinkFindingForm(FlaskForm):
    """“Add to this action”: a finding answered by an action already open on its statement."""

    code = HiddenField()
    action_id = HiddenField()


class ProgressUpdateForm(FlaskForm):
    note = TextAreaField(_l("What has happened?"), widget=GovTextArea())
    progress = StringField(_l("Progress now (%, optional)"), widget=GovTextInput(),
                           description=_l("A whole number from 0 to 100"))
    return_to = HiddenField()
    submit = SubmitField(_l("Post the update"), widget=GovSubmitInput())
