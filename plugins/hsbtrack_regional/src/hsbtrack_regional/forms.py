from flask_babel import lazy_gettext as _l
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput
from wtforms import SelectMultipleField

from hsbtrack.forms import (
    BooleanField,
    DayMonthYearField,
    FlaskForm,
    GovCheckboxInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)

DATE_HINT = _l("For example, 31 3 2027")


class PresetForm(FlaskForm):
    submit = SubmitField(_l("Create the North Wales region"), widget=GovSubmitInput())


class ShareScoresForm(FlaskForm):
    share_scores = BooleanField(
        _l("The authorities of this region see each other's agreed scores"), widget=GovCheckboxInput(),
        description=_l("Off: each authority sees beside its own scores only the median of the others and how many "
                       "of them are in each score band, and only when at least three others have scores, so that "
                       "no authority can work out another's score."))
    submit = SubmitField(_l("Save the sharing choice"), widget=GovSubmitInput())


class OpenRoundForm(FlaskForm):
    framework = SelectField(_l("Framework"), widget=GovSelect())
    title = StringField(_l("Title (optional)"), widget=GovTextInput())
    submit = SubmitField(_l("Open the regional round"), widget=GovSubmitInput())


# The date fields: a form wrong only in these still goes to the service, so that every other problem is
# shown at once beside the date's own message (GOV.UK: every error at once).
DATE_FIELDS = frozenset({"due_on", "start_on", "review_on"})


class RegionalActionForm(FlaskForm):
    title = StringField(_l("Title"), widget=GovTextInput())
    description = TextAreaField(_l("Description (optional)"), widget=GovTextArea())
    statements = StringField(_l("Statements"), widget=GovTextInput(),
                             description=_l("Statement codes separated by commas, for example 1.7, 5.4"))
    due_on = DayMonthYearField(_l("Due date"), required_message=_l("Enter the due date"), description=DATE_HINT)
    record_overdue = BooleanField(_l("This action is being recorded late (from an earlier plan)"),
                                  widget=GovCheckboxInput())
    area_ids = SelectMultipleField(_l("Assign to authorities"), widget=GovCheckboxesInput(), coerce=str)
    submit = SubmitField(_l("Add the regional action"), widget=GovSubmitInput())


class ArrangementForm(FlaskForm):
    arrangement = StringField(_l("Arrangement"), widget=GovTextInput())
    service = StringField(_l("Service commissioned"), widget=GovTextInput())
    area_ids = SelectMultipleField(_l("Partner authorities"), widget=GovCheckboxesInput(), coerce=str)
    cost_share = StringField(_l("Cost share (optional)"), widget=GovTextInput(),
                             description=_l("For example, equal sixths, or by population"))
    start_on = DayMonthYearField(_l("Start date"), required_message=_l("Enter the start date"),
                                 description=DATE_HINT)
    review_on = DayMonthYearField(_l("Review date"), required_message=_l("Enter the review date"),
                                  description=DATE_HINT)
    submit = SubmitField(_l("Add the arrangement"), widget=GovSubmitInput())
