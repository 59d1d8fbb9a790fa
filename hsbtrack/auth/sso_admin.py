"""Administration of single sign-on: the sign-in providers, and who signs in through a provider only.
Administrators only (the rules: ``hsbtrack/auth/sso.py``)."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.validators import Length

from hsbtrack.areas.roles import Perm
from hsbtrack.auth import sso
from hsbtrack.auth.models import SignInProvider, User
from hsbtrack.errors import ServiceError
from hsbtrack.extensions import db
from hsbtrack.forms import (
    BooleanField,
    FlaskForm,
    GovCheckboxInput,
    GovPasswordInput,
    GovSubmitInput,
    GovTextInput,
    PasswordField,
    StringField,
    SubmitField,
    apply_service_errors,
)
from hsbtrack.permissions import requires

bp = Blueprint("sso_admin", __name__, url_prefix="/admin")


class ProviderForm(FlaskForm):
    label = StringField(_l("Name on the button"), widget=GovTextInput(), validators=[Length(max=100)],
                        description=_l("People see “Sign in with” and this name, like Riverside Council"))
    slug = StringField(_l("Short name"), widget=GovTextInput(), validators=[Length(max=40)],
                       description=_l("Lower-case letters, digits and hyphens. It is part of the redirect URI"))
    issuer = StringField(_l("Issuer URL"), widget=GovTextInput(), validators=[Length(max=500)],
                         description=_l("For Microsoft Entra ID: https://login.microsoftonline.com/<tenant id>/v2.0"))
    client_id = StringField(_l("Client ID"), widget=GovTextInput(), validators=[Length(max=255)])
    client_secret = PasswordField(_l("Client secret"), widget=GovPasswordInput(), validators=[Length(max=500)],
                                  description=_l("Kept encrypted and never shown again. Leave it empty to keep the "
                                                 "one saved"))
    allowed_domains = StringField(_l("Email domains allowed"), widget=GovTextInput(), validators=[Length(max=1000)],
                                  description=_l("Separated by commas, like council.gov.uk, nhs.net. Only people "
                                                 "with these addresses sign in through this provider"))
    is_entra = BooleanField(_l("This is Microsoft Entra ID"), widget=GovCheckboxInput())
    enforces_second_factor = BooleanField(_l("The provider makes everyone use a second factor"),
                                          widget=GovCheckboxInput())
    mfa_acr_values = StringField(_l("acr values that mean a second factor was used (optional)"),
                                 widget=GovTextInput(), validators=[Length(max=500)])
    enabled = BooleanField(_l("Show this provider on the sign-in page"), widget=GovCheckboxInput(), default=True)
    submit = SubmitField(_l("Save provider"), widget=GovSubmitInput())


class SsoOnlyForm(FlaskForm):
    sso_only = BooleanField(_l("Sign in through a provider only (no password)"), widget=GovCheckboxInput())
    submit = SubmitField(_l("Save"), widget=GovSubmitInput())


def _fields(form: ProviderForm) -> dict:
    return {name: getattr(form, name).data for name in (
        "label", "slug", "issuer", "client_id", "client_secret", "allowed_domains", "is_entra",
        "enforces_second_factor", "mfa_acr_values", "enabled")}


@bp.route("/sign-in-providers", methods=["GET", "POST"])
@requires(Perm.ADMIN)
def providers():
    """The providers (those the settings define too) and a form to add one."""
    form = ProviderForm()
    if form.validate_on_submit():
        try:
            row = sso.save_provider(_fields(form))
        except ServiceError as error:
            apply_service_errors(form, error)
        else:
            flash(_("%(name)s has been added", name=row.label), "success")
            return redirect(url_for("sso_admin.providers"))
    return render_template("admin/sign_in_providers.html", form=form, rows=sso.all_rows(),
                           active=sso.providers(), settings_slugs=sso.settings_slugs())


@bp.route("/sign-in-providers/<int:provider_id>", methods=["GET", "POST"])
@requires(Perm.ADMIN)
def edit_provider(provider_id):
    row = db.session.get(SignInProvider, provider_id)
    if row is None:
        abort(404)
    form = ProviderForm(obj=row if request.method == "GET" else None)
    if request.method == "GET":
        form.client_secret.data = ""
    if form.validate_on_submit():
        try:
            sso.save_provider(_fields(form), provider_id=row.id)
        except ServiceError as error:
            apply_service_errors(form, error)
        else:
            flash(_("%(name)s has been saved", name=row.label), "success")
            return redirect(url_for("sso_admin.providers"))
    return render_template("admin/sign_in_provider.html", form=form, row=row,
                           overridden=row.slug in sso.settings_slugs())


@bp.route("/sign-in-providers/<int:provider_id>/remove", methods=["GET", "POST"])
@requires(Perm.ADMIN)
def remove_provider(provider_id):
    """GET asks; POST removes (people linked to it keep their accounts, and sign in again once an
    administrator adds it back with the same issuer)."""
    row = db.session.get(SignInProvider, provider_id)
    if row is None:
        abort(404)
    if request.method == "GET":
        return render_template("admin/remove_sign_in_provider.html", row=row)
    sso.delete_provider(row.id)
    flash(_("%(name)s has been removed", name=row.label), "success")
    return redirect(url_for("sso_admin.providers"))


@bp.route("/users/<int:user_id>/sign-in", methods=["GET", "POST"])
@requires(Perm.ADMIN)
def user_sign_in(user_id):
    """How a user signs in: the identities linked to the account, and whether a password works."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    form = SsoOnlyForm(obj=user if request.method == "GET" else None)
    if form.validate_on_submit():
        sso.set_sso_only(user, form.sso_only.data, by=current_user._get_current_object())
        flash(_("%(email)s has been updated", email=user.email), "success")
        return redirect(url_for("sso_admin.user_sign_in", user_id=user.id))
    return render_template("admin/user_sign_in.html", form=form, user=user, identities=sso.identities_of(user))
