"""Bearer-token authentication for the API. Session cookies are ignored here on purpose: the API
is exempt from CSRF, so it must not accept a browser's ambient credentials."""

from flask import abort, g, request
from flask_smorest import Blueprint

from hsbtrack.auth.services import user_for_api_token
from hsbtrack.extensions import csrf
from hsbtrack.timeutil import utcnow


def current_api_user():
    return g.api_user


def _authenticate():
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    user = user_for_api_token(token.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        abort(401, description="Send a valid API token as 'Authorization: Bearer <token>'")
    g.api_user = user
    g.api_user_seen = utcnow()


def api_blueprint(name: str, import_name: str, description: str = "") -> Blueprint:
    bp = Blueprint(name, import_name, url_prefix="/api/v1", description=description)
    bp.before_request(_authenticate)
    csrf.exempt(bp)
    return bp
