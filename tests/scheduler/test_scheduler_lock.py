"""One scheduler at a time: the database lock (a lock row on SQLite, an advisory lock on
PostgreSQL), two scheduler processes racing against the same database, the ``hsbtrack scheduler
--once`` command and the embedded scheduler."""

import json
import os
import subprocess
import sys
import textwrap
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import time_machine
from sqlalchemy import func, select, text

from tests.conftest import is_postgres, make_app
from tests.scheduler.conftest import T2_DUE, at, naive, notifications

ROOT = Path(__file__).resolve().parents[2]
REMINDER_DAY = T2_DUE - timedelta(days=30)  # Monday 15 June 2026: re-audit prompts, action reminders, digests


# -- the lock ---------------------------------------------------------------------------------------


def test_a_second_scheduler_does_not_run_jobs_while_the_first_lives(app, ctx):
    from hsbtrack.scheduler.runner import SchedulerLockGuard, run_all

    first, second = SchedulerLockGuard(app), SchedulerLockGuard(app)
    try:
        assert first.acquire()
        assert first.acquire()  # re-entrant for its holder (the heartbeat)
        assert not second.acquire()
        assert run_all(app) == {}  # a one-off run is refused too
        if is_postgres():
            _postgres_takeover(app, first, second)
        else:
            _sqlite_takeover(first, second)
    finally:
        first.release()
        second.release()
    assert run_all(app) != {}  # once both are gone, a run goes ahead (and gives the lock back)
    third = SchedulerLockGuard(app)
    assert third.acquire()
    third.release()


def _sqlite_takeover(first, second):
    from hsbtrack.scheduler.runner import STALE_AFTER

    # The first keeps its heartbeat fresh: the second waits.
    with time_machine.travel(at(REMINDER_DAY, 9), tick=False) as clock:
        assert first.acquire()
        clock.shift(STALE_AFTER - timedelta(seconds=30))
        assert not second.acquire()
        assert first.acquire()
        clock.shift(STALE_AFTER - timedelta(seconds=30))
        assert not second.acquire()
        # The first dies (no heartbeat): after STALE_AFTER the second takes over...
        clock.shift(STALE_AFTER + timedelta(seconds=1))
        assert second.acquire()
        # ...and the first, if it comes back, is refused.
        assert not first.acquire()
        clock.shift(timedelta(minutes=1))
        assert second.acquire()
    # Releasing lets the other one in at once.
    second.release()
    assert first.acquire()


def _postgres_takeover(app, first, second):
    from hsbtrack.extensions import db

    # The first scheduler's process dies: the server drops its connection and its advisory lock.
    pid = first._pg_connection.execute(text("SELECT pg_backend_pid()")).scalar()
    first._pg_connection.commit()
    with app.app_context(), db.engine.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
        conn.commit()
    deadline = time.monotonic() + 5
    while not second.acquire():
        assert time.monotonic() < deadline, "the second scheduler never took over"
        time.sleep(0.05)
    # The first notices its connection is gone and does not believe it still holds the lock.
    assert not first.acquire()
    assert first._pg_connection is None
    second.release()
    assert first.acquire()


# -- two scheduler processes against the same database ----------------------------------------------

CHILD = textwrap.dedent("""
    import json, os, sys
    from datetime import datetime

    from tests.conftest import make_app
    from hsbtrack.scheduler.runner import run_all, run_job, scheduled_jobs

    app = make_app(SQLALCHEMY_DATABASE_URI=os.environ["TEST_DB_URI"], MAIL_SERVER="127.0.0.1",
                   MAIL_PORT=int(os.environ["TEST_SMTP_PORT"]), HSBTRACK_BASE_URL="https://hsb.example.org")
    now = datetime.fromisoformat(os.environ["TEST_NOW"])
    jobs = [j for j in scheduled_jobs(app) if j.name.startswith("core.")]
    print("ready", flush=True)
    sys.stdin.readline()  # both processes start together
    # As the scheduler does (with the lock)...
    locked = run_all(app, now=now)
    # ...and again straight away without it, as if the lock had failed: the keys alone must hold.
    unlocked = {j.name: run_job(app, j, now) for j in jobs}
    print(json.dumps({"locked": locked, "unlocked": unlocked}, default=str), flush=True)
""")


def test_two_scheduler_processes_send_each_reminder_once(app, world, smtp_server, tmp_path):
    from hsbtrack.notifications.models import Notification
    from tests.scheduler.conftest import Scene

    scene = Scene(world)
    scene.action(REMINDER_DAY + timedelta(days=7), title="Due soon")
    scene.action(REMINDER_DAY - timedelta(days=5), title="Late")
    env = {
        **os.environ,
        "TEST_DB_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "TEST_SMTP_PORT": str(smtp_server.port),
        "TEST_NOW": naive(REMINDER_DAY).isoformat(),
        "HSBTRACK_INSTANCE_PATH": str(tmp_path),
        "HSBTRACK_ENV": "testing",
        "SECRET_KEY": "testing-only-key",
        "PYTHONPATH": str(ROOT),
    }
    children = [subprocess.Popen([sys.executable, "-c", CHILD], cwd=ROOT, env=env, stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        for child in children:
            line = child.stdout.readline()
            assert line.strip() == "ready", child.stderr.read()[-3000:]
        for child in children:
            child.stdin.write("go\n")
            child.stdin.flush()
        outputs = [child.communicate(timeout=60) for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
    results = []
    for child, (out, err) in zip(children, outputs, strict=True):
        assert child.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))

    # Across both processes and both rounds, each reminder was made once.
    made = Counter()
    for result in results:
        for round_ in ("locked", "unlocked"):
            for name, count in result[round_].items():
                if name.startswith("core."):
                    made[name] += count
    # (no return is due in this scene: the returns scan runs and sends nothing)
    assert made == {"core.reaudits": 2, "core.actions": 2, "core.digests": 3, "core.returns": 0,
                    "core.api_tokens": 0, "core.jobs": 0, "core.jobs_purge": 0, "core.retention": 0}, results

    from hsbtrack.extensions import db

    db.session.expire_all()
    keys = Counter(db.session.scalars(select(Notification.key)))
    assert len(keys) == 7 and set(keys.values()) == {1}
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.emailed_at.is_(None))) == 0

    # The SMTP server received each email exactly once.
    deadline = time.monotonic() + 5
    while len(smtp_server.messages) < 7 and time.monotonic() < deadline:
        time.sleep(0.05)
    received = smtp_server.by_recipient()
    assert sum(received.values()) == 7
    assert set(received.values()) == {1}
    expected = {(n.user_id, n.subject) for n in notifications()}
    addresses = {scene.board.id: "board@example.org", scene.board2.id: "deputy@example.org",
                 scene.owner.id: "owner@example.org"}
    assert set(received) == {(addresses[user_id], subject) for user_id, subject in expected}


# -- the command and the embedded scheduler ---------------------------------------------------------


def test_scheduler_once_prints_what_ran(app, world, outbox):
    from tests.scheduler.conftest import Scene

    Scene(world)
    with time_machine.travel(at(REMINDER_DAY), tick=False):
        result = app.test_cli_runner().invoke(args=["scheduler", "--once"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "core.reaudits: 2" in lines
    assert "core.actions: 0" in lines
    assert "core.digests: 2" in lines
    assert "example.job: None" in lines
    assert len(outbox) == 4


def test_scheduler_once_says_when_another_scheduler_runs(app, ctx):
    from hsbtrack.scheduler.runner import SchedulerLockGuard

    other = SchedulerLockGuard(app)
    assert other.acquire()
    try:
        result = app.test_cli_runner().invoke(args=["scheduler", "--once"])
    finally:
        other.release()
    assert result.exit_code == 0
    assert "Another scheduler holds the lock: nothing ran." in result.output


def test_the_embedded_scheduler_starts_on_the_first_request_not_for_commands(app, ctx):
    from hsbtrack.scheduler.runner import stop_embedded

    embedded = make_app(HSBTRACK_SCHEDULER="embedded")
    result = embedded.test_cli_runner().invoke(args=["example-hello"])
    assert result.exit_code == 0
    assert "hsbtrack_scheduler" not in embedded.extensions

    try:
        assert embedded.test_client().get("/login").status_code == 200
        scheduler = embedded.extensions["hsbtrack_scheduler"]
        assert scheduler.running
        ids = {job.id for job in scheduler.get_jobs()}
        assert {"core.reaudits", "core.actions", "core.digests", "example.job", "lock-heartbeat"} <= ids
        embedded.test_client().get("/login")
        assert embedded.extensions["hsbtrack_scheduler"] is scheduler  # one per process
    finally:
        stop_embedded(embedded)
    assert "hsbtrack_scheduler" not in embedded.extensions
    assert not scheduler.running

    off = make_app()  # HSBTRACK_SCHEDULER=off (tests, and production's default: `hsbtrack scheduler`)
    off.test_client().get("/login")
    assert "hsbtrack_scheduler" not in off.extensions


def test_a_standby_scheduler_retries_soon_instead_of_waiting_hours(app, ctx):
    from datetime import UTC, datetime

    from hsbtrack.scheduler.runner import SchedulerLockGuard, build_scheduler

    holder = SchedulerLockGuard(app)
    assert holder.acquire()
    scheduler = build_scheduler(app)
    try:
        scheduler.start(paused=True)
        job = scheduler.get_job("core.reaudits")
        job.func()  # refused: another scheduler holds the lock
        retry_at = scheduler.get_job("core.reaudits").next_run_time
        assert retry_at - datetime.now(UTC) < timedelta(minutes=2)
        assert notifications() == []
    finally:
        scheduler.shutdown(wait=False)
        scheduler.hsbtrack_guard.release()
        holder.release()
