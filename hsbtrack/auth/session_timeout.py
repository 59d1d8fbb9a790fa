"""Sessions end after ``PERMANENT_SESSION_LIFETIME`` without activity, with a warning first.

Sessions live in Flask's signed cookie, and Flask refuses a cookie signed longer ago than
``PERMANENT_SESSION_LIFETIME`` (whether or not the session is "permanent"). A cookie is signed again
only when the session changes, so without :func:`keep_session_alive` a session would end that long
after sign-in however busy the user was. Here every request of a signed-in user signs it again, so
the session ends after that long *without using hsbtrack* (the cookie stays a browser-session
cookie: closing the browser still ends it).

Each signed-in page renders ``auth/session_timeout.html``: how many seconds the session has left and
a hidden warning dialog with its texts translated. ``static/js/session-timeout.js`` shows the dialog
two minutes before the end (WCAG 2.2.1 Timing adjustable, the GOV.UK timeout warning): "Stay signed
in" posts to :func:`extend`, and when the time is up the page goes to :func:`ended`, which sends the
browser to the sign-in page with a message. Without JavaScript nothing is shown and the server
still ends the session.

:func:`status` tells the script how long the session really has left *without* extending it, so
that activity in another tab or a background save (autosave) that extended it is noticed before
the warning is shown or the page leaves.
"""

from datetime import UTC, datetime, timedelta

from flask import Blueprint, current_app, flash, jsonify, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from itsdangerous import BadSignature

from hsbtrack.permissions import PUBLIC, requires
from hsbtrack.views_support import is_safe_next

bp = Blueprint("session", __name__, url_prefix="/session")

WARNING_SECONDS = 120  # the warning appears this long before the end of the session
# Requests that must not count as activity: assets, the load balancer's probe, and the script
# asking how long is left (asking must not extend the session, or it would never end).
NOT_ACTIVITY = frozenset({"static", "healthz", "session.status"})


def lifetime() -> timedelta:
    return current_app.permanent_session_lifetime


def cookie_expires_at() -> datetime | None:
    """When the session cookie this request came with stops being accepted (None: no valid cookie)."""
    interface = current_app.session_interface
    serializer = interface.get_signing_serializer(current_app)
    cookie = request.cookies.get(interface.get_cookie_name(current_app))
    if serializer is None or not cookie:
        return None
    try:
        _data, signed_at = serializer.loads(
            cookie, max_age=int(lifetime().total_seconds()), return_timestamp=True
        )
    except BadSignature:  # includes SignatureExpired
        return None
    return signed_at + lifetime()


def _expiry_json(expires_at: datetime):
    seconds = max(0, int((expires_at - datetime.now(UTC)).total_seconds()))
    return jsonify(expires_at=expires_at.isoformat(timespec="seconds"), expires_in=seconds)


def _signed_out():
    response = jsonify(error={"code": "unauthorized", "message": "Your session has ended", "fields": {}})
    return response, 401


def keep_session_alive(response):
    """Sign the session cookie again on every request of a signed-in user (sliding expiry). A
    refused request (4xx, 5xx: a missing CSRF token, say) is not activity and extends nothing."""
    if response.status_code < 400 and request.endpoint not in NOT_ACTIVITY and "_user_id" in session:
        session.modified = True
    return response


def session_timeout_settings() -> dict | None:
    """What a signed-in page needs for the warning (None when no one is signed in). The response
    that carries the page signs the cookie again, so the session has its whole lifetime left."""
    if not current_user.is_authenticated:
        return None
    return {"expires_in": int(lifetime().total_seconds()), "warning": WARNING_SECONDS}


@bp.get("")
@requires(PUBLIC)
def status():
    """How long the session has left, as JSON; does not extend it. 401 when it has ended."""
    expires_at = cookie_expires_at()
    if not current_user.is_authenticated or expires_at is None:
        return _signed_out()
    return _expiry_json(expires_at)


@bp.post("/extend")
@requires(PUBLIC)
def extend():
    """"Stay signed in": the session gets its whole lifetime again (CSRF-protected like any POST)."""
    if not current_user.is_authenticated:
        return _signed_out()
    session.modified = True  # signed again as the response leaves: a fresh timestamp
    return _expiry_json(datetime.now(UTC).replace(microsecond=0) + lifetime())


@bp.get("/ended")
@requires(PUBLIC)
def ended():
    """Where the warning sends a page whose session has ended: the sign-in page, with a message."""
    target = request.args.get("next")
    if current_user.is_authenticated:  # extended in another tab after all: back to the page
        return redirect(target if is_safe_next(target) else url_for("dashboard.home"))
    session.pop("_flashes", None)  # only this message, not "Sign in to see this page" as well
    flash(_("You were signed out because you had not used hsbtrack for a while. Sign in again to carry on."),
          "info")
    return redirect(url_for("auth.login", next=target) if is_safe_next(target) else url_for("auth.login"))


def init_app(app) -> None:
    app.register_blueprint(bp)
    app.after_request(keep_session_alive)
    app.add_template_global(session_timeout_settings)
