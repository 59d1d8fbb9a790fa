"""Forms for CARM pages (GOV.UK widgets). Rules live in services; these only parse."""

from flask_babel import lazy_gettext as _l
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput
from wtforms import IntegerField, SelectMultipleField
from wtforms.validators import NumberRange, Optional

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

from . import services


def _choices(mapping):
    return [(key, label) for key, label in mapping.items()]


class CaseForm(FlaskForm):
    reference = StringField(_l("Case reference"), widget=GovTextInput(),
                            description=_l("A reference only: never the child's name or address"))
    age_at_referral = StringField(_l("Age at referral"), widget=GovTextInput(),
                                  description=_l("CARM covers ages 12 to 17"))
    age_reason = TextAreaField(_l("Reason for including a child outside 12 to 17 (if so)"), widget=GovTextArea())
    gender = RadioField(_l("Gender"), widget=GovRadioInput(), validate_choice=False,
                        choices=_choices(services.GENDERS))
    learning_needs = BooleanField(_l("Learning disability or neurodevelopmental needs"), widget=GovCheckboxInput())
    hackett = RadioField(_l("Behaviour on Hackett's continuum"), widget=GovRadioInput(), validate_choice=False,
                         choices=_choices(services.HACKETT))
    setting = RadioField(_l("Setting"), widget=GovRadioInput(), validate_choice=False,
                         choices=_choices(services.SETTINGS))
    lead_professional_id = SelectField(_l("Lead professional"), widget=GovSelect(), validate_choice=False)
    ird_on = DayMonthYearField(_l("Date of the inter-agency referral discussion (IRD), if there was one"),
                               description=_l("For example, 27 3 2026"))
    ird_outcome = TextAreaField(_l("Outcome of the IRD"), widget=GovTextArea())
    referral_source = StringField(_l("Referred by"), widget=GovTextInput(),
                                  description=_l("The agency or service, for example Police Scotland"))
    referral_on = DayMonthYearField(_l("Date of referral"), required_message=_l("Enter the date of referral"),
                                    description=_l("For example, 27 3 2026"))
    submit = SubmitField(_l("Save the case"), widget=GovSubmitInput())


class StageForm(FlaskForm):
    stage = RadioField(_l("Move the case to"), widget=GovRadioInput(), validate_choice=False)
    on = DayMonthYearField(_l("Date"), required_message=_l("Enter the date"), description=_l("For example, 27 3 2026"))
    reason = RadioField(_l("Reason for closing (only when closing)"), widget=GovRadioInput(), validate_choice=False,
                        choices=_choices(services.CLOSURE_REASONS))
    note = TextAreaField(_l("Note (optional)"), widget=GovTextArea())
    submit = SubmitField(_l("Move the case on"), widget=GovSubmitInput())


class MeetingForm(FlaskForm):
    held_on = DayMonthYearField(_l("Date of the meeting"), required_message=_l("Enter the date of the meeting"),
                                description=_l("For example, 27 3 2026"))
    agencies = SelectMultipleField(_l("Agencies that attended"), widget=GovCheckboxesInput(), validate_choice=False,
                                   choices=_choices(services.AGENCIES),
                                   description=_l("Police, health, social work and education are core members"))
    other_attendees = TextAreaField(_l("Other attendees (roles, not names of the family)"), widget=GovTextArea())
    child_participation = RadioField(_l("The child's participation"), widget=GovRadioInput(), validate_choice=False,
                                     choices=_choices(services.PARTICIPATION))
    parents_participation = RadioField(_l("Parents' or carers' participation"), widget=GovRadioInput(),
                                       validate_choice=False, choices=_choices(services.PARTICIPATION))
    decisions = TextAreaField(_l("Decisions"), widget=GovTextArea())
    submit = SubmitField(_l("Save the meeting"), widget=GovSubmitInput())


class ClassificationForm(FlaskForm):
    level = RadioField(_l("Risk classification"), widget=GovRadioInput(), validate_choice=False,
                       choices=_choices(services.LEVELS))
    on = DayMonthYearField(_l("Date"), required_message=_l("Enter the date"), description=_l("For example, 27 3 2026"))
    reason = TextAreaField(_l("Reason"), widget=GovTextArea())
    submit = SubmitField(_l("Save the classification"), widget=GovSubmitInput())


class PlanActionForm(FlaskForm):
    section = RadioField(_l("Section of the risk management plan"), widget=GovRadioInput(), validate_choice=False,
                         choices=[(k, v[0]) for k, v in services.PLAN_SECTIONS.items()])
    title = StringField(_l("Action"), widget=GovTextInput())
    owner = SelectField(_l("Owner"), widget=GovSelect(), validate_choice=False)
    due_on = DayMonthYearField(_l("Due date"), required_message=_l("Enter the due date"),
                               description=_l("For example, 27 3 2026"))
    submit = SubmitField(_l("Add the action"), widget=GovSubmitInput())


class ReviewSettingsForm(FlaskForm):
    """Review intervals by risk classification (days); stored in the plugin's area settings."""

    review_days_aware = IntegerField(_l("Review interval for Aware (days)"), widget=GovTextInput(),
                                     default=services.DEFAULT_REVIEW_DAYS["aware"],
                                     validators=[Optional(), NumberRange(min=1, max=365, message=_l("Enter a number from 1 to 365"))])
    review_days_attentive = IntegerField(_l("Review interval for Attentive (days)"), widget=GovTextInput(),
                                         default=services.DEFAULT_REVIEW_DAYS["attentive"],
                                         validators=[Optional(), NumberRange(min=1, max=365, message=_l("Enter a number from 1 to 365"))])
    review_days_active_alert = IntegerField(_l("Review interval for Active and Alert (days)"), widget=GovTextInput(),
                                            default=services.DEFAULT_REVIEW_DAYS["active_alert"],
                                            validators=[Optional(), NumberRange(min=1, max=365, message=_l("Enter a number from 1 to 365"))])
    submit = SubmitField(_l("Save"), widget=GovSubmitInput())
