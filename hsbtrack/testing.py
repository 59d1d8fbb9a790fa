"""hsbtrack's test fixtures, as a pytest plugin (entry point ``pytest11``: installed with hsbtrack,
so the core's suite, the first-party plugins' suites and any third-party plugin's suite share them).

One database per run (SQLite file, or PostgreSQL from ``DATABASE_URL``), built with the real
migrations (every installed plugin's branch), emptied after every test; fixtures ``app`` (session),
``ctx``, ``client``, ``outbox``, ``world``; helpers to sign in, post forms with CSRF tokens, make API
headers and count SQL queries. A suite adds plugins that are not installed (say, one under test)
by overriding the session fixture ``hsbtrack_test_plugins`` (``{name: module}``) in its root
conftest. With ``HSBTRACK_REQUIRE_ALL=1`` a skipped test counts as failed (CI). See
docs/testing_plugins.rst."""

import os
import re
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError

from hsbtrack import create_app
from hsbtrack.areas.services import (
    add_area_member,
    add_region_member,
    create_agency,
    create_area,
    create_region,
    get_or_create_user,
)
from hsbtrack.auth.services import hash_password, issue_api_token
from hsbtrack.config import normalise_database_url
from hsbtrack.extensions import db
from hsbtrack.mail import outbox as _outbox

REQUIRE_ALL = os.environ.get("HSBTRACK_REQUIRE_ALL") == "1"
PASSWORD = "correct horse battery staple"  # noqa: S105  # nosec B105  # the test users' password, test databases only
_TMP_HOLDER: list[str] = []


def _tmp() -> str:
    """The run's folder (the SQLite database, the instance), made when first needed."""
    if not _TMP_HOLDER:
        _TMP_HOLDER.append(tempfile.mkdtemp(prefix="hsbtrack-tests-"))
    return _TMP_HOLDER[0]


def database_url() -> str:
    return os.environ.get("DATABASE_URL") or f"sqlite:///{Path(_tmp()) / 'test.db'}"


def is_postgres() -> bool:
    return database_url().startswith(("postgres://", "postgresql"))


def app_config(**extra) -> dict:
    config = {
        "HSBTRACK_ENV": "testing",
        "SQLALCHEMY_DATABASE_URI": database_url(),
        "SERVER_NAME": None,
        "HSBTRACK_SCHEDULER": "off",
        "MAIL_SERVER": "",
    }
    config.update(extra)
    return config


def make_app(plugins: dict | None = None, **extra):
    """An app with the test settings (``extra`` overrides them) and ``plugins`` besides the installed ones."""

    config = app_config(**extra)
    config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(config["SQLALCHEMY_DATABASE_URI"])
    return create_app(config=config, plugins=plugins)


def _reset_schema(app):
    with app.app_context():
        if is_postgres():
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        else:
            db.engine.dispose()
            for name in ("test.db", "test.db-wal", "test.db-shm"):  # (WAL: a stale log would corrupt the new file)
                Path(_tmp(), name).unlink(missing_ok=True)


class IsolatedClient(FlaskClient):
    """Runs every request in its own application context, as a real server does.

    Without this, a request made while a test holds an app context (the ``ctx`` fixture) reuses
    that context: ``g`` (Flask-Login's current user, the permission caches) and the database
    session would carry over from one request to the next, even between two different clients.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def hsbtrack_test_plugins() -> dict:
    """Plugins to load besides the installed ones, ``{name: module}`` (override in your conftest)."""
    return {}


@pytest.fixture(scope="session")
def app(hsbtrack_test_plugins):
    """The app (installed plugins and ``hsbtrack_test_plugins``) on a database built by the migrations."""
    from flask_migrate import upgrade

    os.environ.setdefault("HSBTRACK_INSTANCE_PATH", _tmp())
    application = make_app(plugins=hsbtrack_test_plugins)
    application.test_client_class = IsolatedClient
    _reset_schema(application)
    with application.app_context():
        upgrade(revision="heads")
    return application


@contextmanager
def spare_database(app, tmp_path, label: str):
    """A database of the suite's kind beside its own, empty, dropped afterwards: a SQLite file in
    ``tmp_path``, or a fresh PostgreSQL database (``<suite db>_<label>_<random>``)."""
    import uuid

    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not is_postgres():
        yield f"sqlite:///{tmp_path / f'{label}.db'}"
        return
    name = f"{make_url(url).database}_{label}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        try:
            # A role that is not a superuser cannot end an autovacuum worker, which a freshly filled
            # database invites: DROP … WITH (FORCE) then fails for a moment. Try for up to 30 s.
            for attempt in range(30):
                try:
                    with admin.connect() as conn:
                        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                    break
                except DBAPIError:
                    if attempt == 29:
                        raise
                    time.sleep(1)
        finally:
            admin.dispose()


def _empty_all_tables(app):
    with app.app_context():
        db.session.remove()
        tables = [t for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if is_postgres():
                # TRUNCATE costs a few milliseconds per table, so only the tables a test wrote to
                # are emptied (one query finds them); then every sequence starts at 1 again, as
                # after RESTART IDENTITY (a sequence moves even when its insert was rolled back).
                probe = " UNION ALL ".join(
                    f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")"  # noqa: S608  # nosec B608  # our own table names
                    for t in tables)
                used = [row[0] for row in conn.execute(text(probe))]
                if used:
                    conn.execute(text("TRUNCATE " + ", ".join(f'"{name}"' for name in used) + " CASCADE"))
                conn.execute(text("SELECT setval(c.oid, 1, false) FROM pg_class c "
                                  "WHERE c.relkind = 'S' AND c.relnamespace = 'public'::regnamespace"))
            else:
                for table in tables:
                    conn.execute(table.delete())


@pytest.fixture()
def ctx(app):
    """An application context, with every table emptied afterwards."""
    with app.app_context():
        yield app
    _empty_all_tables(app)
    app.extensions.pop("hsbtrack_outbox", None)


@pytest.fixture()
def client(ctx):
    return ctx.test_client()


@pytest.fixture()
def outbox(ctx):
    return _outbox()


# -- data builders ----------------------------------------------------------------------------

_HASH = {}


def password_hash():
    if "h" not in _HASH:
        _HASH["h"] = hash_password(PASSWORD)
    return _HASH["h"]


class World:
    """Builds areas, agencies and users with roles for a test."""

    def __init__(self):
        self.db = db

    def region(self, name="North"):
        return create_region(name)

    def area(self, name="Riverside", region=None, agencies=("Police", "Health", "Education")):
        area = create_area(name, region.id if region else None)
        for agency in agencies:
            create_agency(area, agency)
        return area

    def user(self, email, area=None, role=None, agency=None, admin=False, region=None, locale="en"):
        if area is not None and role is not None:
            _m, user, _c = add_area_member(area, email, role, agency.id if agency else None)
        elif region is not None and role is not None:
            _m, user, _c = add_region_member(region, email, role)
        else:
            user, _c = get_or_create_user(email)
        user.password_hash = password_hash()
        user.is_admin = admin or user.is_admin
        user.locale = locale
        self.db.session.commit()
        return user

    def agency(self, area, name):
        return next(a for a in area.agencies if a.name == name)


@pytest.fixture()
def world(ctx):
    return World()


# -- signing in and forms ---------------------------------------------------------------------

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, path="/login") -> str:
    response = client.get(path)
    match = CSRF_RE.search(response.get_data(as_text=True))
    if not match:
        raise AssertionError(f"no CSRF token on {path}")
    return match.group(1)


def login(client, user_or_email, password=PASSWORD):
    email = getattr(user_or_email, "email", user_or_email)
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    if response.status_code != 302:
        raise AssertionError(response.get_data(as_text=True)[:2000])
    return response


def post_form(client, path, data, page=None):
    """POST a form with a valid CSRF token taken from ``page`` (default: the same path)."""
    token = csrf_token(client, page or path)
    return client.post(path, data={**data, "csrf_token": token})


def api_headers(user) -> dict:
    return {"Authorization": f"Bearer {issue_api_token(user, 'tests')}"}


@contextmanager
def count_queries(app):
    """Count SQL statements run inside the block: ``with count_queries(app) as n: ...; n()``."""

    statements = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield lambda: len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", before)


# -- skips are failures in CI -----------------------------------------------------------------


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if REQUIRE_ALL and report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"HSBTRACK_REQUIRE_ALL=1: skipped tests count as failures ({reason})"
