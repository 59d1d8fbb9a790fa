"""Partner organisations and shared returns (issue 20).

An organisation (North Wales Police) is linked to each area where it is a partner agency, through
that area's own agency record (which keeps its history). Its lead answers an audit once, in a
*shared return*: the answer is written as the agency's response in every linked open audit (marked
``source = "shared"``), so every page, consolidation, moderation, export and roll-up reads it as it
reads any agency's answer. An *exception* gives one area its own answer to one statement.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hsbtrack.areas.models import WelshName
from hsbtrack.extensions import db
from hsbtrack.timeutil import utcnow

ORGANISATION_LEAD = "organisation_lead"
ORGANISATION_SENIOR_OFFICER = "organisation_senior_officer"
# the role each organisation role gives in every linked area, for the organisation's agency there
AREA_ROLE = {ORGANISATION_LEAD: ORGANISATION_LEAD, ORGANISATION_SENIOR_OFFICER: "senior_officer"}


class Organisation(WelshName, db.Model):
    """A partner organisation serving several areas (install-wide, or in one region)."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    region = relationship("Region")


class OrganisationArea(db.Model):
    """The organisation is a partner of ``area`` as the area's agency ``agency_id``."""

    __tablename__ = "organisation_areas"
    __table_args__ = (UniqueConstraint("organisation_id", "area_id"), UniqueConstraint("agency_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    area = relationship("Area")
    agency = relationship("Agency")


class OrganisationMember(db.Model):
    """A person's role on the organisation (``organisation_lead``). In each linked area they hold
    the same role for the organisation's agency there (a membership the services keep in step)."""

    __tablename__ = "organisation_members"
    __table_args__ = (UniqueConstraint("organisation_id", "user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(50), default=ORGANISATION_LEAD)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user = relationship("User")


class SharedReturn(db.Model):
    """One answer of the organisation to one framework, for a set of open audits of linked areas
    (a regional round's, or a set the organisation chose)."""

    __tablename__ = "shared_returns"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    framework: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    # where the set of audits came from: "chosen", or the key a plugin gave (``regional:round:3``)
    source_key: Mapped[str] = mapped_column(String(100), default="chosen")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # signed off once by a senior officer of the organisation (in each linked area that asks for it);
    # a later change to the shared answers withdraws it
    signed_off_at: Mapped[datetime | None]
    signed_off_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    organisation = relationship("Organisation")
    audits = relationship("SharedReturnAudit", cascade="all, delete-orphan", order_by="SharedReturnAudit.id")


class SharedReturnAudit(db.Model):
    """One linked area's audit answered by the shared return."""

    __tablename__ = "shared_return_audits"
    __table_args__ = (UniqueConstraint("shared_return_id", "audit_id"), UniqueConstraint("shared_return_id", "area_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    shared_return_id: Mapped[int] = mapped_column(ForeignKey("shared_returns.id", ondelete="CASCADE"), index=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"), index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"))


class SharedResponse(db.Model):
    """The organisation's answer to one statement (what every linked audit's response shows)."""

    __tablename__ = "shared_responses"
    __table_args__ = (UniqueConstraint("shared_return_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shared_return_id: Mapped[int] = mapped_column(ForeignKey("shared_returns.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    score: Mapped[int | None] = mapped_column(Integer)
    evidence: Mapped[str] = mapped_column(Text, default="")
    assurance: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}


class SharedException(db.Model):
    """Where one area's arrangements differ: its own answer to one statement, with the reason."""

    __tablename__ = "shared_exceptions"
    __table_args__ = (UniqueConstraint("shared_return_id", "area_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shared_return_id: Mapped[int] = mapped_column(ForeignKey("shared_returns.id", ondelete="CASCADE"), index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    score: Mapped[int | None] = mapped_column(Integer)
    evidence: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(nullable=False, default=1)

    area = relationship("Area")

    __mapper_args__ = {"version_id_col": version}
