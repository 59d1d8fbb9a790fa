"""How the API authenticates: a bearer token, or the browser session *with* the CSRF token in an
``X-CSRFToken`` header (so that the app's own scripts can call the API). A session without that
header is refused: the API is exempt from the form CSRF check, so a browser's ambient cookie alone
must never be enough (a page on another site could otherwise make the browser call it).

Who may do what is decided afterwards, per operation, by :func:`hsbtrack.permissions.requires`."""

import marshmallow as ma
from flask import abort, g, request
from flask_smorest import Blueprint
from webargs.flaskparser import FlaskParser

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


NUL_MESSAGE = "Text cannot contain the NUL character (0x00)"


def _with_nul(data, prefix="") -> list[str]:
    """The names of the values holding a NUL character (nested JSON as ``a.0.b``)."""
    if isinstance(data, str):
        return [prefix or "_"] if "\x00" in data else []
    if isinstance(data, dict) or hasattr(data, "getlist"):
        keys = data.keys()
        found = []
        for key in keys:
            values = data.getlist(key) if hasattr(data, "getlist") else [data[key]]
            name = f"{prefix}.{key}" if prefix else str(key)
            if "\x00" in str(key):
                found.append(name)
            for value in values:
                found += _with_nul(value, name)
        return found
    if isinstance(data, list):
        return [n for i, value in enumerate(data) for n in _with_nul(value, f"{prefix}.{i}" if prefix else str(i))]
    return []


class _Parser(FlaskParser):
    """PostgreSQL text cannot hold the NUL character: a value with one is a 422 at its field, never a
    database error (read after the permission check, with the rest of the arguments)."""

    def _load_location_data(self, *, schema, req, location):
        data = super()._load_location_data(schema=schema, req=req, location=location)
        bad = _with_nul(data)
        if bad:
            raise ma.ValidationError({name: [NUL_MESSAGE] for name in bad})
        return data


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = _Parser()


def api_blueprint(name: str, import_name: str, description: str = "") -> Blueprint:
    bp = ApiBlueprint(name, import_name, url_prefix="/api/v1", description=description)
    bp.before_request(_authenticate)
    bp.after_request(record_token_use)  # (the token's last use, once the answer is made)
    csrf.exempt(bp)
    return bp
