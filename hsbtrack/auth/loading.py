"""Flask-Login wiring: sessions carry the user's id and session version."""

from flask import request, session
from flask_babel import lazy_gettext as _l

from hsbtrack.auth.models import User
from hsbtrack.auth.two_factor import PENDING_SESSION_KEY
from hsbtrack.extensions import db, login_manager


def load_user(session_id: str):
    try:
        user_id, version = (int(part) for part in session_id.split(":", 1))
    except (ValueError, AttributeError):
        return None
    user = db.session.get(User, user_id)
    if user is None or user.session_version != version or not user.active:
        return None
    return user


def configure_login(app) -> None:
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Sign in to see this page")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.unauthorized_handler
    def unauthorized():
        from flask import flash, jsonify, redirect, url_for

        if request.path.startswith("/api/"):
            return jsonify(error={"code": "unauthorized", "message": "Authentication required", "fields": {}}), 401
        pending = session.get(PENDING_SESSION_KEY)
        if isinstance(pending, dict):  # password right, second factor still to come: back to that step
            return redirect(url_for("auth.two_factor_code" if pending.get("stage") == "code"
                                    else "auth.two_factor_setup"))
        flash(str(login_manager.login_message), "info")
        return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))

