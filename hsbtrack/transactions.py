"""How writes reach the database, so that two people writing at once never see a server error.

See docs/architecture.md, "Transactions". Three rules:

* **SQLite takes the write lock first.** In WAL mode a transaction that has read and then wants
  to write fails at once with "database is locked" when another connection committed in between
  (the busy timeout does not apply to that upgrade). So a request that may write (any method but
  GET/HEAD/OPTIONS) starts its transactions with ``BEGIN IMMEDIATE``: writers queue on the busy
  timeout instead of failing. Pages that only read take no lock; neither does work outside requests
  (CLI, scheduler, tests reading what a page wrote), whose writes begin with the write itself or
  are retried by their job. PostgreSQL needs none of this (row locks, READ COMMITTED).
* **A lost race is retried or told, never a 500.** :func:`run_write` runs one attempt of a write
  (read, change, history, commit). When it loses a race — a version check in the UPDATE finds the
  row changed (``StaleDataError``), or two first writes of one record meet on its unique key
  (``IntegrityError``) — a caller who sent no version gets the attempt run once more on fresh data
  (last write wins; both writes are in the history); a caller who sent the version they read gets
  :class:`~hsbtrack.errors.ConflictError` carrying the record as it now is.
* **Counters move in SQL** (:func:`bump`): ``SET data_version = data_version + 1``, so that two
  writers never both write "n + 1".
"""

from flask import has_request_context, request
from flask_babel import gettext as _
from sqlalchemy import event, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from hsbtrack.errors import ConflictError
from hsbtrack.extensions import db

SQLITE_BUSY_TIMEOUT_MS = 30_000
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def may_write() -> bool:
    """Whether the current request may write (any method but GET, HEAD and OPTIONS)."""
    return has_request_context() and request.method not in READ_ONLY_METHODS


def configure_database(app) -> None:
    """SQLite: WAL, a busy timeout, and ``BEGIN IMMEDIATE`` for requests that may write."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")  # readers never wait for the writer
        cursor.close()

    @event.listens_for(db.session, "after_begin")
    def on_begin(_session, _transaction, connection):
        # Only the app's sessions (Alembic's own connections keep pysqlite's ways). Otherwise pysqlite
        # begins (deferred) just before the first INSERT/UPDATE/DELETE, and reads before it hold no
        # snapshot: a page that only reads never blocks or is blocked.
        if connection.engine is engine and may_write() and not connection.connection.driver_connection.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def run_write(attempt, *, versioned: bool, conflict_message: str, current=None):
    """Run ``attempt()`` — one whole write, committing at its end — and deal with a lost race.

    :param versioned: the caller sent the version they read: a lost race is their conflict (409).
    :param conflict_message: what the 409 says.
    :param current: a callable giving the record as it now is, for the 409 (after the rollback).
    """
    for last_try in (False, True):
        try:
            return attempt()
        except (StaleDataError, IntegrityError):
            db.session.rollback()
            if versioned or last_try:
                raise ConflictError(conflict_message, {"version": _("Out of date")},
                                    current=current() if current else None) from None
    raise AssertionError("unreachable")


def locked(query):
    """The row ``query`` selects, fresh from the database and locked until the commit (PostgreSQL;
    SQLite's write requests already hold the database's write lock): its version cannot move under
    the write."""
    return db.session.scalar(query.with_for_update().execution_options(populate_existing=True))


def bump(model, record_id: int, column: str) -> None:
    """``UPDATE <table> SET <column> = <column> + 1 WHERE id = …``, then forget the stale value."""
    field = getattr(model, column)
    db.session.execute(update(model).where(model.id == record_id).values({column: field + 1}),
                       execution_options={"synchronize_session": False})
    record = db.session.identity_map.get(db.session.identity_key(model, record_id))
    if record is not None:
        db.session.expire(record, [column])
