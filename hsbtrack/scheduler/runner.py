"""Running the scans: one scheduler at a time, guarded by a database lock.

PostgreSQL: a session-level advisory lock held on a dedicated connection for as long as the
scheduler lives (the server releases it if the process or its connection dies; every ``acquire``
checks that connection is still alive). SQLite: a lock row with a heartbeat; a row whose heartbeat
is older than ``STALE_AFTER`` is taken over (its holder died), and so, at once, is a row held by a
process of this machine that no longer exists (a scheduler killed and restarted by its service
manager does not wait minutes).

The lock keeps a second scheduler from running jobs; it is not what makes reminders exactly-once
(the notifications' unique keys are), so a scan run by hand while a scheduler runs is harmless.
"""

import atexit
import logging
import os
import socket
import threading
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from hsbtrack.extensions import db
from hsbtrack.notifications.models import SchedulerLock
from hsbtrack.timeutil import utcnow

log = logging.getLogger(__name__)

ADVISORY_KEY = 0x45B7_2019  # any constant shared by every hsbtrack process (per database)
STALE_AFTER = timedelta(minutes=5)
HEARTBEAT = timedelta(minutes=1)
RETRY_AFTER = timedelta(minutes=1)  # a standby scheduler retries a refused job this soon
FAILED = "failed (see the log)"


class SchedulerLockGuard:
    """``acquire()`` returns True while this process is the one scheduler."""

    def __init__(self, app, name="scheduler"):
        self.app = app
        self.name = name
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._pg_connection = None
        with app.app_context():
            self.is_postgres = db.engine.dialect.name == "postgresql"

    def acquire(self) -> bool:
        try:
            return self._acquire_postgres() if self.is_postgres else self._acquire_row()
        except (OperationalError, DBAPIError):
            # Database busy or unreachable: not the one scheduler this time; try again later.
            log.warning("scheduler lock: database error, not running jobs now", exc_info=True)
            return False

    # -- PostgreSQL ---------------------------------------------------------------------------

    def _alive(self) -> bool:
        try:
            self._pg_connection.execute(text("SELECT 1"))
            self._pg_connection.commit()
            return True
        except DBAPIError:
            log.warning("scheduler lock: the connection holding the advisory lock was lost")
            try:
                self._pg_connection.invalidate()
                self._pg_connection.close()
            except Exception:  # already broken
                log.debug("scheduler lock: closing the broken connection failed", exc_info=True)
            self._pg_connection = None
            return False

    def _acquire_postgres(self) -> bool:
        # A live connection still holds its session-level lock; a dead one released it.
        if self._pg_connection is not None and self._alive():
            return True
        with self.app.app_context():
            connection = db.engine.connect()
        try:
            got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}).scalar()
            connection.commit()
        except Exception:
            connection.close()
            raise
        if got:
            self._pg_connection = connection
            return True
        connection.close()
        return False

    # -- SQLite (and any other database): a lock row with a heartbeat ---------------------------

    def _acquire_row(self) -> bool:
        with self.app.app_context():
            try:
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
                return self._take_over_from_dead_holder(now)
            finally:
                db.session.remove()

    def _take_over_from_dead_holder(self, now) -> bool:
        holder = db.session.scalar(select(SchedulerLock.holder).where(SchedulerLock.name == self.name))
        if holder is None or not holder_is_dead(holder):
            return False
        log.warning("scheduler lock: its holder %s no longer runs; taking over", holder)
        result = db.session.execute(update(SchedulerLock).where(SchedulerLock.name == self.name,
                                                                SchedulerLock.holder == holder)
                                    .values(holder=self.holder, heartbeat_at=now))
        db.session.commit()
        return bool(result.rowcount)

    def release(self) -> None:
        if self._pg_connection is not None:
            connection, self._pg_connection = self._pg_connection, None
            try:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
                connection.commit()
            except DBAPIError:
                pass  # the connection died, and the server released the lock with it
            finally:
                connection.close()
            return
        if self.is_postgres:
            return
        with self.app.app_context():
            try:
                db.session.execute(SchedulerLock.__table__.delete().where(SchedulerLock.name == self.name,
                                                                          SchedulerLock.holder == self.holder))
                db.session.commit()
            except (OperationalError, DBAPIError):
                log.warning("scheduler lock: could not release the lock row", exc_info=True)
            finally:
                db.session.remove()


def holder_is_dead(holder: str) -> bool:
    """True if ``holder`` ("host:pid:nonce") names a process of this machine that has exited."""
    host, _sep, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's process: only its heartbeat tells
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # exists, run by another user
        return False
    return False


def scheduled_jobs(app) -> list:
    """Every job: the core's scans and the plugins' jobs (hook ``hsbtrack_scheduled_jobs``)."""
    return app.extensions["hsbtrack_plugins"].collect("hsbtrack_scheduled_jobs")


def run_job(app, job, now=None) -> object:
    """Run one job in an app and request context (so that url_for works), logging failures.

    Returns the job's result, or :data:`FAILED` if it raised.
    """
    now = now or utcnow()
    with app.app_context(), app.test_request_context("/", base_url=app.config["HSBTRACK_BASE_URL"]):
        try:
            return job.func(app, now)
        except Exception:
            db.session.rollback()
            log.exception("scheduled job %s failed", job.name)
            return FAILED
        finally:
            db.session.remove()


def run_all(app, now=None, guard: SchedulerLockGuard | None = None) -> dict:
    """Run every job once, if this process holds the lock. Returns ``{job name: result}``
    (empty when another scheduler holds the lock). A guard made here is released afterwards."""
    own_guard = guard is None
    guard = guard or SchedulerLockGuard(app)
    if not guard.acquire():
        log.info("another scheduler holds the lock: not running jobs")
        return {}
    try:
        return {job.name: run_job(app, job, now) for job in scheduled_jobs(app)}
    finally:
        if own_guard:
            guard.release()


def utcnow_aware():
    return datetime.now(UTC)


def build_scheduler(app, blocking=False):
    """An APScheduler with one interval job per scheduled job; each run first checks the lock.

    A scheduler that is refused the lock (another one runs) retries each job a minute later, so
    it takes over within minutes when the other one stops, instead of at the job's next interval.
    """
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler

    guard = SchedulerLockGuard(app)
    scheduler = (BlockingScheduler if blocking else BackgroundScheduler)(timezone="UTC")
    jobs = {job.name: job for job in scheduled_jobs(app)}
    refused: set[str] = set()
    refused_lock = threading.Lock()

    def guarded(job):
        def run():
            if guard.acquire():
                run_job(app, job)
                return
            # Another scheduler runs jobs. The heartbeat retries this one as soon as the lock is ours.
            # (Never reschedule from inside a job: APScheduler's shutdown(wait=True) holds the job
            # store lock while it waits for running jobs, so modify_job here would deadlock.)
            with refused_lock:
                refused.add(job.name)
        return run

    def heartbeat():
        """Keep the SQLite lock row fresh (and check the PostgreSQL connection); run refused jobs."""
        if not guard.acquire():
            return
        with refused_lock:
            due = sorted(refused)
            refused.clear()
        for name in due:
            run_job(app, jobs[name])

    for job in jobs.values():
        scheduler.add_job(guarded(job), "interval", hours=job.hours, id=job.name, next_run_time=utcnow_aware(),
                          max_instances=1, coalesce=True, misfire_grace_time=3600)
    scheduler.add_job(heartbeat, "interval", seconds=min(HEARTBEAT, RETRY_AFTER).total_seconds(),
                      id="lock-heartbeat", max_instances=1, coalesce=True)
    scheduler.hsbtrack_guard = guard
    return scheduler


def start_embedded(app):
    """Start the scheduler inside the web process (single-process default, ``make run``)."""
    scheduler = build_scheduler(app)
    scheduler.start()
    app.extensions["hsbtrack_scheduler"] = scheduler
    atexit.register(stop_embedded, app)
    log.info("embedded scheduler started")
    return scheduler


def stop_embedded(app, wait=True) -> None:
    """Stop the embedded scheduler and give up the lock (so that the next process takes over at once)."""
    scheduler = app.extensions.pop("hsbtrack_scheduler", None)
    if scheduler is None:
        return
    if scheduler.running:
        scheduler.shutdown(wait=wait)
    scheduler.hsbtrack_guard.release()
