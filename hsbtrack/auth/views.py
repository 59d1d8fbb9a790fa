from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from hsbtrack.areas.roles import Perm
from hsbtrack.auth import forms, services
from hsbtrack.auth.models import ApiToken
from hsbtrack.extensions import db
from hsbtrack.i18n import LANGUAGE_COOKIE
from hsbtrack.permissions import PUBLIC, requires
from hsbtrack.views_support import is_safe_next

bp = Blueprint("auth", __name__)


def client_ip() -> str:
    return request.remote_addr or "unknown"


def start_session(user) -> None:
    """Sign in with a fresh session: nothing from before sign-in (e.g. a CSRF secret that someone
    planted with a session cookie) carries over into the signed-in session."""
    session.clear()
    login_user(user)


@bp.route("/login", methods=["GET", "POST"])
@requires(PUBLIC)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.home"))
    form = forms.LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data, client_ip())
        except services.AccountError as error:
            form.email.errors = [str(error)]
            return render_template("auth/login.html", form=form), 429
        if user is None:
            form.email.errors = [_("The email address or password is not correct")]
        else:
            start_session(user)
            target = request.args.get("next")
            return redirect(target if is_safe_next(target) else url_for("dashboard.home"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@requires(Perm.SIGNED_IN)
def logout():
    """Sign out, and make every copy of the session cookie worthless: sessions live in a signed
    cookie, so the server cannot forget one, but the user's session version moves on (the same
    mechanism as a password change), which signs the account out everywhere."""
    if current_user.is_authenticated:
        services.end_all_sessions(current_user)
    logout_user()
    session.clear()
    flash(_("You have signed out"), "success")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@requires(Perm.SIGNED_IN)
def account():
    prefs = forms.PreferencesForm(obj=current_user, prefix="prefs")
    password = forms.ChangePasswordForm(prefix="pw")
    token_form = forms.TokenForm(prefix="token")
    new_token = None
    if "prefs-submit" in request.form and prefs.validate_on_submit():
        services.save_preferences(current_user, prefs.name.data, prefs.locale.data, prefs.email_notifications.data,
                                  prefs.digest_only.data)
        flash(_("Your preferences have been saved"), "success")
        return redirect(url_for("auth.account"))
    if "pw-submit" in request.form and password.validate_on_submit():
        try:
            services.change_password(current_user, password.current_password.data, password.password.data)
        except services.AccountError as error:
            target = getattr(password, error.field or "password", password.password)
            target.errors = [str(error)]
        else:
            # Keep this session (its id now carries the new session version); others are signed out.
            login_user(current_user._get_current_object())
            flash(_("Your password has been changed. Other sessions have been signed out."), "success")
            return redirect(url_for("auth.account"))
    if "token-submit" in request.form and token_form.validate_on_submit():
        new_token = services.issue_api_token(current_user, token_form.name.data)
    tokens = db.session.scalars(
        db.select(ApiToken).where(ApiToken.user_id == current_user.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at.desc())
    ).all()
    form = prefs if prefs.errors else password if password.errors else token_form if token_form.errors else None
    return render_template("auth/account.html", prefs=prefs, password=password, token_form=token_form,
                           tokens=tokens, new_token=new_token, form=form)


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["GET", "POST"])
@requires(Perm.SIGNED_IN)
def revoke_token(token_id):
    """GET asks (what revoking means); POST revokes."""
    if request.method == "GET":
        token = services.own_active_api_token(current_user, token_id)
        if token is None:
            abort(404)
        return render_template("auth/revoke_token.html", token=token)
    if not services.revoke_api_token(current_user, token_id):
        abort(404)
    flash(_("The token has been revoked"), "success")
    return redirect(url_for("auth.account"))


@bp.route("/language/<code>")
@requires(PUBLIC)
def language(code):
    if code not in current_app.config["HSBTRACK_LANGUAGES"]:
        abort(404)
    target = request.args.get("next")
    response = make_response(redirect(target if is_safe_next(target) else url_for("dashboard.home")))
    response.set_cookie(LANGUAGE_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True)
    if current_user.is_authenticated:
        services.set_language(current_user, code)
    return response


def _set_password_page(token, purpose, template):
    row = services.redeem_one_time_token(token, purpose)
    if row is None:
        return render_template("auth/link_invalid.html"), 404
    form = forms.SetPasswordForm(obj=row.user if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            user = services.complete_one_time_token(row, form.password.data, form.name.data)
        except services.AccountError as error:
            form.password.errors = [str(error)]
        else:
            start_session(user)
            flash(_("Your password has been saved"), "success")
            return redirect(url_for("dashboard.home"))
    return render_template(template, form=form, user=row.user)


@bp.route("/invite/<token>", methods=["GET", "POST"])
@requires(PUBLIC)
def accept_invite(token):
    return _set_password_page(token, "invite", "auth/accept_invite.html")


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@requires(PUBLIC)
def reset_password(token):
    return _set_password_page(token, "reset", "auth/reset_password.html")


@bp.route("/password/reset", methods=["GET", "POST"])
@requires(PUBLIC)
def request_reset():
    form = forms.ResetRequestForm()
    if form.validate_on_submit():
        user = services.user_by_email(form.email.data)
        if user is not None and user.active:
            services.send_set_password_email(user, "reset")
        # Same answer either way, so the page does not reveal who has an account.
        flash(_("If that address has an account, we have sent it a link to reset the password"), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/request_reset.html", form=form)


