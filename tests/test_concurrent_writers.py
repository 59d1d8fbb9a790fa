"""Several people writing the same records at once, against the production server: never a server
error, never a lost write (docs/architecture.md, "Transactions").

gunicorn (2 workers x 4 threads, production settings) serves a database of its own — a SQLite file,
or a fresh PostgreSQL database beside the suite's when DATABASE_URL names one. Nine writers hammer
three agencies' answers to three statements (which start empty, so first writes collide) and one
action, for a few seconds, half of them sending the version they read and half not. Every write
carries a text no other write uses, so that afterwards each write answered 200 must be found in the
history (and the last of them is the value now held), and every other write must have been told 409.
"""

import json
import os
import random
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import JSON, Integer, String, create_engine, text

from hsbtrack.testing import spare_database

WRITERS = 9
SECONDS = float(os.environ.get("HSBTRACK_RACE_SECONDS", "8"))
CODES = ("1.1", "1.2", "1.3")
BIN = Path(sys.executable).parent

SEED = """
import json, sys
from hsbtrack import create_app
from hsbtrack.extensions import db
from hsbtrack.areas.services import add_area_member, create_agency, create_area
from hsbtrack.audits.services import open_audit
from hsbtrack.actions.services import create_action
from hsbtrack.auth.services import issue_api_token

app = create_app()
with app.app_context():
    area = create_area("Raceford")
    for name in ("Police", "Health", "Education"):
        create_agency(area, name)
    _m, board, _c = add_area_member(area, "board@race.example", "board_manager")
    db.session.commit()
    audit = open_audit(area, user=board)
    action = create_action(area, title="Write the HSB pathway", owner=board, due_on="2027-03-31",
                           statements=["1.1"], user=board)
    print(json.dumps({"audit": audit.id, "agencies": [a.id for a in area.agencies], "action": action.id,
                      "token": issue_api_token(board, "race")}))
"""


@pytest.fixture()
def database(app, tmp_path):
    """A database of the suite's kind for the server alone, dropped afterwards."""
    with spare_database(app, tmp_path, "race") as url:
        yield url


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def server(database, tmp_path):
    env = {**os.environ, "DATABASE_URL": database, "HSBTRACK_INSTANCE_PATH": str(tmp_path),
           "HSBTRACK_SCHEDULER": "off"}
    subprocess.run([str(BIN / "hsbtrack"), "db", "upgrade"], env={**env, "HSBTRACK_ENV": "development"},  # noqa: S603
                   check=True, capture_output=True)
    seeded = subprocess.run([sys.executable, "-c", SEED], env={**env, "HSBTRACK_ENV": "development"},  # noqa: S603
                            check=True, capture_output=True, text=True)
    ids = json.loads(seeded.stdout.strip().splitlines()[-1])
    port = free_port()
    log = tmp_path / "gunicorn.log"
    process = subprocess.Popen(  # noqa: S603
        [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4",
         "--error-logfile", str(log), "hsbtrack:create_app()"],
        env={**env, "HSBTRACK_ENV": "production", "SECRET_KEY": secrets.token_hex(32), "HSBTRACK_SECURE_COOKIES": "0"},
        start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=2).close()  # noqa: S310  (loopback)
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise AssertionError(f"the server did not start: {log.read_text() if log.exists() else ''}") from None
            time.sleep(0.2)
    try:
        yield base, ids, database
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def call(base, token, method, path, body=None):
    request = urllib.request.Request(
        base + path, method=method, data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310  (loopback)
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def writer(number, base, ids, stop, results):
    """One person: answers and action changes, each with a text of its own; with the version they
    read every other time."""
    chance = random.Random(number)  # noqa: S311  (not for security)
    token = ids["token"]
    sequence = 0
    while not stop.is_set():
        sequence += 1
        mark = f"w{number}-{sequence}"
        versioned = sequence % 2 == 0
        if chance.random() < 0.75:
            agency, code = chance.choice(ids["agencies"]), chance.choice(CODES)
            path = f"/api/v1/audits/{ids['audit']}/responses/{agency}/{code}"
            body = {"score": chance.randint(0, 4), "evidence": mark}
            if versioned:
                status, listed = call(base, token, "GET", f"/api/v1/audits/{ids['audit']}/responses?agency_id={agency}")
                assert status == 200, listed
                body["version"] = next((r["version"] for r in listed if r["code"] == code), 0)
            status, answer = call(base, token, "PUT", path, body)
            results.append(("response", (agency, code), mark, versioned, status, answer))
        else:
            path = f"/api/v1/actions/{ids['action']}"
            body = {"description": mark}
            if versioned:
                status, current = call(base, token, "GET", path)
                assert status == 200, current
                body["version"] = current["version"]
            status, answer = call(base, token, "PATCH", path, body)
            results.append(("action", ids["action"], mark, versioned, status, answer))


def history_values(database, entity, field):
    engine = create_engine(database)
    try:
        with engine.connect() as conn:
            query = text("SELECT entity_id, new_value FROM history_entries WHERE entity = :e AND field = :f ORDER BY id")
            return conn.execute(query.columns(entity_id=Integer, new_value=JSON), {"e": entity, "f": field}).all()
    finally:
        engine.dispose()


def test_nine_writers_on_the_same_records_get_no_server_error_and_lose_no_write(server):
    base, ids, database = server
    results, stop = [], threading.Event()
    threads = [threading.Thread(target=writer, args=(n, base, ids, stop, results)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    time.sleep(SECONDS)
    stop.set()
    for thread in threads:
        thread.join(timeout=120)

    statuses = Counter(r[4] for r in results)
    assert len(results) > 100, statuses
    assert not [r for r in results if r[4] >= 500], statuses
    assert set(statuses) <= {200, 409}, statuses
    # without a version the last write wins: never a conflict
    assert not [r for r in results if not r[3] and r[4] != 200], statuses

    saved = {r[2] for r in results if r[4] == 200}
    told = {r[2] for r in results if r[4] == 409}
    in_history = {v for _id, v in history_values(database, "response", "evidence")} | {
        v for _id, v in history_values(database, "action", "description")}
    assert saved <= in_history, f"{len(saved - in_history)} writes answered 200 but are not in the history"
    assert not (told & in_history), "a write told 409 was saved all the same"
    for r in results:
        if r[4] == 409:  # the conflict shows the record as it now is
            assert r[5]["error"]["code"] == "conflict" and r[5]["current"]["version"] >= 1, r[5]

    # What each record holds now is the last write the history has for it.
    status, listed = call(base, ids["token"], "GET", f"/api/v1/audits/{ids['audit']}/responses")
    assert status == 200
    engine = create_engine(database)
    with engine.connect() as conn:
        last = dict(conn.execute(text(
            "SELECT r.agency_id || ':' || r.code AS record, h.new_value FROM history_entries h JOIN audit_responses r "
            "ON r.id = h.entity_id WHERE h.entity = 'response' AND h.field = 'evidence' AND h.id = ("
            "SELECT max(id) FROM history_entries WHERE entity = 'response' AND field = 'evidence' "
            "AND entity_id = h.entity_id)").columns(record=String, new_value=JSON)).all())
    engine.dispose()
    assert len(listed) == len(last) > 0
    for row in listed:
        assert row["evidence"] == last[f"{row['agency_id']}:{row['code']}"]
    print(f"\n{len(results)} writes by {WRITERS} writers in {SECONDS:.0f} s: {dict(statuses)}")
