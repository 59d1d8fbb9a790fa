"""One clock for the whole app, so tests can move it (time-machine) and stored times are UTC."""

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    """Naive UTC datetime: the same on SQLite (which drops time zones) and PostgreSQL."""
    return datetime.now(UTC).replace(tzinfo=None)


def today() -> date:
    return utcnow().date()
