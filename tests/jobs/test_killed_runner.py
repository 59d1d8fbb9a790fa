"""A runner killed mid-job, for real: ``jobs.services.run_pending`` (what ``hsbtrack jobs run`` and the
scheduler's ``core.jobs`` scan call) in a subprocess on the suite's database, working a job whose kind
blocks in one long step, killed with SIGKILL. While it lived, its heartbeat thread kept the job running;
once the stale time passes, the job page shows it failed with "Run it again", nothing is offered for
download (page, API) and nothing was stored; "Run it again" queues a fresh job that completes."""

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from hsbtrack.extensions import db
from hsbtrack.jobs import services as jobs
from hsbtrack.jobs.models import DONE, FAILED, QUEUED, RUNNING, Job
from hsbtrack.storage import storage
from tests.conftest import csrf_token, login
from tests.jobs import slow_kind

ROOT = Path(__file__).resolve().parents[2]
STALE_MINUTES = 0.05  # 3 s without a heartbeat (a beat every 0.6 s)

RUNNER = textwrap.dedent("""
    import os

    import tests.jobs.slow_kind  # noqa: F401  (registers test.slow)
    from tests.conftest import make_app
    from hsbtrack.jobs import services

    app = make_app(SQLALCHEMY_DATABASE_URI=os.environ["TEST_DB_URI"],
                   HSBTRACK_JOB_STALE_MINUTES=float(os.environ["TEST_STALE_MINUTES"]))
    with app.app_context():
        print("ran", services.run_pending(), flush=True)
""")


def _job(job_id) -> Job:
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(Job, job_id)


def _page(client, job_id) -> str:
    return client.get(f"/jobs/{job_id}").get_data(as_text=True)


def test_a_runner_killed_mid_job_leaves_a_failed_job_to_run_again(world, app, client, monkeypatch):
    area = world.area("Riverside")
    board = world.user("board@riverside.example", area, "board_manager")
    monkeypatch.setitem(app.config, "HSBTRACK_JOB_STALE_MINUTES", STALE_MINUTES)
    stale = jobs.stale_after(app).total_seconds()
    with app.test_request_context():
        job_id = jobs.create_job(slow_kind.NAME, user=board, area_id=area.id).id
    stored_before = set(storage().keys(jobs.KEY_PREFIX))  # (earlier tests' files: job ids start again at 1)
    env = {**os.environ, "TEST_DB_URI": app.config["SQLALCHEMY_DATABASE_URI"],
           "TEST_STALE_MINUTES": str(STALE_MINUTES), "HSBTRACK_TEST_JOB_BLOCK": "1", "HSBTRACK_ENV": "testing",
           "SECRET_KEY": "testing-only-key", "PYTHONPATH": str(ROOT)}
    runner = subprocess.Popen([sys.executable, "-c", RUNNER], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        line = runner.stdout.readline()
        assert line.strip() == f"blocking {job_id}", runner.stderr.read()[-3000:] if runner.poll() is not None else line
        login(client, board)
        started = _job(job_id)
        assert started.status == RUNNING and started.progress == 30
        first_beat = started.heartbeat_at
        # The kind blocks and reports nothing more; the runner's heartbeat thread keeps the job alive.
        time.sleep(stale + 1)
        alive = _job(job_id)
        assert alive.heartbeat_at > first_beat and jobs.shown_status(alive) == RUNNING
        body = _page(client, job_id)
        assert "Being made: 30% done" in body and "Run it again" not in body
        runner.send_signal(signal.SIGKILL)
        runner.wait(timeout=10)
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait(timeout=10)
    assert runner.returncode == -signal.SIGKILL

    # The heartbeat stopped with the process: once the stale time passes, the job reads as failed.
    deadline = time.monotonic() + stale * 4
    while "It did not finish" not in (body := _page(client, job_id)):
        assert time.monotonic() < deadline, body
        time.sleep(0.25)
    assert "Run it again" in body and "Nothing was kept from it" in body
    assert "/download" not in body and "Download" not in body
    assert client.get(f"/jobs/{job_id}/download").status_code == 404
    token = csrf_token(client, f"/jobs/{job_id}")
    api = client.get(f"/api/v1/jobs/{job_id}", headers={"X-CSRFToken": token}).get_json()
    assert api["status"] == FAILED and api["download_url"] is None and api["expired"] is False
    killed = _job(job_id)
    assert killed.result_key is None and killed.result_filename is None and killed.finished_at is None
    assert set(storage().keys(jobs.KEY_PREFIX)) == stored_before  # no bytes stored for it

    # "Run it again": a fresh job, worked to the end by the next run (which records the dead one as failed).
    again = client.post(f"/jobs/{job_id}/again", data={"csrf_token": token})
    assert again.status_code == 302
    new_id = int(re.search(r"/jobs/(\d+)$", again.headers["Location"]).group(1))
    assert new_id != job_id and _job(new_id).status == QUEUED
    assert jobs.run_pending() == 1
    assert _job(job_id).status == FAILED and _job(job_id).message == jobs.STALE
    assert _job(new_id).status == DONE
    body = _page(client, new_id)
    assert "Ready" in body and f'href="/jobs/{new_id}/download"' in body
    download = client.get(f"/jobs/{new_id}/download")
    assert download.status_code == 200 and download.data == slow_kind.DATA


@pytest.fixture(autouse=True)
def _no_block_here(monkeypatch):
    monkeypatch.delenv("HSBTRACK_TEST_JOB_BLOCK", raising=False)  # (only the runner in the subprocess blocks)
