"""One clock for the whole app, so tests can move it (time-machine) and stored times are UTC; and the
one reading of a date typed by a person or sent to the API."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _

from hsbtrack.errors import ServiceError


def utcnow() -> datetime:
    """Naive UTC datetime: the same on SQLite (which drops time zones) and PostgreSQL."""
    return datetime.now(UTC).replace(tzinfo=None)


def today() -> date:
    return utcnow().date()


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Europe/London")


def local_today() -> date:
    """Today where the partnership is (``HSBTRACK_TIMEZONE``, Europe/London by default): the day people
    mean when they type a date. Between midnight and 1 am in summer UTC is still on yesterday."""
    return datetime.now(UTC).astimezone(_zone()).date()


def local_date(stored: datetime) -> date:
    """The partnership's calendar day of a stored (naive UTC) time."""
    return stored.replace(tzinfo=UTC).astimezone(_zone()).date()


def parse_date(value, field: str, required: bool = False) -> date | None:
    """A date from a form or JSON (ISO ``YYYY-MM-DD``, or a ``date``); blank is None unless ``required``.
    A bad value is a field error (422 / the message next to the field)."""
    if isinstance(value, date):
        return value
    if value is None or str(value).strip() == "":
        if required:
            raise ServiceError.field(field, _("Enter a real date, like 2027-03-31"))
        return None
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ServiceError.field(field, _("Enter a real date, like 2027-03-31")) from None
