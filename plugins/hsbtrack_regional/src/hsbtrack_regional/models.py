"""Regional board tables (all prefixed ``regional_``)."""

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hsbtrack.extensions import db
from hsbtrack.timeutil import utcnow


class RegionalRound(db.Model):
    """A regional audit round (T1, T2, T3 of the region): each member area runs its own audit in it."""

    __tablename__ = "regional_rounds"
    __table_args__ = (UniqueConstraint("region_id", "framework", "cycle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"), index=True)
    framework: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    cycle: Mapped[int] = mapped_column(Integer)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    links = relationship("RegionalRoundAudit", cascade="all, delete-orphan", back_populates="round")

    @property
    def label(self) -> str:
        return f"T{self.cycle}"


class RegionalRoundAudit(db.Model):
    """One member area's audit within a round."""

    __tablename__ = "regional_round_audits"
    __table_args__ = (UniqueConstraint("round_id", "area_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("regional_rounds.id", ondelete="CASCADE"), index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"), index=True)

    round = relationship("RegionalRound", back_populates="links")


class RegionalAction(db.Model):
    """An action owned by the region; each assigned area gets its own core action."""

    __tablename__ = "regional_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    due_on: Mapped[date] = mapped_column(Date)
    codes: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    assignments = relationship("RegionalAssignment", cascade="all, delete-orphan", back_populates="regional_action")


class RegionalAssignment(db.Model):
    """A regional action assigned to one area: the area's own core action carries status and updates."""

    __tablename__ = "regional_assignments"
    __table_args__ = (UniqueConstraint("regional_action_id", "area_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    regional_action_id: Mapped[int] = mapped_column(ForeignKey("regional_actions.id", ondelete="CASCADE"),
                                                    index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"), index=True)

    regional_action = relationship("RegionalAction", back_populates="assignments")
    action = relationship("Action")
    area = relationship("Area")


class CommissioningArrangement(db.Model):
    """A shared commissioning arrangement (statement 1.7) between member areas."""

    __tablename__ = "regional_commissioning"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"), index=True)
    arrangement: Mapped[str] = mapped_column(String(300))
    service: Mapped[str] = mapped_column(String(300))
    partner_area_ids: Mapped[list] = mapped_column(JSON, default=list)
    cost_share: Mapped[str] = mapped_column(String(300), default="")
    start_on: Mapped[date] = mapped_column(Date)
    review_on: Mapped[date] = mapped_column(Date, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
