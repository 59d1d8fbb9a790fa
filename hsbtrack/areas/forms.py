from flask_babel import lazy_gettext as _l
from wtforms.validators import DataRequired, Length, Optional

from hsbtrack.areas.services import role_choices
from hsbtrack.forms import (
    FlaskForm,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
    SelectField,
    StringField,
    SubmitField,
)


def welsh_name_field():
    return StringField(_l("Name in Welsh (optional)"), widget=GovTextInput(),
                       description=_l("Shown on pages in Welsh, for example Ynys Môn for Anglesey"),
                       validators=[Length(max=200, message=_l("Name must be %(n)d characters or fewer", n=200))])


class NameForm(FlaskForm):
    name = StringField(_l("Name"), widget=GovTextInput(), validators=[DataRequired(_l("Enter a name")), Length(max=200)])
    name_cy = welsh_name_field()
    submit = SubmitField(_l("Add"), widget=GovSubmitInput())


class AreaForm(FlaskForm):
    name = StringField(_l("Name of the area"), widget=GovTextInput(),
                       description=_l("For example, the name of the local authority"),
                       validators=[DataRequired(_l("Enter a name")), Length(max=200)])
    name_cy = welsh_name_field()
    # validate_choice=False on selects: the services check the value and say what is wrong
    # ("Choose a region that exists") instead of WTForms' "Not a valid choice".
    region_id = SelectField(_l("Region"), widget=GovSelect(), validators=[Optional()], coerce=str,
                            validate_choice=False)
    submit = SubmitField(_l("Add area"), widget=GovSubmitInput())


class MemberForm(FlaskForm):
    email = StringField(_l("Email address"), widget=GovTextInput(),
                        validators=[DataRequired(_l("Enter an email address"))])
    name = StringField(_l("Name (optional)"), widget=GovTextInput(), validators=[Length(max=200)])
    role = SelectField(_l("Role"), widget=GovSelect(), validators=[DataRequired(_l("Choose a role"))],
                       validate_choice=False)
    agency_id = SelectField(_l("Agency"), widget=GovSelect(), validators=[Optional()],
                            description=_l("Agency leads score for this agency"), validate_choice=False)
    submit = SubmitField(_l("Add member"), widget=GovSubmitInput())


def role_select_choices(scope, include_admin=False):
    choices = [("", _l("Choose a role"))] + [(r.id, r.label) for r in role_choices(scope)]
    if include_admin:
        choices.append(("admin", _l("Administrator (whole install)")))
    return choices
