"""What the privacy feature keeps: holds on erasure, its own log, and the retention review."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hsbtrack.extensions import db
from hsbtrack.timeutil import utcnow

# kinds of privacy log entries
SUBJECT_ACCESS = "subject_access"
ERASURE = "erasure"
HOLD_SET = "hold_set"
HOLD_LIFTED = "hold_lifted"
RETENTION_DELETION = "retention_deletion"


class PrivacyHold(db.Model):
    """A person who must not be erased, and why (litigation, a serious case review...). One per person;
    set and lifted by an administrator, both in the privacy log."""

    __tablename__ = "privacy_holds"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    set_at: Mapped[datetime] = mapped_column(default=utcnow)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    set_by = relationship("User", foreign_keys=[set_by_id])


class PrivacyLogEntry(db.Model):
    """What the privacy feature did, install-wide and append-only: subject access exports made, erasures
    (of "person #<id>": never their name), holds set and lifted, retention deletions (the rule and how
    many, never what the records were)."""

    __tablename__ = "privacy_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(30))
    subject: Mapped[str] = mapped_column(String(100), default="")  # "person #12", or a rule's name
    count: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text, default="")
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    by_user = relationship("User")


class RetentionReviewItem(db.Model):
    """A record a retention rule found due, listed by the ``core.retention`` scan for an administrator to
    confirm its deletion (the scan never deletes). Gone when the record is deleted or is no longer due."""

    __tablename__ = "privacy_retention_items"
    __table_args__ = (UniqueConstraint("rule", "item_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(String(80), index=True)
    item_key: Mapped[str] = mapped_column(String(80))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    since: Mapped[date | None] = mapped_column(Date)
    found_at: Mapped[datetime] = mapped_column(default=utcnow)

    area = relationship("Area")
