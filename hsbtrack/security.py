"""Request-level protections that are not about signing in (see docs/security.md)."""

from werkzeug.routing import IntegerConverter

from hsbtrack.extensions import db

# Identifiers are INTEGER columns: PostgreSQL's limit, and what SQLite's driver can bind.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: a non-negative integer no larger than any stored id can be.

    A larger number cannot name a row, so the route does not match (404), instead of reaching the
    database with a value its driver refuses (a 500 on SQLite and PostgreSQL alike). The OpenAPI
    document shows the bound as the parameter's ``maximum``.
    """

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002 (werkzeug's names)
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=MAX_ID if max is None else max, signed=signed)


def register_converters(app) -> None:
    """Before any blueprint is registered: rules pick their converters when they are added."""
    app.url_map.converters["int"] = IdConverter


def get_by_id(model, value):
    """The ``model`` row whose id is ``value`` (an int, or text of one), or None for anything else,
    including numbers too large to be an id (which the database driver would refuse with an error)."""

    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if not 0 < number <= MAX_ID:
        return None
    return db.session.get(model, number)
