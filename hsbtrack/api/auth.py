"""How the API authenticates: a bearer token, or the browser session *with* the CSRF token in an
``X-CSRFToken`` header (so that the app's own scripts can call the API). A session without that
header is refused: the API is exempt from the form CSRF check, so a browser's ambient cookie alone
must never be enough (a page on another site could otherwise make the browser call it).

Who may do what is decided afterwards, per operation, by :func:`hsbtrack.permissions.requires`."""

from flask import abort, g, request
from flask_smorest import Blueprint

from hsbtrack.auth.services import ApiTokenExpired, record_token_use, user_for_api_token
from hsbtrack.extensions import csrf
from hsbtrack.timeutil import utcnow


def current_api_user():
    return g.api_user


def _session_user():
    """The signed-in browser user, if the request carries a valid ``X-CSRFToken`` header."""
    from flask_login import current_user
    from flask_wtf.csrf import validate_csrf
    from wtforms import ValidationError

    header = request.headers.get("X-CSRFToken")
    if not header or not current_user.is_authenticated:
        return None
    try:
        validate_csrf(header)
    except ValidationError:
        return None
    return current_user._get_current_object()


def _authenticate():
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if header:
        try:
            user = user_for_api_token(token.strip()) if scheme.lower() == "bearer" else None
        except ApiTokenExpired as expired:
            abort(401, description=str(expired))
        g.api_via = "token"
    else:
        user = _session_user()
        g.api_via = "session"
    if user is None:
        abort(401, description="Send a valid API token as 'Authorization: Bearer <token>', or, from a signed-in "
                               "page, the page's CSRF token as 'X-CSRFToken'")
    g.api_user = user
    g.api_user_seen = utcnow()


def api_blueprint(name: str, import_name: str, description: str = "") -> Blueprint:
    bp = Blueprint(name, import_name, url_prefix="/api/v1", description=description)
    bp.before_request(_authenticate)
    bp.after_request(record_token_use)  # (the token's last use, once the answer is made)
    csrf.exempt(bp)
    return bp
