import time

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
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user
from markupsafe import Markup
from sqlalchemy import select

from hsbtrack.areas.models import Membership
from hsbtrack.areas.roles import Perm
from hsbtrack.auth import forms, services, sso, sso_client, two_factor
from hsbtrack.auth.models import ApiToken, User
from hsbtrack.errors import ServiceError
from hsbtrack.extensions import db
from hsbtrack.forms import apply_service_errors
from hsbtrack.i18n import LANGUAGE_COOKIE
from hsbtrack.permissions import PUBLIC, requires
from hsbtrack.timeutil import utcnow
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
            return render_template("auth/login.html", form=form, providers=sso.providers()), \
                403 if isinstance(error, services.SsoOnlyError) else 429
        if user is None:
            form.email.errors = [_("The email address or password is not correct")]
        else:
            return after_password(user, request.args.get("next"))
    return render_template("auth/login.html", form=form, providers=sso.providers())


# -- two-factor authentication (the rules: hsbtrack/auth/two_factor.py) ---------------------------
#
# After the password, a user with two-factor (or who must set it up) is NOT signed in: the session
# holds only "password right, second factor pending" (PENDING: who, their session version, which
# step, when), and Flask-Login knows no user until the second step calls start_session. So every
# page and every API call made with the session is refused as for anyone signed out, including
# routes added later; only the PUBLIC pages (sign-in, these two steps, the language switch, reset
# links, static files) open. The sign-in redirect of a refused page leads back to the pending step.

PENDING = two_factor.PENDING_SESSION_KEY
SETUP_KEY = "two_factor_setup"  # the secret being set up, encrypted, until the user confirms it
PENDING_MINUTES = 10


def roles_of(user) -> set[str]:
    """The role ids ``HSBTRACK_TWO_FACTOR_REQUIRED_ROLES`` is matched against."""
    roles = set(db.session.scalars(select(Membership.role).where(Membership.user_id == user.id)))
    if user.is_admin:
        roles.add("admin")
    return roles


def after_password(user, target):
    """The password was right: sign in, or first ask for the second factor (or for setting it up,
    where the user's roles require it)."""
    target = target if is_safe_next(target) else None
    if two_factor.is_enrolled(user):
        stage = "code"
    elif two_factor.is_required(user, roles_of(user)):
        stage = "setup"
    else:
        start_session(user)
        return redirect(target or url_for("dashboard.home"))
    session.clear()
    session[PENDING] = {"user": user.id, "version": user.session_version, "stage": stage,
                        "at": int(time.time()), "next": target}
    return redirect(url_for("auth.two_factor_code" if stage == "code" else "auth.two_factor_setup"))


def _pending_user(stage):
    data = session.get(PENDING)
    if not isinstance(data, dict) or data.get("stage") != stage \
            or time.time() - data.get("at", 0) > PENDING_MINUTES * 60:
        return None
    user = db.session.get(User, data.get("user"))
    if user is None or not user.active or user.session_version != data.get("version"):
        return None
    return user


def _finish_pending(user):
    target = (session.get(PENDING) or {}).get("next")
    signed_in = (session.get(PENDING) or {}).get("sso")  # signed in through a provider (sso_views)
    start_session(user)
    if signed_in:
        session[sso_client.SESSION_KEY] = signed_in
    return target if is_safe_next(target) else url_for("dashboard.home")


def _start_again():
    """No pending step here: to the other step if that one is pending, else to sign in again."""
    for stage, endpoint in (("code", "auth.two_factor_code"), ("setup", "auth.two_factor_setup")):
        if _pending_user(stage) is not None:
            return redirect(url_for(endpoint))
    session.pop(PENDING, None)
    session.pop(SETUP_KEY, None)
    flash(_("Sign in again to carry on"), "info")
    return redirect(url_for("auth.login"))


@bp.route("/login/code", methods=["GET", "POST"])
@requires(PUBLIC)  # reachable only with the pending state that a right password leaves in the session
def two_factor_code():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.home"))
    user = _pending_user("code")
    if user is None:
        return _start_again()
    form = forms.TwoFactorCodeForm()
    if form.validate_on_submit():
        try:
            ok = two_factor.second_step(user, form.code.data, client_ip())
        except services.AccountError as error:
            form.code.errors = [str(error)]
            return render_template("auth/two_factor_code.html", form=form), 429
        if ok:
            return redirect(_finish_pending(user))
        form.code.errors = [_("The code is not correct. Enter the code your app shows now, or a recovery code")]
    return render_template("auth/two_factor_code.html", form=form)


@bp.route("/login/two-factor", methods=["GET", "POST"])
@requires(PUBLIC)  # reachable only with the pending state: the user's roles require two-factor
def two_factor_setup():
    if current_user.is_authenticated:
        return redirect(url_for("auth.account_two_factor"))
    user = _pending_user("setup")
    if user is None:
        return _start_again()
    return _set_up(user, pending=True)


def _set_up(user, pending):
    """The set-up page: QR code and key of a new secret (kept, encrypted, in the session until the
    user confirms it with a code), then the recovery codes, shown once."""
    secret = two_factor.decrypt(session.get(SETUP_KEY))
    if secret is None:
        secret = two_factor.new_secret()
        session[SETUP_KEY] = two_factor.encrypt(secret)
    form = forms.TwoFactorSetupForm()
    if form.validate_on_submit():
        try:
            codes = two_factor.enable(user, secret, form.code.data)
        except ServiceError as error:
            apply_service_errors(form, error)
        else:
            session.pop(SETUP_KEY, None)
            next_url = _finish_pending(user) if pending else url_for("auth.account_two_factor")
            return render_template("auth/recovery_codes.html", codes=codes, next_url=next_url, first=True)
    uri = two_factor.provisioning_uri(user, secret)
    qr = Markup(two_factor.qr_svg(uri, _("QR code to scan with your authenticator app")))  # noqa: S704  # nosec B704  (segno's SVG: no user text but the escaped email)
    return render_template("auth/two_factor_setup.html", form=form, qr=qr, key=two_factor.grouped(secret),
                           pending=pending, user=user)


@bp.route("/account/two-factor", methods=["GET", "POST"])
@requires(Perm.SIGNED_IN)
def account_two_factor():
    user = current_user._get_current_object()
    if not two_factor.is_enrolled(user):
        return _set_up(user, pending=False)
    return render_template("auth/two_factor.html", unused=two_factor.unused_recovery_codes(user),
                           required=two_factor.is_required(user, roles_of(user)), events=two_factor.events_for(user))


@bp.route("/account/two-factor/recovery-codes", methods=["GET", "POST"])
@requires(Perm.SIGNED_IN)
def two_factor_recovery_codes():
    """GET asks (the old codes stop working); POST makes new ones and shows them once."""
    user = current_user._get_current_object()
    if not two_factor.is_enrolled(user):
        return redirect(url_for("auth.account_two_factor"))
    if request.method == "GET":
        return render_template("auth/replace_recovery_codes.html")
    codes = two_factor.replace_recovery_codes(user)
    return render_template("auth/recovery_codes.html", codes=codes, next_url=url_for("auth.account_two_factor"),
                           first=False)


@bp.route("/account/two-factor/turn-off", methods=["GET", "POST"])
@requires(Perm.SIGNED_IN)
def two_factor_turn_off():
    """GET asks (or says why it cannot be turned off); POST turns it off."""
    user = current_user._get_current_object()
    if not two_factor.is_enrolled(user):
        return redirect(url_for("auth.account_two_factor"))
    required = two_factor.is_required(user, roles_of(user))
    if request.method == "GET":
        return render_template("auth/two_factor_turn_off.html", required=required)
    try:
        two_factor.disable(user, roles_of(user))
    except ServiceError as error:
        flash(error.message, "info")
    else:
        flash(_("Two-factor authentication is off"), "success")
    return redirect(url_for("auth.account_two_factor"))


@bp.route("/admin/users/<int:user_id>/two-factor", methods=["GET", "POST"])
@requires(Perm.ADMIN)
def reset_two_factor(user_id):
    """An administrator resets a user's lost second factor. GET asks; POST resets (recorded in the
    account's history; the user's sessions end)."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if request.method == "GET":
        return render_template("auth/reset_two_factor.html", user=user, enrolled=two_factor.is_enrolled(user),
                               required=two_factor.is_required(user, roles_of(user)))
    if not two_factor.is_enrolled(user):
        flash(_("%(email)s has not set up two-factor authentication: there is nothing to reset", email=user.email),
              "info")
        return redirect(url_for("admin.users"))
    two_factor.reset(user, by=current_user._get_current_object())
    flash(_("Two-factor authentication of %(email)s has been reset", email=user.email), "success")
    return redirect(url_for("admin.users"))


@bp.route("/logout", methods=["POST"])
@requires(Perm.SIGNED_IN)
def logout():
    """Sign out, and make every copy of the session cookie worthless: sessions live in a signed
    cookie, so the server cannot forget one, but the user's session version moves on (the same
    mechanism as a password change), which signs the account out everywhere."""
    provider_logout = sso_client.end_session_url(session.get(sso_client.SESSION_KEY))
    if current_user.is_authenticated:
        services.end_all_sessions(current_user)
    logout_user()
    session.clear()
    flash(_("You have signed out"), "success")
    # Signed in through a provider that can end its own session: there next, then back to sign in.
    return redirect(provider_logout or url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@requires(Perm.SIGNED_IN)
def account():
    prefs = forms.PreferencesForm(obj=current_user, prefix="prefs")
    password = forms.ChangePasswordForm(prefix="pw")
    token_form = forms.TokenForm(prefix="token", days=services.api_token_days())  # (also when none is sent)
    token_form.days.choices = [(days, ngettext("%(num)d day", "%(num)d days", days))
                               for days in services.api_token_day_choices()]
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
        try:
            new_token = services.issue_api_token(current_user, token_form.name.data, token_form.days.data)
        except ServiceError as error:
            apply_service_errors(token_form, error)
    tokens = db.session.scalars(
        db.select(ApiToken).where(ApiToken.user_id == current_user.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at.desc())
    ).all()
    form = prefs if prefs.errors else password if password.errors else token_form if token_form.errors else None
    return render_template("auth/account.html", prefs=prefs, password=password, token_form=token_form,
                           tokens=tokens, new_token=new_token, form=form, now=utcnow())


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
    if row.user.sso_only:
        return render_template("auth/sso_only.html", providers=sso.providers()), 403
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
        if user is not None and user.active and not user.sso_only:  # (sso_only: no password to reset)
            services.send_set_password_email(user, "reset")
        # Same answer either way, so the page does not reveal who has an account.
        flash(_("If that address has an account, we have sent it a link to reset the password"), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/request_reset.html", form=form)


