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
    _check_scope()


def _area_guard(area_id):
    from hsbtrack.permissions import can_see_area

    return can_see_area(g.api_user, area_id)


def _region_guard(region_id):
    from hsbtrack.permissions import can_see_region

    return can_see_region(g.api_user, region_id)


# URL arguments naming an object of an area: the caller must be able to see it, checked before the
# request body is parsed, so that another area's objects answer 404 (never 422 or 409).
# Features add theirs, e.g. ``SCOPE_GUARDS["audit_id"] = lambda audit_id: ...``.
SCOPE_GUARDS = {"area_id": _area_guard, "region_id": _region_guard}


def _check_scope():
    for name, value in (request.view_args or {}).items():
        guard = SCOPE_GUARDS.get(name)
        if guard is not None and not guard(value):
            abort(404)


def api_blueprint(name: str, import_name: str, description: str = "") -> Blueprint:
    bp = Blueprint(name, import_name, url_prefix="/api/v1", description=description)
    bp.before_request(_authenticate)
    csrf.exempt(bp)
    return bp


def before_body(check):
    """Run ``check(**view_args)`` before flask-smorest parses the body (place it above ``arguments``),
    so that a caller without access gets 403/404, never a validation 422 that reveals the object."""
    import functools

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            check(**kwargs)
            return view(*args, **kwargs)

        return wrapper

    return decorator
