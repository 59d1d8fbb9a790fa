"""Running the scans: one scheduler at a time, guarded by a database lock.

PostgreSQL: a session-level advisory lock held on a dedicated connection for as long as the
scheduler lives (released by the server if the process dies). SQLite: a lock row with a heartbeat;
a row whose heartbeat is older than ``STALE_AFTER`` is taken over (its holder died).
"""

import logging
import os
import socket
import uuid
from datetime import timedelta

from sqlalchemy import text, update
from sqlalchemy.exc import IntegrityError

from hsbtrack.extensions import db
from hsbtrack.notifications.models import SchedulerLock
from hsbtrack.timeutil import utcnow

log = logging.getLogger(__name__)

ADVISORY_KEY = 0x45B7_2019  # any constant shared by every hsbtrack process
STALE_AFTER = timedelta(minutes=5)


class SchedulerLockGuard:
    """``acquire()`` returns True while this process is the one scheduler."""

    def __init__(self, app, name="scheduler"):
        self.app = app
        self.name = name
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._pg_connection = None

    @property
    def is_postgres(self) -> bool:
        with self.app.app_context():
            return db.engine.dialect.name == "postgresql"

    def acquire(self) -> bool:
        if self.is_postgres:
            return self._acquire_postgres()
        return self._acquire_row()

    def _acquire_postgres(self) -> bool:
        if self._pg_connection is not None:
            return True
        with self.app.app_context():
            connection = db.engine.connect()
        got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}).scalar()
        connection.commit()
        if got:
            self._pg_connection = connection
            return True
        connection.close()
        return False

    def _acquire_row(self) -> bool:
        with self.app.app_context():
            now = utcnow()
            result = db.session.execute(
                update(SchedulerLock)
                .where(SchedulerLock.name == self.name,
                       (SchedulerLock.holder == self.holder) | (SchedulerLock.heartbeat_at < now - STALE_AFTER))
                .values(holder=self.holder, heartbeat_at=now)
            )
            db.session.commit()
            if result.rowcount:
                return True
            db.session.add(SchedulerLock(name=self.name, holder=self.holder, heartbeat_at=now))
            try:
                db.session.commit()
                return True
            except IntegrityError:
                db.session.rollback()
                return False

    def release(self) -> None:
        if self._pg_connection is not None:
            try:
                self._pg_connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
                self._pg_connection.commit()
            finally:
                self._pg_connection.close()
                self._pg_connection = None
            return
        with self.app.app_context():
            db.session.execute(SchedulerLock.__table__.delete().where(SchedulerLock.name == self.name,
                                                                      SchedulerLock.holder == self.holder))
            db.session.commit()


def scheduled_jobs(app) -> list:
    """Every job: the core's scans and the plugins' jobs (hook ``hsbtrack_scheduled_jobs``)."""
    return app.extensions["hsbtrack_plugins"].collect("hsbtrack_scheduled_jobs")


def run_job(app, job, now=None) -> object:
    """Run one job in an app and request context (so that url_for works), logging failures."""
    now = now or utcnow()
    with app.app_context(), app.test_request_context("/", base_url=app.config["HSBTRACK_BASE_URL"]):
        try:
            return job.func(app, now)
        except Exception:
            db.session.rollback()
            log.exception("scheduled job %s failed", job.name)
            return None
        finally:
            db.session.remove()


def run_all(app, now=None, guard: SchedulerLockGuard | None = None) -> dict:
    """Run every job once, if this process holds the lock. Returns ``{job name: result}``."""
    guard = guard or SchedulerLockGuard(app)
    if not guard.acquire():
        log.info("another scheduler holds the lock: not running jobs")
        return {}
    return {job.name: run_job(app, job, now) for job in scheduled_jobs(app)}


def build_scheduler(app, blocking=False):
    """An APScheduler with one interval job per scheduled job; each run first checks the lock."""
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler

    guard = SchedulerLockGuard(app)
    scheduler = (BlockingScheduler if blocking else BackgroundScheduler)(timezone="UTC")

    def guarded(job):
        def run():
            if guard.acquire():
                run_job(app, job)
        return run

    for job in scheduled_jobs(app):
        scheduler.add_job(guarded(job), "interval", hours=job.hours, id=job.name, next_run_time=utcnow_aware(),
                          max_instances=1, coalesce=True, misfire_grace_time=3600)
    # Keep the SQLite lock row's heartbeat fresh between jobs.
    scheduler.add_job(guard.acquire, "interval", minutes=1, id="lock-heartbeat", max_instances=1, coalesce=True)
    scheduler.hsbtrack_guard = guard
    return scheduler


def utcnow_aware():
    from datetime import UTC, datetime

    return datetime.now(UTC)


def start_embedded(app) -> None:
    """Start the scheduler inside the web process (single-process default, ``make run``)."""
    scheduler = build_scheduler(app)
    scheduler.start()
    app.extensions["hsbtrack_scheduler"] = scheduler
    log.info("embedded scheduler started")
