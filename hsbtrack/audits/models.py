from datetime import date, datetime

from flask_babel import gettext
from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hsbtrack.extensions import db
from hsbtrack.timeutil import utcnow

OPEN = "open"
CLOSED = "closed"


class Audit(db.Model):
    """One run of a framework's audit in an area: T1 (baseline), then T2, T3, ..."""

    __tablename__ = "audits"
    __table_args__ = (UniqueConstraint("area_id", "framework", "cycle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    framework: Mapped[str] = mapped_column(String(100))
    framework_version: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    cycle: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default=OPEN)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("audits.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    completed_on: Mapped[date | None] = mapped_column(Date)
    # The date agencies' returns (their scores, submitted) are due: reminders and the task panel count to it.
    return_due_on: Mapped[date | None] = mapped_column(Date)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Bumped by every score change: charts and exports are cached against it.
    data_version: Mapped[int] = mapped_column(default=1)
    # An "imported baseline": a past audit done elsewhere (on paper, in the NSPCC's spreadsheet), recorded
    # as a closed first cycle with agreed scores only (hsbtrack.audits.baselines); ``import_note`` says where.
    imported: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    import_note: Mapped[str] = mapped_column(Text, default="", server_default="")

    area = relationship("Area")
    previous = relationship("Audit", remote_side=[id])
    participants = relationship("AuditAgency", back_populates="audit", cascade="all, delete-orphan",
                                order_by="AuditAgency.id")

    @property
    def label(self) -> str:
        """"T1", "T2"...; an imported baseline says so wherever its label shows (lists, graphs' keys, papers)."""
        if self.imported:
            return gettext("T%(cycle)d (imported baseline)", cycle=self.cycle)
        return f"T{self.cycle}"

    @property
    def is_open(self) -> bool:
        return self.status == OPEN


class AuditAgency(db.Model):
    """An agency taking part in an audit, and whether it has submitted its scores."""

    __tablename__ = "audit_agencies"
    __table_args__ = (UniqueConstraint("audit_id", "agency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"), index=True)
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Where the area asks for it, a senior officer of the agency signs the submitted return off (Section
    # 11 practice): only then is it final.
    signed_off_at: Mapped[datetime | None]
    signed_off_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    audit = relationship("Audit", back_populates="participants")
    agency = relationship("Agency")
    signed_off_by = relationship("User", foreign_keys=[signed_off_by_id])


REMINDER_KINDS = ("manual", "before_deadline", "after_deadline")


class ReturnReminder(db.Model):
    """A reminder sent to an agency's leads about its return: by a board member (``manual``, at most
    one an agency a day) or by the scheduler (``sent_by_id`` NULL) before and after the deadline."""

    __tablename__ = "audit_return_reminders"
    __table_args__ = (Index("ix_audit_return_reminders_agency", "audit_id", "agency_id", "sent_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"), index=True)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20), default="manual")

    sent_by = relationship("User")


SOURCE_AGENCY = "agency"
SOURCE_SHARED = "shared"
SOURCE_EXCEPTION = "exception"
SHARED_SOURCES = (SOURCE_SHARED, SOURCE_EXCEPTION)


class Response(db.Model):
    """One agency's answer to one statement: score, evidence, assurance. Kept even when agreed."""

    __tablename__ = "audit_responses"
    __table_args__ = (
        UniqueConstraint("audit_id", "agency_id", "code"),
        # Covers the consolidation queries (every page with scores, roll-ups): read from the index
        # alone, already grouped by statement (migration 0004; measured by ``make bench``).
        Index("ix_audit_responses_scores", "audit_id", "code", "agency_id", "score"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    score: Mapped[int | None]
    evidence: Mapped[str] = mapped_column(Text, default="")
    assurance: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(nullable=False, default=1)
    # "agency": the agency answered in this audit; "shared": the answer came from its organisation's
    # shared return (hsbtrack.organisations), ``shared_return_id`` says which; "exception": this area's
    # own answer within that shared return (an exception: the shared answer no longer overwrites it).
    source: Mapped[str] = mapped_column(String(20), default="agency", server_default="agency")
    shared_return_id: Mapped[int | None] = mapped_column(ForeignKey("shared_returns.id", ondelete="SET NULL"),
                                                         index=True)

    __mapper_args__ = {"version_id_col": version}


class DomainResponse(db.Model):
    """An agency's comments and date completed for one domain of an audit."""

    __tablename__ = "audit_domain_responses"
    __table_args__ = (UniqueConstraint("audit_id", "agency_id", "domain"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"), index=True)
    domain: Mapped[int]
    comments: Mapped[str] = mapped_column(Text, default="")
    date_completed: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}


class AgreedScore(db.Model):
    """The partnership's moderated score for a statement. Without a row, the agreed score is the
    lowest agency score (the framework's rule)."""

    __tablename__ = "audit_agreed_scores"
    __table_args__ = (UniqueConstraint("audit_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    score: Mapped[int | None]
    justification: Mapped[str] = mapped_column(Text, default="")
    # The lowest agency score when this was agreed (what the justification answers): when the lowest
    # score moves, the agreed score is stale until someone confirms or changes it.
    basis_lowest: Mapped[int | None]
    moderated_at: Mapped[datetime] = mapped_column(default=utcnow)
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(nullable=False, default=1)

    moderated_by = relationship("User")

    __mapper_args__ = {"version_id_col": version}


class ScheduledAudit(db.Model):
    """A re-audit due on a date (T2 at +6 months, T3 at +12 months from the baseline's completion)."""

    __tablename__ = "audit_schedule"
    __table_args__ = (UniqueConstraint("area_id", "framework", "cycle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    framework: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20), default="reaudit")
    cycle: Mapped[int]
    due_on: Mapped[date] = mapped_column(Date, index=True)
    baseline_id: Mapped[int | None] = mapped_column(ForeignKey("audits.id", ondelete="SET NULL"))
    audit_id: Mapped[int | None] = mapped_column(ForeignKey("audits.id", ondelete="SET NULL"))


class WorkbookUpload(db.Model):
    """An offline return workbook uploaded and read, waiting for "Save these changes" (its preview):
    the changes it would make (``changes``: [{code, score, evidence, assurance, version}], the version
    each answer had when the workbook was downloaded) and the conflicts found. Only the person who
    uploaded it may confirm it, within :data:`hsbtrack.audits.workbook.KEEP_MINUTES`; saving or a newer
    upload deletes it, and old ones are purged at each upload."""

    __tablename__ = "audit_workbook_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    downloaded_at: Mapped[datetime | None]
    changes: Mapped[list] = mapped_column(JSON, default=list)
