"""Training tables (all prefixed ``training_``). Tiers are area settings, not a table."""

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hsbtrack.extensions import db
from hsbtrack.timeutil import utcnow

ATTENDED, COMPLETED, DID_NOT_ATTEND = "attended", "completed", "did_not_attend"
STATUSES = (ATTENDED, COMPLETED, DID_NOT_ATTEND)


class TrainingCourse(db.Model):
    __tablename__ = "training_courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    tier: Mapped[int] = mapped_column(Integer)
    provider: Mapped[str] = mapped_column(String(200), default="")
    length_hours: Mapped[float | None] = mapped_column(Float)
    refresher_months: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TrainingPerson(db.Model):
    __tablename__ = "training_people"

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    discipline: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The day they left the agency (recorded by a training lead): their records are kept for the retention
    # period after it (``training.people_left``, docs/privacy.md), then deleted once an administrator confirms.
    left_on: Mapped[date | None] = mapped_column(Date)

    agency = relationship("Agency", lazy="joined")


class TrainingSession(db.Model):
    __tablename__ = "training_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("training_courses.id", ondelete="CASCADE"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TrainingCompletion(db.Model):
    """One person's outcome of one course on one date; (person, course, date) is unique."""

    __tablename__ = "training_completions"
    __table_args__ = (UniqueConstraint("person_id", "course_id", "completed_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("training_people.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("training_courses.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("training_sessions.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    completed_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)


class TrainingHeadcount(db.Model):
    """How many people an agency employs in a discipline (entered by a training lead)."""

    __tablename__ = "training_headcounts"
    __table_args__ = (UniqueConstraint("agency_id", "discipline"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"), index=True)
    discipline: Mapped[str] = mapped_column(String(50))
    headcount: Mapped[int] = mapped_column(Integer)


ATTITUDES, KNOWLEDGE, SELF_EFFICACY = "attitudes", "knowledge", "self_efficacy"
SUBSCALES = (ATTITUDES, KNOWLEDGE, SELF_EFFICACY)
PRE, POST = "pre", "post"


class TrainingImpactItem(db.Model):
    """One statement of the area's evaluation instrument, in one subscale (answered 1–5)."""

    __tablename__ = "training_impact_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    subscale: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(Integer, default=0)


class TrainingImpactResponse(db.Model):
    """A person's answer to one item before or after a course."""

    __tablename__ = "training_impact_responses"
    __table_args__ = (UniqueConstraint("person_id", "course_id", "phase", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("training_people.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("training_courses.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("training_impact_items.id", ondelete="CASCADE"), index=True)
    phase: Mapped[str] = mapped_column(String(4))
    score: Mapped[int] = mapped_column(Integer)
    answered_on: Mapped[date] = mapped_column(Date)


class TrainingSupervision(db.Model):
    """Reflective supervision received by a person (5.8): one row per supervision session."""

    __tablename__ = "training_supervision"

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("training_people.id", ondelete="CASCADE"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))  # individual, group


class TrainingReminder(db.Model):
    """Reminder emails sent to people (who are not users): the key makes each one go once."""

    __tablename__ = "training_reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
