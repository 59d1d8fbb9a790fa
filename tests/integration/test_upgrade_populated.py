"""Upgrading a real install: a database built and filled by the previous release's own code (its
migrations, then its ``hsbtrack demo``: the core's and every plugin's demo data) is upgraded to
``heads`` by the current code, and its data compared, not only its schema.

The previous release is a fixed commit, PREVIOUS_RELEASE (there is no release tag yet): the last one
whose demo loads before the migration set changed (0006_access and scotland_0002 came after it;
93ca690, which added 0006_access, is a half-done step whose Scottish demo does not load). Its tree
is taken from git (``git archive``, the checkout is not touched) and run in a subprocess with the
release's own plugins (tests/integration/release_demo.py); the current code then upgrades that
database, in this process.

What is compared, on SQLite and on PostgreSQL (the suite's kind of database, in a spare database):

* every row of every table, before and after, column by column (the columns the release had): no
  table or column dropped, no row lost, added or changed;
* columns and tables the upgrade adds: a new column holds what EXPECTED_NEW_COLUMNS says its
  migration puts there (declare it there when writing a migration that adds one), a new table is empty;
* the accounts as each release's models read them: users, admin flag, password hash, every
  membership with its role, area, region and agency; every role still one the current code declares;
* what a user would notice: every demo login signs in with the demo password; CARM cases, training
  completions and courses, schools, the regional round and a statement's history are on their pages
  (and the CARM plan action is now behind the case wall, as scotland_0002 says).
"""

import io
import json
import os
import subprocess
import sys
import tarfile
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import url_for
from flask_migrate import upgrade
from markupsafe import escape

from hsbtrack.areas.models import Agency, Area, Membership, Region
from hsbtrack.auth.models import User
from hsbtrack.extensions import db
from hsbtrack.testing import IsolatedClient, api_headers, is_postgres, login, make_app, spare_database
from tests.integration.release_demo import accounts

pytestmark = pytest.mark.slow

REPOSITORY = Path(__file__).resolve().parents[2]
RELEASE_DEMO = Path(__file__).with_name("release_demo.py")

# The previous release: heads 0005_welsh_names, regional_0001, schools_0001, scotland_0001, training_0003.
PREVIOUS_RELEASE = "0d3025a692c4ae6a53943e1fe1c20c043e1e2074"
# Its plugins ({name: module}); in its tree they lived in plugins/<module>/.
RELEASE_PLUGINS = {"regional": "hsbtrack_regional", "schools": "hsbtrack_schools",
                   "scotland": "hsbtrack_scotland", "training": "hsbtrack_training"}
RELEASE_PATHS = ("hsbtrack", "plugins", "migrations", "templates")

CASE_PERMISSION = "scotland.cases"


def _plan_action_ids(before) -> set:
    return {row["action_id"] for row in before["scotland_plan_actions"]["rows"]}


def _lowest_score(before, audit_id, code):
    """The lowest score of a statement among the audit's participating agencies, before the upgrade."""
    taking_part = {(r["audit_id"], r["agency_id"]) for r in before["audit_agencies"]["rows"]}
    scores = [r["score"] for r in before["audit_responses"]["rows"]
              if r["audit_id"] == audit_id and r["code"] == code and r["score"] is not None
              and (r["audit_id"], r["agency_id"]) in taking_part]
    return min(scores) if scores else None


def _when(value) -> datetime:
    """A timestamp as _plain gave it (PostgreSQL: "datetime:…"; SQLite: the stored text)."""
    return datetime.fromisoformat(value.removeprefix("datetime:"))


def _token_expiry(before, row):
    """0012_token_expiry: 90 days after the token was made or, if that has passed, 30 days after the upgrade
    (which ran moments ago: the value is accepted within a day of now + 30 days)."""
    created = _when(row["created_at"])
    by_age, now = created + timedelta(days=90), datetime.now(UTC).replace(tzinfo=None)
    if by_age > now - timedelta(minutes=10):  # (not yet past at the upgrade; a margin for the clock)
        if row["expires_at"] is not None and abs(_when(row["expires_at"]) - by_age) < timedelta(seconds=1):
            return row["expires_at"]
    if row["expires_at"] is not None and by_age <= now:
        if now + timedelta(days=29) <= _when(row["expires_at"]) <= now + timedelta(days=30):
            return row["expires_at"]
    return f"created_at + 90 days ({by_age}) or, if past, upgrade + 30 days"


# {(table, column): f(snapshot before the upgrade, row after it) -> the value the upgrade must have put there}
EXPECTED_NEW_COLUMNS = {
    # 0006_access adds the wall (open: NULL); scotland_0002 walls CARM risk-management-plan actions.
    ("actions", "restricted_to"):
        lambda before, row: CASE_PERMISSION if row["id"] in _plan_action_ids(before) else None,
    # 0007_moderation_basis: an agreed score is taken as agreed against the lowest score it has now
    ("audit_agreed_scores", "basis_lowest"):
        lambda before, row: _lowest_score(before, row["audit_id"], row["code"]),
    # 0008_returns: no audit had a return deadline, no return was signed off
    ("audits", "return_due_on"): lambda before, row: None,
    ("audit_agencies", "signed_off_at"): lambda before, row: None,
    ("audit_agencies", "signed_off_by_id"): lambda before, row: None,
    # 0011_two_factor: nobody had two-factor authentication set up
    ("users", "totp_secret"): lambda before, row: None,
    ("users", "totp_last_step"): lambda before, row: None,
    ("users", "totp_enabled_at"): lambda before, row: None,
    # 0012_token_expiry: existing tokens expire 90 days after they were made (or 30 days after the upgrade)
    ("api_tokens", "expires_at"): _token_expiry,
    ("api_tokens", "expiry_reminded_at"): lambda before, row: None,
    # 0013_single_sign_on: whoever has a password accepted their invitation (at their last sign-in, or
    # when the account was made); nobody is restricted to a sign-in provider yet
    ("users", "activated_at"):
        lambda before, row: (row["last_login_at"] or row["created_at"]) if row["password_hash"] else None,
    ("users", "sso_only"): lambda before, row: False,
    # 0016_shared_returns: every existing response was the agency's own answer
    ("audit_responses", "source"): lambda before, row: "agency",
    ("audit_responses", "shared_return_id"): lambda before, row: None,
    # 0017_imported_baseline: every existing audit was run here
    ("audits", "imported"): lambda before, row: False,
    ("audits", "import_note"): lambda before, row: "",
    # 0018_privacy: nobody has been erased; training_0004: nobody is recorded as having left
    ("users", "erased_at"): lambda before, row: None,
    ("training_people", "left_on"): lambda before, row: None,
}


# -- the database before and after ------------------------------------------------------------


def _plain(value):
    """A value as the driver gave it, made hashable and comparable (the same driver reads both sides)."""
    if isinstance(value, datetime | date | time):
        return f"{type(value).__name__}:{value.isoformat()}"
    if isinstance(value, Decimal):
        return f"decimal:{value}"
    if isinstance(value, bytes | bytearray | memoryview):
        return f"bytes:{bytes(value).hex()}"
    if isinstance(value, dict | list):
        return f"json:{json.dumps(value, sort_keys=True)}"
    return value


def snapshot(url: str) -> dict:
    """``{table: {"columns": [...], "rows": [{column: value}]}}``: every row of every table, read with
    plain SQL (no model of either release in between)."""
    engine = sa.create_engine(url)
    tables = {}
    try:
        with engine.connect() as conn:
            for name in sorted(sa.inspect(conn).get_table_names()):
                result = conn.exec_driver_sql(f'SELECT * FROM "{name}"')  # our own table names
                columns = list(result.keys())
                tables[name] = {"columns": columns,
                                "rows": [dict(zip(columns, map(_plain, row), strict=True)) for row in result]}
    finally:
        engine.dispose()
    return tables


def _rows(table: dict, columns) -> Counter:
    return Counter(tuple(row[c] for c in columns) for row in table["rows"])


def _applied(scripts, version_rows) -> set:
    """Every revision a database has: those in alembic_version and all they build on."""
    todo, applied = list(version_rows), set()
    while todo:
        revision = scripts.get_revision(todo.pop())
        if revision.revision not in applied:
            applied.add(revision.revision)
            todo.extend(revision._all_down_revisions)
    return applied


def _release_tree(dest: Path) -> Path:
    """The previous release's source (core, plugins, migrations, templates), from git."""
    found = subprocess.run(["git", "-C", str(REPOSITORY), "cat-file", "-e", f"{PREVIOUS_RELEASE}^{{commit}}"],
                           capture_output=True, text=True, check=False)
    if found.returncode:
        pytest.fail(f"the previous release (commit {PREVIOUS_RELEASE}) is not in this clone of {REPOSITORY}: "
                    f"the upgrade test needs the repository's history (git fetch --unshallow). {found.stderr}")
    archive = subprocess.run(["git", "-C", str(REPOSITORY), "archive", "--format=tar", PREVIOUS_RELEASE,
                              *RELEASE_PATHS], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def _populate_with_the_release(root: Path, url: str, work: Path) -> dict:
    out = work / "release.json"
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("HSBTRACK_", "PYTHON", "FLASK_")) and key != "DATABASE_URL"}
    env.update(PYTHONPATH=os.pathsep.join([str(root), str(root / "plugins")]), DATABASE_URL=url,
               HSBTRACK_ENV="testing", HSBTRACK_INSTANCE_PATH=str(work / "release-instance"))
    plugins = ",".join(f"{name}={module}" for name, module in RELEASE_PLUGINS.items())
    done = subprocess.run([sys.executable, str(RELEASE_DEMO), str(root), str(out), plugins], cwd=work, env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    if done.returncode:
        pytest.fail(f"the previous release could not build its demo install:\n{done.stdout[-3000:]}\n"
                    f"{done.stderr[-5000:]}")
    return json.loads(out.read_text())


@pytest.fixture(scope="module")
def upgraded(app, tmp_path_factory):
    """A database migrated and filled by the previous release, then upgraded by the current code."""
    work = tmp_path_factory.mktemp("upgrade")
    root = _release_tree(work / "release")
    with spare_database(app, work, "upgrade") as url:
        release = _populate_with_the_release(root, url, work)
        before = snapshot(url)
        current = make_app(SQLALCHEMY_DATABASE_URI=url, HSBTRACK_PLUGINS=",".join(RELEASE_PLUGINS))
        current.test_client_class = IsolatedClient
        assert set(RELEASE_PLUGINS) <= set(current.extensions["hsbtrack_plugins"].infos), \
            "every plugin of the release is installed"
        with current.app_context():
            scripts = ScriptDirectory.from_config(current.extensions["migrate"].migrate.get_config())
            upgrade(revision="heads")
            db.session.remove()
            db.engine.dispose()
        after = snapshot(url)
        yield SimpleNamespace(url=url, app=current, release=release, before=before, after=after, scripts=scripts)
        with current.app_context():
            db.session.remove()
            db.engine.dispose()


def _where(snap, table, **match) -> list[dict]:
    return [row for row in snap[table]["rows"] if all(row[k] == v for k, v in match.items())]


def _iso(value) -> str:
    """A snapshot's date as ISO text (SQLite's driver gives text, PostgreSQL's a date)."""
    return value.removeprefix("date:")


def _json(value):
    """A snapshot's JSON column decoded (SQLite's driver gives the JSON text, PostgreSQL's the value)."""
    if not is_postgres():
        return json.loads(value)
    return json.loads(value.removeprefix("json:")) if value.startswith("json:") else value


def _one(snap, table, **match) -> dict:
    rows = _where(snap, table, **match)
    assert len(rows) == 1, f"{table} {match}: {len(rows)} rows"
    return rows[0]


# -- the schema moved on ----------------------------------------------------------------------


def test_the_release_is_filled_and_the_upgrade_reaches_every_head(upgraded):
    before, after, scripts = upgraded.before, upgraded.after, upgraded.scripts
    assert sorted(row["version_num"] for row in before["alembic_version"]["rows"]) == upgraded.release["heads"]
    assert set(RELEASE_PLUGINS) <= set(upgraded.release["plugins"])
    core = ("users", "memberships", "areas", "agencies", "audits", "audit_responses", "audit_agreed_scores",
            "history_entries", "actions", "plugin_states")
    empty = [table for table in core if not before[table]["rows"]]
    empty += [plugin for plugin in RELEASE_PLUGINS
              if not any(rows["rows"] for table, rows in before.items() if table.startswith(f"{plugin}_"))]
    assert not empty, f"the release's demo left these empty, so the comparison would prove little: {empty}"

    had = _applied(scripts, upgraded.release["heads"])
    has = _applied(scripts, [row["version_num"] for row in after["alembic_version"]["rows"]])
    assert set(scripts.get_heads()) <= has, "the upgrade reaches every head"
    assert had < has, "the release is older than the current migrations (else this test proves nothing)"


# -- the data ---------------------------------------------------------------------------------


def test_every_row_survives_the_upgrade(upgraded):
    """Every table the release had, every column it had, every row: the same after the upgrade."""
    before, after = upgraded.before, upgraded.after
    problems = []
    for table, old in before.items():
        if table == "alembic_version":
            continue
        new = after.get(table)
        if new is None:
            problems.append(f"{table}: the table is gone ({len(old['rows'])} rows)")
            continue
        dropped = [c for c in old["columns"] if c not in new["columns"]]
        if dropped:
            problems.append(f"{table}: columns gone: {dropped}")
            continue
        was, now = _rows(old, old["columns"]), _rows(new, old["columns"])
        if was != now:
            lost, gained = list((was - now).elements()), list((now - was).elements())
            problems.append(f"{table} {old['columns']}: {len(lost)} rows lost or changed, e.g. {lost[:3]}; "
                            f"{len(gained)} rows new or changed, e.g. {gained[:3]}")
    assert not problems, "the upgrade changed the release's data:\n" + "\n".join(problems)


def test_what_the_upgrade_adds_is_what_its_migrations_say(upgraded):
    before, after = upgraded.before, upgraded.after
    problems = []
    for table in sorted(set(after) - set(before)):
        if after[table]["rows"]:
            problems.append(f"new table {table} is not empty: {after[table]['rows'][:3]}")
    for table in sorted(set(after) & set(before)):
        for column in [c for c in after[table]["columns"] if c not in before[table]["columns"]]:
            expected = EXPECTED_NEW_COLUMNS.get((table, column))
            if expected is None:
                problems.append(f"new column {table}.{column}: declare in EXPECTED_NEW_COLUMNS what the upgrade "
                                f"puts there for existing rows")
                continue
            wrong = [(row.get("id"), row[column], expected(before, row)) for row in after[table]["rows"]
                     if row[column] != expected(before, row)]
            if wrong:
                problems.append(f"{table}.{column} (id, is, should be): {wrong[:5]}")
    assert not problems, "\n".join(problems)
    assert _plan_action_ids(before), "the release's demo has a CARM plan action (scotland_0002 has work to do)"


def test_accounts_memberships_and_roles_are_unchanged(upgraded):
    """The accounts as the release's models read them, and as the current ones do after the upgrade."""
    with upgraded.app.app_context():
        now = accounts(db.session, User, Membership, Area, Region, Agency)
        declared = set(upgraded.app.extensions["hsbtrack_roles"])
        db.session.remove()
    assert now == upgraded.release["accounts"]
    roles = {membership[0] for account in now.values() for membership in account["memberships"]}
    assert roles, "the demo gives roles"
    assert roles <= declared, f"memberships with roles the current code does not know: {roles - declared}"


def test_keys_and_sequences_hold_after_the_upgrade(upgraded):
    """SQLite: every foreign key still points at a row (a rebuilt table keeps its references). PostgreSQL:
    every id sequence is past its table's rows, so a new record gets a fresh id."""
    if not is_postgres():
        engine = sa.create_engine(upgraded.url)
        with engine.connect() as conn:
            broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
        engine.dispose()
        assert not broken, f"SQLite: rows whose foreign key points nowhere after the upgrade: {broken[:5]}"
        return
    engine = sa.create_engine(upgraded.url)
    behind = []
    with engine.connect() as conn:
        for table, data in upgraded.after.items():
            if "id" not in data["columns"] or not data["rows"]:
                continue
            sequence = conn.execute(sa.text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table}).scalar()
            if sequence is None:
                continue
            last = conn.exec_driver_sql(f"SELECT last_value FROM {sequence}").scalar()
            highest = max(row["id"] for row in data["rows"])
            if last < highest:
                behind.append((table, last, highest))
    engine.dispose()
    assert not behind, f"(table, sequence at, highest id): {behind}"


# -- what a user would notice ------------------------------------------------------------------


def _signed_in(upgraded, email):
    client = upgraded.app.test_client()
    login(client, email, upgraded.release["demo_password"])
    return client


def _page(client, endpoint, **values) -> str:
    with client.application.test_request_context():
        path = url_for(endpoint, **values)
    response = client.get(path)
    assert response.status_code == 200, f"{path}: {response.status_code}"
    return response.get_data(as_text=True)


def test_every_demo_login_still_signs_in(upgraded):
    logins = [email for email, account in upgraded.release["accounts"].items() if account["password_hash"]]
    assert len(logins) >= 10, logins
    for email in logins:
        client = _signed_in(upgraded, email)
        response = client.get("/", follow_redirects=True)
        assert response.status_code == 200, email
        assert response.request.path != "/login", email


def test_plugin_records_and_history_are_on_their_pages(upgraded):
    """Each plugin's records, read by the user of the demo who reads them, and a statement's history."""
    before = upgraded.before

    def area_of(plugin):
        return _one(before, "plugin_states", plugin=plugin, enabled=True)["area_id"]

    # CARM cases, for the case worker; the plan action behind the case wall now (scotland_0002)
    glenmore = area_of("scotland")
    worker, board = _signed_in(upgraded, "caseworker@example.org"), _signed_in(upgraded, "board@example.org")
    cases = _where(before, "scotland_cases", area_id=glenmore)
    home = _page(worker, "scotland.home", area_id=glenmore)
    for case in cases:
        assert case["reference"] in home
        assert case["reference"] in _page(worker, "scotland.case", area_id=glenmore, case_id=case["id"])
    titles = [str(escape(_one(before, "actions", id=i)["title"])) for i in _plan_action_ids(before)]
    plan_for_worker = _page(worker, "actions.plan", area_id=glenmore)
    plan_for_board = _page(board, "actions.plan", area_id=glenmore)
    for title in titles:
        assert title in plan_for_worker
        assert title not in plan_for_board, "a CARM plan action is walled from a board manager without cases"

    # training: every completion through the API, every course on its page
    riverside = area_of("training")
    trainer = _signed_in(upgraded, "training@example.org")
    with upgraded.app.app_context():
        token = api_headers(db.session.scalar(sa.select(User).where(User.email == "training@example.org")))
        db.session.remove()
    seen, after_id = [], None
    while True:
        with trainer.application.test_request_context():
            path = url_for("api_training.list_completions", area_id=riverside, limit=50,
                           **({"after_id": after_id} if after_id else {}))
        response = trainer.get(path, headers=token)
        assert response.status_code == 200, response.get_data(as_text=True)
        page = response.get_json()
        seen += [(item["id"], item["course_id"], item["completed_on"]) for item in page["items"]]
        after_id = page["next_after_id"]
        if after_id is None:
            break
    stored = _where(before, "training_completions", area_id=riverside)
    assert sorted(seen) == sorted((row["id"], row["course_id"], _iso(row["completed_on"])) for row in stored)
    courses = _page(trainer, "training.courses", area_id=riverside)
    for course in _where(before, "training_courses", area_id=riverside):
        assert str(escape(course["title"])) in courses

    # schools, for the board manager (schools.assess comes with area.manage)
    schools_area = area_of("schools")
    schools = _page(board, "schools.home", area_id=schools_area)
    for school in _where(before, "schools_schools", area_id=schools_area):
        assert str(escape(school["name"])) in schools

    # the regional round, for the regional coordinator
    regional = _one(before, "plugin_states", plugin="regional", enabled=True)["region_id"]
    rounds = _page(board, "regional_region.home", region_id=regional)
    for round_ in _where(before, "regional_rounds", region_id=regional):
        assert str(escape(round_["title"])) in rounds

    # a statement's history: the moderation meeting's justification
    entry = _where(before, "history_entries", entity="agreed_score", field="justification")[0]
    statement = _page(board, "moderation.statement", area_id=entry["area_id"], audit_id=entry["audit_id"],
                      code=entry["code"])
    assert str(escape(_json(entry["new_value"]))) in statement
