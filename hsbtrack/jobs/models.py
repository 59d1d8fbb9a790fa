"""A job: one piece of long work (a board report as PDF...) asked for by someone, worked by the scheduler.

``status`` moves queued → running → done | failed. The result's bytes live in the documents' storage
(``hsbtrack.storage``) under ``result_key``, recorded only once they are complete; ``expires_at`` says when
the purge removes them. ``heartbeat_at`` is moved on by the runner as it works: a running job whose
heartbeat is older than ``HSBTRACK_JOB_STALE_MINUTES`` lost its runner and counts as failed."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hsbtrack.extensions import db
from hsbtrack.timeutil import utcnow

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
STATUSES = (QUEUED, RUNNING, DONE, FAILED)


class Job(db.Model):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status_created_at", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    parameters: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default=QUEUED)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(String(500), default="")
    result_key: Mapped[str | None] = mapped_column(String(200))
    result_filename: Mapped[str | None] = mapped_column(String(200))
    result_content_type: Mapped[str | None] = mapped_column(String(100))
    runner: Mapped[str | None] = mapped_column(String(100))  # who claimed it (host:pid:nonce)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    attempt: Mapped[int] = mapped_column(Integer, default=0)

    requested_by = relationship("User")
    area = relationship("Area")
