"""Tables of the schools plugin (all prefixed ``schools_``); the migration branch mirrors them."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hsbtrack.extensions import db
from hsbtrack.timeutil import utcnow

PHASES = ("secondary", "further_education", "other")
RATINGS = ("green", "amber", "red", "not_assessed")
SOURCES = ("students", "staff", "parents", "policies", "logs")
HARMS = ("rumours", "name_calling", "abusive_relationships", "online_harassment", "image_sharing",
         "unwanted_touching", "sexual_assault")


class School(db.Model):
    """A secondary school, college or other setting of an area."""

    __tablename__ = "schools_schools"
    __table_args__ = (UniqueConstraint("area_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    phase: Mapped[str] = mapped_column(String(30), default="secondary")
    dsl_name: Mapped[str] = mapped_column(String(200), default="")
    dsl_email: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SchoolLead(db.Model):
    """A user with the ``school_lead`` role in the area, tied to one school."""

    __tablename__ = "schools_leads"
    __table_args__ = (UniqueConstraint("user_id", "school_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools_schools.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user = relationship("User")


class LocalItem(db.Model):
    """An item an area adds to a checklist (school or partnership), in one of its four areas."""

    __tablename__ = "schools_local_items"
    __table_args__ = (UniqueConstraint("area_id", "checklist", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    checklist: Mapped[str] = mapped_column(String(20))
    section: Mapped[str] = mapped_column(String(20))
    code: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Round(db.Model):
    """One self-assessment: of a school (``school_id``) or of the partnership (``school_id`` empty)."""

    __tablename__ = "schools_rounds"
    __table_args__ = (UniqueConstraint("area_id", "checklist", "school_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools_schools.id", ondelete="CASCADE"), index=True)
    checklist: Mapped[str] = mapped_column(String(20))
    checklist_version: Mapped[str] = mapped_column(String(20))
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    school = relationship("School")


class Rating(db.Model):
    """The traffic-light rating of one item in one round, with evidence sources and notes."""

    __tablename__ = "schools_ratings"
    __table_args__ = (UniqueConstraint("round_id", "item_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("schools_rounds.id", ondelete="CASCADE"), index=True)
    item_code: Mapped[str] = mapped_column(String(10))
    rating: Mapped[str] = mapped_column(String(20), default="not_assessed")
    sources: Mapped[list] = mapped_column(JSON, default=list)
    notes: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class HarmCount(db.Model):
    """How many reports of one form of harm a school counted in a round (context, not a score)."""

    __tablename__ = "schools_harm_counts"
    __table_args__ = (UniqueConstraint("round_id", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("schools_rounds.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(40))
    count: Mapped[int] = mapped_column(Integer, default=0)


class ItemAction(db.Model):
    """A core action made from a red item of a round: links the action to the school and the item."""

    __tablename__ = "schools_item_actions"
    __table_args__ = (UniqueConstraint("round_id", "item_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("schools_rounds.id", ondelete="CASCADE"), index=True)
    item_code: Mapped[str] = mapped_column(String(10))
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"), index=True)
