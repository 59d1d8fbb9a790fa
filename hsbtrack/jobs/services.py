"""The jobs' rules: asking for one, claiming it (one runner per job), running it as the person who asked,
storing its file, and what a reader is shown.

- **Claiming.** The scheduler's ``core.jobs`` scan (:func:`work_queued`) takes queued jobs one at a time,
  oldest first, with a conditional ``UPDATE … WHERE status = 'queued'``: of two runners that pick the same
  job only one changes the row (the other sees ``rowcount`` 0 and picks again).
- **Running.** A job runs in a request context with the person who asked signed in and their language
  forced, so the file holds only what they may read, in their language (the kinds, :mod:`hsbtrack.jobs.kinds`).
  Progress is written on its own connection as it goes and is the job's heartbeat; while the job runs, a
  small thread moves the heartbeat on by itself too (every fifth of ``HSBTRACK_JOB_STALE_MINUTES``), so a
  long step that reports no progress (WeasyPrint laying out a long report, a big ZIP) is not taken for a
  dead runner. A runner that dies takes its thread with it: the heartbeat stops.
- **Nothing half-written.** The file is stored under a fresh key, and the key is recorded on the job only
  when the file is complete (in the same conditional update that marks it done). A runner that dies leaves
  a job ``running`` whose heartbeat stops: after ``HSBTRACK_JOB_STALE_MINUTES`` it is shown — and then
  recorded — as failed, with "Run it again"; bytes stored but never recorded are removed by the purge.
- **Expiry.** A file is kept ``HSBTRACK_JOB_RESULT_DAYS`` (default 7); the ``core.jobs_purge`` scan deletes
  it after that (the job then says it expired and offers to make it again).
"""

import io
import logging
import os
import secrets
import socket
import threading
from datetime import UTC, datetime, timedelta

from flask import current_app, g
from flask_babel import force_locale
from sqlalchemy import select, update

from hsbtrack.errors import ServiceError
from hsbtrack.extensions import db
from hsbtrack.i18n import current_language
from hsbtrack.jobs import kinds
from hsbtrack.jobs.models import DONE, FAILED, QUEUED, RUNNING, Job
from hsbtrack.storage import storage
from hsbtrack.timeutil import utcnow

log = logging.getLogger(__name__)

KEY_PREFIX = "jobs/"
SCAN_NAME = "core.jobs"
RUN_AT_MOST = 20  # jobs one scan works before giving the scheduler back (the next scan goes on)
STALE = "stale"  # the message of a job whose runner stopped


def stale_after(app=None) -> timedelta:
    return timedelta(minutes=(app or current_app).config.get("HSBTRACK_JOB_STALE_MINUTES", 5))


def heartbeat_seconds(app=None) -> float:
    """How often a running job's heartbeat is moved on while it works: a fifth of the stale time, so
    that several beats must be missed before the job counts as failed."""
    return max(0.05, stale_after(app).total_seconds() / 5)


def result_days(app=None) -> int:
    return (app or current_app).config.get("HSBTRACK_JOB_RESULT_DAYS", 7)


# -- asking --------------------------------------------------------------------------------------


def create_job(kind: str, *, user, area_id=None, region_id=None, parameters=None) -> Job:
    """Queue a job of ``kind`` for ``user`` (it will run as them, in the language of this request).
    The caller has checked that ``user`` may read what the job makes (the route's permission)."""
    if kinds.kind_named(kind) is None:
        raise ServiceError(f"unknown job kind {kind!r}")
    if user is None:
        raise ServiceError("a job runs as someone: the person who asked for it")
    parameters = {"lang": current_language(), **(parameters or {})}
    job = Job(kind=kind, area_id=area_id, region_id=region_id, requested_by_id=user.id, parameters=parameters,
              status=QUEUED, progress=0, message="", attempt=0)
    db.session.add(job)
    db.session.commit()
    wake_scheduler()
    return job


def run_again(job: Job, user) -> Job:
    """A new job like ``job`` (failed, or its file expired), asked for by ``user``."""
    return create_job(job.kind, user=user, area_id=job.area_id, region_id=job.region_id,
                      parameters={k: v for k, v in (job.parameters or {}).items() if k != "lang"})


def wake_scheduler() -> None:
    """Let an embedded scheduler (the single-process default) take the job now rather than at its next
    scan; ``hsbtrack scheduler`` in its own process finds it at its next scan (seconds)."""
    scheduler = current_app.extensions.get("hsbtrack_scheduler")
    if scheduler is None:
        return
    try:
        scheduler.modify_job(SCAN_NAME, next_run_time=utcnow_aware())
    except Exception:  # (the scheduler is stopping, or has no such job): the next scan takes it
        log.debug("could not wake the scheduler", exc_info=True)


def utcnow_aware():
    return datetime.now(UTC)


def get_job(job_id) -> Job | None:
    return db.session.get(Job, job_id)


# -- what readers see ------------------------------------------------------------------------------


def is_stale(job: Job, now=None) -> bool:
    now = now or utcnow()
    return job.status == RUNNING and (job.heartbeat_at is None or job.heartbeat_at < now - stale_after())


def shown_status(job: Job, now=None) -> str:
    """The status a reader is told: a running job whose runner stopped is failed."""
    return FAILED if is_stale(job, now) else job.status


def is_expired(job: Job, now=None) -> bool:
    return job.status == DONE and (job.result_key is None or (job.expires_at is not None
                                                              and job.expires_at <= (now or utcnow())))


def download_ready(job: Job, now=None) -> bool:
    return job.status == DONE and not is_expired(job, now)


def may_run_again(job: Job, now=None) -> bool:
    return shown_status(job, now) == FAILED or is_expired(job, now)


def may_download(job: Job, user) -> bool:
    """The wall of a job's file: the person who asked for it (it was made as them: it shows what they may
    read) and administrators. Nobody else, whatever they hold in its area."""
    if getattr(user, "is_admin", False):
        return True
    return job.requested_by_id is not None and getattr(user, "id", None) == job.requested_by_id


# -- running -------------------------------------------------------------------------------------------


def runner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def claim_next(runner: str, now=None) -> Job | None:
    """Take the oldest queued job for ``runner``; None when none is left. Two runners never take the same job."""
    while True:
        now = now or utcnow()
        job_id = db.session.scalar(select(Job.id).where(Job.status == QUEUED).order_by(Job.created_at, Job.id).limit(1))
        if job_id is None:
            db.session.commit()
            return None
        claimed = db.session.execute(
            update(Job).where(Job.id == job_id, Job.status == QUEUED)
            .values(status=RUNNING, runner=runner, started_at=now, heartbeat_at=now, progress=0,
                    attempt=Job.attempt + 1).execution_options(synchronize_session=False))
        db.session.commit()
        if claimed.rowcount:
            job = db.session.get(Job, job_id)
            db.session.refresh(job)
            return job


def _record(job_id: int, runner: str, **values) -> bool:
    """Write to a running job of ``runner`` on a connection of its own (the job's own work is not
    committed with it); False when the job is no longer this runner's (recorded as failed meanwhile)."""
    with db.engine.begin() as connection:
        result = connection.execute(update(Job).where(Job.id == job_id, Job.runner == runner, Job.status == RUNNING)
                                    .values(**values))
    return bool(result.rowcount)


def progress_reporter(job_id: int, runner: str):
    def progress(percent: int, message: str = "") -> None:
        _record(job_id, runner, progress=max(0, min(99, int(percent))), message=str(message)[:500],
                heartbeat_at=utcnow())
    return progress


class Heartbeat:
    """A daemon thread that moves a running job's heartbeat on every :func:`heartbeat_seconds`, on its own
    connection, while the job's kind works (whether or not it reports progress); conditional, like every
    write of the runner, on the job still being this runner's and running. Stopped when the job ends."""

    def __init__(self, app, job_id: int, runner: str):
        self.engine = db.engine  # (taken here, in the app context: the thread has none)
        self.job_id, self.runner = job_id, runner
        self.every = heartbeat_seconds(app)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, name=f"hsbtrack-job-heartbeat-{job_id}", daemon=True)

    def _beat(self) -> None:
        while not self.stopped.wait(self.every):
            try:
                with self.engine.begin() as connection:
                    result = connection.execute(
                        update(Job).where(Job.id == self.job_id, Job.runner == self.runner, Job.status == RUNNING)
                        .values(heartbeat_at=utcnow()))
                if not result.rowcount:
                    return  # (done, failed, or taken for dead: nothing more to keep alive)
            except Exception:  # (the database busy for a moment): the next beat tries again
                log.warning("job %s: could not move its heartbeat on", self.job_id, exc_info=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stopped.set()
        self.thread.join(timeout=5.0)
        return False


def _extension(filename: str) -> str:
    ext = os.path.splitext(filename)[1].lower()
    return ext if ext[1:].isalnum() else ""


def _store(key: str, result) -> None:
    """Put the result's bytes under ``key``: from memory, or streamed from its temporary file (then deleted)."""
    if result.path is None:
        storage().put(key, io.BytesIO(result.data))
        return
    try:
        with open(result.path, "rb") as stream:
            storage().put(key, stream)
    finally:
        os.unlink(result.path)


def run_claimed(app, job: Job, runner: str) -> str:
    """Run one claimed job as the person who asked; returns its final status."""
    kind = kinds.kind_named(job.kind)
    user = job.requested_by
    job_id = job.id
    if kind is None or user is None or not user.active:
        _record(job_id, runner, status=FAILED, finished_at=utcnow(), message="no such kind, or nobody to run as")
        return FAILED
    lang = (job.parameters or {}).get("lang") or app.config.get("BABEL_DEFAULT_LOCALE", "en")
    with Heartbeat(app, job_id, runner):
        return _run(app, kind, job, user, runner, lang)


def _run(app, kind, job: Job, user, runner: str, lang: str) -> str:
    job_id, key = job.id, None
    try:
        with app.test_request_context("/", base_url=app.config["HSBTRACK_BASE_URL"]):
            g._login_user = user  # the job renders as the person who asked (flask_login's current_user)
            with force_locale(lang):
                if not kind.may_run(job, user):
                    raise PermissionError("the person who asked may no longer read this")
                result = kind.run(job, user, progress_reporter(job_id, runner))
        # a fresh key, recorded only now that the file is complete
        key = f"{KEY_PREFIX}{job_id}/{secrets.token_hex(12)}{_extension(result.filename)}"
        _store(key, result)
        now = utcnow()
        if _record(job_id, runner, status=DONE, progress=100, message="", result_key=key,
                   result_filename=result.filename[:200], result_content_type=result.content_type,
                   finished_at=now, heartbeat_at=now, expires_at=now + timedelta(days=result_days(app))):
            return DONE
        storage().delete(key)  # (recorded as failed meanwhile: its runner was thought dead)
        return FAILED
    except Exception as error:
        db.session.rollback()
        log.exception("job %s (%s) failed", job_id, job.kind)
        if key is not None:
            storage().delete(key)
        _record(job_id, runner, status=FAILED, finished_at=utcnow(), message=type(error).__name__[:500])
        return FAILED


def fail_stale(now=None) -> int:
    """Record running jobs whose heartbeat stopped as failed (their runner died)."""
    now = now or utcnow()
    result = db.session.execute(update(Job).where(Job.status == RUNNING, Job.heartbeat_at < now - stale_after())
                                .values(status=FAILED, message=STALE, finished_at=now)
                                .execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount


def work_queued(app, now) -> int:
    """The ``core.jobs`` scan: record stale jobs as failed, then run queued jobs one at a time. Returns how
    many ran."""
    fail_stale()
    runner, ran = runner_name(), 0
    while ran < RUN_AT_MOST:
        job = claim_next(runner)
        if job is None:
            break
        run_claimed(app, job, runner)
        db.session.remove()
        ran += 1
    return ran


def run_pending() -> int:
    """Run every queued job now, here (tests; ``hsbtrack jobs run``)."""
    return work_queued(current_app._get_current_object(), utcnow())


# -- expiry ------------------------------------------------------------------------------------------


def purge_expired(app, now) -> int:
    """The ``core.jobs_purge`` scan: delete the files of jobs past their expiry, and bytes stored by a runner
    that died before recording them. Returns how many files went."""
    now = now.replace(tzinfo=None) if getattr(now, "tzinfo", None) else now
    removed = 0
    for job in db.session.scalars(select(Job).where(Job.status == DONE, Job.result_key.is_not(None),
                                                    Job.expires_at <= now)):
        storage().delete(job.result_key)
        job.result_key = None
        removed += 1
    db.session.commit()
    recorded = {k for k in db.session.scalars(select(Job.result_key).where(Job.result_key.is_not(None)))}
    busy = set(db.session.scalars(select(Job.id).where(Job.status.in_((QUEUED, RUNNING)))))
    for key in list(storage().keys(KEY_PREFIX)):
        job_part = key[len(KEY_PREFIX):].split("/", 1)[0]
        if key in recorded or (job_part.isdigit() and int(job_part) in busy):
            continue
        storage().delete(key)
        removed += 1
    return removed
