"""CARM case records. Pseudonymised: a case reference, never a child's name or address."""

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hsbtrack.extensions import db


class CarmCase(db.Model):
    __tablename__ = "scotland_cases"
    __table_args__ = (UniqueConstraint("area_id", "reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    reference: Mapped[str] = mapped_column(String(40))
    age_at_referral: Mapped[int] = mapped_column(Integer)
    age_reason: Mapped[str] = mapped_column(Text, default="")
    gender: Mapped[str] = mapped_column(String(20))
    learning_needs: Mapped[bool] = mapped_column(Boolean, default=False)
    hackett: Mapped[str] = mapped_column(String(20))
    setting: Mapped[str] = mapped_column(String(20))
    lead_professional_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                              index=True)
    ird_on: Mapped[date | None] = mapped_column(Date)
    ird_outcome: Mapped[str] = mapped_column(Text, default="")
    referral_source: Mapped[str] = mapped_column(String(100))
    referral_on: Mapped[date] = mapped_column(Date)
    stage: Mapped[str] = mapped_column(String(30), default="referral")
    stage_on: Mapped[date] = mapped_column(Date)
    closure_reason: Mapped[str | None] = mapped_column(String(20))
    classification: Mapped[str | None] = mapped_column(String(20))
    next_review_on: Mapped[date | None] = mapped_column(Date, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    lead_professional = relationship("User", lazy="joined")


class StageEvent(db.Model):
    """One row per stage reached, dated: the case's path."""

    __tablename__ = "scotland_stage_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("scotland_cases.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(30))
    on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Meeting(db.Model):
    __tablename__ = "scotland_meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("scotland_cases.id", ondelete="CASCADE"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    agencies: Mapped[str] = mapped_column(Text, default="")  # agency keys, comma separated
    other_attendees: Mapped[str] = mapped_column(Text, default="")
    child_participation: Mapped[str] = mapped_column(String(20))
    parents_participation: Mapped[str] = mapped_column(String(20))
    decisions: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    @property
    def agency_keys(self) -> list[str]:
        return [a for a in (self.agencies or "").split(",") if a]


class Classification(db.Model):
    """Risk classification history (Aware / Attentive / Active and Alert)."""

    __tablename__ = "scotland_classifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("scotland_cases.id", ondelete="CASCADE"), index=True)
    level: Mapped[str] = mapped_column(String(20))
    on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class PlanAction(db.Model):
    """A risk management plan section's action: a core action, linked to the case."""

    __tablename__ = "scotland_plan_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("scotland_cases.id", ondelete="CASCADE"), index=True)
    section: Mapped[str] = mapped_column(String(30))
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"), unique=True)

    action = relationship("Action", lazy="joined")


class AccessLog(db.Model):
    """Every read of a case (changes are in the core history)."""

    __tablename__ = "scotland_access_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("scotland_cases.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    page: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(DateTime)

    user = relationship("User", lazy="joined")
