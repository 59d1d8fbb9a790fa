from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hsbtrack.extensions import db
from hsbtrack.timeutil import utcnow

STATUSES = ("not_started", "in_progress", "blocked", "done", "cancelled")
CLOSED_STATUSES = ("done", "cancelled")
PRIORITIES = ("high", "medium", "low")


class Action(db.Model):
    __tablename__ = "actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    audit_id: Mapped[int | None] = mapped_column(ForeignKey("audits.id", ondelete="SET NULL"), index=True)
    framework: Mapped[str] = mapped_column(String(100), default="nspcc-hsb-2019")
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id", ondelete="SET NULL"), index=True)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    priority: Mapped[str] = mapped_column(String(10), default="medium")
    status: Mapped[str] = mapped_column(String(20), default="not_started", index=True)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    completion_evidence: Mapped[str] = mapped_column(Text, default="")
    completed_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(nullable=False, default=1)
    # A walled action (e.g. a CARM risk-management-plan action): only readers holding this
    # permission in the area see it, in every list, count, export, paper, reminder and API answer.
    restricted_to: Mapped[str | None] = mapped_column(String(80))

    owner = relationship("User", foreign_keys=[owner_id])
    agency = relationship("Agency")
    area = relationship("Area")
    statements = relationship("ActionStatement", cascade="all, delete-orphan", order_by="ActionStatement.id",
                              back_populates="action")
    updates = relationship("ActionUpdate", cascade="all, delete-orphan", order_by="ActionUpdate.created_at.desc()",
                           back_populates="action")

    __mapper_args__ = {"version_id_col": version}

    @property
    def codes(self) -> list[str]:
        return [s.code for s in self.statements]

    def is_overdue(self, on: date) -> bool:
        return self.status not in CLOSED_STATUSES and self.due_on < on


class ActionStatement(db.Model):
    """A framework statement an action is meant to improve."""

    __tablename__ = "action_statements"
    __table_args__ = (UniqueConstraint("action_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(20), index=True)

    action = relationship("Action", back_populates="statements")


class ActionUpdate(db.Model):
    """A dated progress note from the owner (or anyone working on the action)."""

    __tablename__ = "action_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"), index=True)
    note: Mapped[str] = mapped_column(Text)
    progress: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    action = relationship("Action", back_populates="updates")
    user = relationship("User")


class FindingDecision(db.Model):
    """What the board manager decided about a finding of an audit: accepted as an action or dismissed."""

    __tablename__ = "finding_decisions"
    __table_args__ = (UniqueConstraint("audit_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    decision: Mapped[str] = mapped_column(String(20))  # "accepted" or "dismissed"
    reason: Mapped[str] = mapped_column(Text, default="")
    action_id: Mapped[int | None] = mapped_column(ForeignKey("actions.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
