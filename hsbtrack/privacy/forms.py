from flask_babel import lazy_gettext as _l
from wtforms.validators import DataRequired, Length

from hsbtrack.forms import (
    BooleanField,
    FlaskForm,
    GovCheckboxInput,
    GovSubmitInput,
    GovTextArea,
    SubmitField,
    TextAreaField,
)


class HoldForm(FlaskForm):
    reason = TextAreaField(_l("Why must this person not be erased?"), widget=GovTextArea(),
                           validators=[DataRequired(_l("Say why this person must not be erased")), Length(max=2000)],
                           description=_l("For example: litigation, or a serious case review that needs their "
                                          "records"))
    submit = SubmitField(_l("Set the hold"), widget=GovSubmitInput())


class EraseForm(FlaskForm):
    reason = TextAreaField(_l("Why is this person erased?"), widget=GovTextArea(),
                           validators=[DataRequired(_l("Say why this person is erased (never their name)")),
                                       Length(max=2000)],
                           description=_l("It is kept in the privacy log and the history. Do not write their name: "
                                          "for example, “Left the council in 2024; asked to be erased”."))
    confirm = BooleanField(_l("I understand that this cannot be undone"), widget=GovCheckboxInput(),
                           validators=[DataRequired(_l("Confirm that you understand this cannot be undone"))])
    submit = SubmitField(_l("Erase this person"), widget=GovSubmitInput())
