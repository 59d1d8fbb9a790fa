"""A job kind for the tests, ``test.slow``: a "paper" whose making takes one long step that reports no
progress, as WeasyPrint laying out a long report does. Importing this module registers it (the test
process and the runner started in a subprocess both import it).

- ``parameters["watch_seconds"]``: sleep that long, looking at the job's heartbeat every 0.1 s (what it
  saw goes in :data:`SEEN`: ``(when, heartbeat_at)``);
- with ``HSBTRACK_TEST_JOB_BLOCK=1`` in the environment (the runner in a subprocess), report 30% once,
  print ``blocking <job id>`` and block for ever: the test kills the process there;
- else make a small PDF-looking file at once."""

import os
import sys
import time

from sqlalchemy import select

from hsbtrack.areas.roles import Perm
from hsbtrack.extensions import db
from hsbtrack.jobs import kinds
from hsbtrack.jobs.kinds import JobKind, Result
from hsbtrack.jobs.models import Job
from hsbtrack.timeutil import utcnow

NAME = "test.slow"
DATA = b"%PDF-1.7 a slow test paper"
SEEN: list = []


def run(job, user, progress):
    watch = float((job.parameters or {}).get("watch_seconds", 0))
    if watch:
        deadline = time.monotonic() + watch
        while time.monotonic() < deadline:
            time.sleep(0.1)
            with db.engine.connect() as connection:
                SEEN.append((utcnow(), connection.scalar(select(Job.heartbeat_at).where(Job.id == job.id))))
    if os.environ.get("HSBTRACK_TEST_JOB_BLOCK") == "1":
        progress(30, "Halfway")
        print(f"blocking {job.id}", flush=True)
        sys.stdout.flush()
        while True:
            time.sleep(60)
    return Result(DATA, "slow-paper.pdf", "application/pdf")


kinds.register(JobKind(NAME, run=run, permission=Perm.READ_AUDIT, title=lambda job: "A slow test paper"))
