from flask_babel import lazy_gettext as _l
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length

from hsbtrack.forms import (
    BooleanField,
    FlaskForm,
    GovCheckboxInput,
    GovPasswordInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextInput,
    PasswordField,
    RadioField,
    StringField,
    SubmitField,
)


class LoginForm(FlaskForm):
    email = StringField(_l("Email address"), widget=GovTextInput(),
                        validators=[DataRequired(_l("Enter your email address"))])
    password = PasswordField(_l("Password"), widget=GovPasswordInput(),
                             validators=[DataRequired(_l("Enter your password"))])
    submit = SubmitField(_l("Sign in"), widget=GovSubmitInput())


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), widget=GovPasswordInput(),
                                     validators=[DataRequired(_l("Enter your current password"))])
    password = PasswordField(_l("New password"), widget=GovPasswordInput(),
                             description=_l("At least 12 characters. A few unrelated words work well."),
                             validators=[DataRequired(_l("Enter a new password"))])
    confirm = PasswordField(_l("Confirm new password"), widget=GovPasswordInput(),
                            validators=[EqualTo("password", _l("The passwords do not match"))])
    submit = SubmitField(_l("Change password"), widget=GovSubmitInput())


class SetPasswordForm(FlaskForm):
    name = StringField(_l("Your name"), widget=GovTextInput(), validators=[Length(max=200)])
    password = PasswordField(_l("Choose a password"), widget=GovPasswordInput(),
                             description=_l("At least 12 characters. A few unrelated words work well."),
                             validators=[DataRequired(_l("Enter a password"))])
    confirm = PasswordField(_l("Confirm password"), widget=GovPasswordInput(),
                            validators=[EqualTo("password", _l("The passwords do not match"))])
    submit = SubmitField(_l("Save password"), widget=GovSubmitInput())


class ResetRequestForm(FlaskForm):
    email = StringField(_l("Email address"), widget=GovTextInput(),
                        validators=[DataRequired(_l("Enter your email address")),
                                    Email(_l("Enter an email address in the correct format, like name@example.org"))])
    submit = SubmitField(_l("Send reset link"), widget=GovSubmitInput())


class PreferencesForm(FlaskForm):
    name = StringField(_l("Name"), widget=GovTextInput(), validators=[Length(max=200)])
    locale = RadioField(_l("Language"), widget=GovRadioInput(), choices=[("en", "English"), ("cy", "Cymraeg")],
                        validators=[InputRequired(_l("Choose a language"))])
    email_notifications = BooleanField(_l("Send me reminders by email"), widget=GovCheckboxInput())
    digest_only = BooleanField(_l("Only send a weekly digest"), widget=GovCheckboxInput())
    submit = SubmitField(_l("Save preferences"), widget=GovSubmitInput())


class TokenForm(FlaskForm):
    name = StringField(_l("What the token is for"), widget=GovTextInput(),
                       validators=[DataRequired(_l("Say what the token is for")), Length(max=100)])
    # choices (30/60/90 days, up to HSBTRACK_API_TOKEN_DAYS) and the default are set by the view
    days = RadioField(_l("When the token expires"), widget=GovRadioInput(), coerce=int,
                      validators=[DataRequired(_l("Choose when the token expires"))])
    submit = SubmitField(_l("Create API token"), widget=GovSubmitInput())


class TwoFactorCodeForm(FlaskForm):
    """The second step of signing in: a code from the app, or a recovery code."""

    code = StringField(_l("Code"), widget=GovTextInput(),
                       description=_l("The 6-digit code your authenticator app shows now, or one of your recovery codes"),
                       validators=[DataRequired(_l("Enter the code from your authenticator app")), Length(max=40)])
    submit = SubmitField(_l("Continue"), widget=GovSubmitInput())


class TwoFactorSetupForm(FlaskForm):
    code = StringField(_l("Code from the app"), widget=GovTextInput(),
                       description=_l("Enter the 6-digit code the app shows for hsbtrack, to check it is set up"),
                       validators=[DataRequired(_l("Enter the 6-digit code from your authenticator app")), Length(max=20)])
    submit = SubmitField(_l("Turn on two-factor authentication"), widget=GovSubmitInput())
