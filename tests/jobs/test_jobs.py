"""Jobs: claimed by one runner, shown as failed with "Run it again" when their runner died, their files
only for the person who asked (and administrators), removed when they expire."""

import io
from datetime import timedelta

import pytest

from hsbtrack.audits.services import open_audit
from hsbtrack.extensions import db
from hsbtrack.jobs import services as jobs
from hsbtrack.jobs.models import DONE, FAILED, QUEUED, RUNNING, Job
from hsbtrack.storage import storage
from hsbtrack.timeutil import utcnow
from tests.conftest import World, csrf_token, login


@pytest.fixture()
def world(ctx):
    build = World()
    w = type("W", (), {})()
    w.area = build.area("Riverside")
    w.other_area = build.area("Hillside")
    w.board = build.user("board@riverside.example", w.area, "board_manager")
    w.board2 = build.user("board2@riverside.example", w.area, "board_manager")
    w.other_board = build.user("board@hillside.example", w.other_area, "board_manager")
    w.admin = build.user("admin@example.org", admin=True)
    w.audit = open_audit(w.area)
    return w


def _job(w, status=QUEUED, user=None, **values):
    values = {"progress": 0, "message": "", "attempt": 0, **values}
    job = Job(kind="audit.report", area_id=w.area.id, requested_by_id=(user or w.board).id,
              parameters={"audit_id": w.audit.id, "format": "pdf", "lang": "en"}, status=status, **values)
    db.session.add(job)
    db.session.commit()
    return job


def _done_job(w, user=None, expires_in=timedelta(days=7)):
    key = f"jobs/test-{utcnow().timestamp()}.pdf"
    storage().put(key, io.BytesIO(b"%PDF-1.7 the report"))
    now = utcnow()
    return _job(w, DONE, user=user, progress=100, result_key=key, result_filename="board-report.pdf",
                result_content_type="application/pdf", finished_at=now, expires_at=now + expires_in)


def test_two_runners_never_take_the_same_job(world):
    job = _job(world)
    first = jobs.claim_next("runner-a")
    second = jobs.claim_next("runner-b")
    assert first is not None and first.id == job.id and first.runner == "runner-a" and first.attempt == 1
    assert second is None  # (the conditional UPDATE: a queued job is taken once)


def test_a_job_whose_runner_died_is_failed_with_run_it_again_and_offers_nothing(world, client):
    job = _job(world, RUNNING, runner="dead:1:x", started_at=utcnow() - timedelta(minutes=20),
               heartbeat_at=utcnow() - timedelta(minutes=20), progress=40)
    login(client, world.board)
    page = client.get(f"/jobs/{job.id}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "It did not finish" in body and "Run it again" in body
    assert f"/jobs/{job.id}/download" not in body
    assert client.get(f"/jobs/{job.id}/download").status_code == 404
    token = csrf_token(client, f"/jobs/{job.id}")
    api = client.get(f"/api/v1/jobs/{job.id}", headers={"X-CSRFToken": token}).get_json()
    assert api["status"] == "failed" and api["download_url"] is None
    # the scan records it as failed; "Run it again" queues a new job for the same report
    jobs.fail_stale()
    db.session.expire_all()
    assert db.session.get(Job, job.id).status == FAILED
    again = client.post(f"/jobs/{job.id}/again", data={"csrf_token": token})
    assert again.status_code == 302
    new_id = int(again.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    new = db.session.get(Job, new_id)
    assert new.id != job.id and new.status == QUEUED and new.parameters["audit_id"] == world.audit.id
    assert "Waiting to start" in client.get(f"/jobs/{new_id}").get_data(as_text=True)


def test_only_the_person_who_asked_and_administrators_may_download(world, app):
    job = _done_job(world)
    clients = {}
    for name in ("board", "board2", "other_board", "admin"):
        clients[name] = app.test_client()
        login(clients[name], getattr(world, name))
    mine = clients["board"].get(f"/jobs/{job.id}/download")
    assert mine.status_code == 200 and mine.data.startswith(b"%PDF")
    assert mine.headers["Content-Disposition"].startswith("attachment")
    assert "Download board-report.pdf" in clients["board"].get(f"/jobs/{job.id}").get_data(as_text=True)
    # a board manager of the same area: the file was made as someone else (it shows what they may read)
    assert clients["board2"].get(f"/jobs/{job.id}/download").status_code == 404
    assert clients["board2"].get(f"/jobs/{job.id}").status_code == 404
    # another area's board manager
    assert clients["other_board"].get(f"/jobs/{job.id}").status_code == 404
    assert clients["other_board"].get(f"/jobs/{job.id}/download").status_code == 404
    assert clients["admin"].get(f"/jobs/{job.id}/download").status_code == 200


def test_the_purge_removes_expired_files_and_half_written_ones(world, client, app):
    expired = _done_job(world, expires_in=timedelta(days=-1))
    kept = _done_job(world)
    orphan = "jobs/999/abandoned.pdf"  # stored by a runner that died before recording it
    storage().put(orphan, io.BytesIO(b"%PDF half"))
    key = expired.result_key
    assert storage().exists(key)
    removed = jobs.purge_expired(app, utcnow())
    assert removed >= 2  # (and whatever earlier tests left under jobs/ with no job recorded)
    assert not storage().exists(key) and not storage().exists(orphan)
    assert storage().exists(kept.result_key)
    login(client, world.board)
    body = client.get(f"/jobs/{expired.id}").get_data(as_text=True)
    assert "This file has expired" in body and "Run it again" in body
    assert client.get(f"/jobs/{expired.id}/download").status_code == 404


def test_the_scheduler_works_the_queue(app):
    from hsbtrack.scheduler.runner import scheduled_jobs

    with app.app_context():
        names = {job.name: job for job in scheduled_jobs(app)}
    assert "core.jobs" in names and names["core.jobs"].hours * 3600 <= 10
    assert "core.jobs_purge" in names


def test_the_api_starts_a_report_job_and_answers_how_far_it_is(world, client):
    login(client, world.board)
    headers = {"X-CSRFToken": csrf_token(client, "/account")}
    refused = client.post(f"/api/v1/audits/{world.audit.id}/report", json={"format": "rtf"}, headers=headers)
    assert refused.status_code == 422 and "format" in refused.get_json()["error"]["fields"]
    started = client.post(f"/api/v1/audits/{world.audit.id}/report", json={"format": "pdf"}, headers=headers)
    assert started.status_code == 202
    body = started.get_json()
    assert body["status"] == "queued" and body["progress"] == 0 and body["download_url"] is None
    assert jobs.run_pending() == 1
    done = client.get(f"/api/v1/jobs/{body['id']}", headers=headers).get_json()
    assert done["status"] == "done" and done["progress"] == 100
    assert done["download_url"] == f"/jobs/{body['id']}/download"
    assert client.get(done["download_url"]).data.startswith(b"%PDF")


def test_a_long_step_that_reports_no_progress_keeps_its_heartbeat(world, app, monkeypatch):
    """While a kind works on one long step (WeasyPrint on a long report) without calling ``progress``, the
    runner's heartbeat thread moves ``heartbeat_at`` on: the job is never taken for dead; the thread ends
    with the job."""
    import threading

    from tests.jobs import slow_kind

    monkeypatch.setitem(app.config, "HSBTRACK_JOB_STALE_MINUTES", 0.01)  # stale after 0.6 s; a beat every 0.12 s
    stale = jobs.stale_after(app)
    slow_kind.SEEN.clear()
    job = jobs.create_job(slow_kind.NAME, user=world.board, area_id=world.area.id, parameters={"watch_seconds": 2})
    assert jobs.run_pending() == 1
    db.session.expire_all()
    done = db.session.get(Job, job.id)
    assert done.status == DONE and done.result_key is not None
    assert done.finished_at - done.started_at > 3 * stale  # (without the thread it would have gone stale)
    beats = [beat for _when, beat in slow_kind.SEEN]
    assert len(set(beats)) >= 5, beats  # it moved on, again and again...
    late = [(when, beat) for when, beat in slow_kind.SEEN if beat is None or when - beat >= stale]
    assert not late  # ...never falling behind the stale time
    assert not [t for t in threading.enumerate() if t.name.startswith("hsbtrack-job-heartbeat-")]
