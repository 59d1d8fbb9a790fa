from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hsbtrack.extensions import db
from hsbtrack.i18n import current_language
from hsbtrack.timeutil import utcnow


def pick_name(name: str, name_cy: str | None) -> str:
    """The name to show in the language being written (for rows read without their model)."""
    return name_cy if name_cy and current_language() == "cy" else name


def in_display_order(items, name=lambda item: item):
    """``items`` sorted by the name shown (``name(item)`` is a region, area or agency): on Welsh
    pages Ynys Môn sorts under Y, not where Anglesey would."""
    return sorted(items, key=lambda item: name(item).display_name.casefold())


class WelshName:
    """Places and partners in Wales have official Welsh names (Ynys Môn, Heddlu Gogledd Cymru).

    ``name`` stays the record's identity (unique, looked up, sorted, matched in imports);
    ``display_name`` is what pages, charts, exports and emails show: the Welsh name when they are
    written in Welsh and one is known, else ``name`` (Welsh Language Standards: a Welsh page must
    not fall back to English where Welsh exists)."""

    name_cy: Mapped[str | None] = mapped_column(String(200))

    @property
    def display_name(self) -> str:
        return pick_name(self.name, self.name_cy)


class Region(WelshName, db.Model):
    """A group of areas with a regional board (e.g. North Wales: six authorities)."""

    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    areas = relationship("Area", back_populates="region", order_by="Area.name")


class Area(WelshName, db.Model):
    """A local safeguarding partnership (in Scotland: a child protection committee)."""

    __tablename__ = "areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="SET NULL"), index=True)
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    region = relationship("Region", back_populates="areas")
    agencies = relationship("Agency", back_populates="area", order_by="Agency.name", cascade="all, delete-orphan")


class Agency(WelshName, db.Model):
    """A partner agency of an area (police, health, children's social care, education, ...)."""

    __tablename__ = "agencies"
    __table_args__ = (UniqueConstraint("area_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    area = relationship("Area", back_populates="agencies")


class Membership(db.Model):
    """A role held by a user in one area (optionally for one agency) or in one region."""

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("user_id", "area_id", "region_id", "role", "agency_id"),
        CheckConstraint(
            "(area_id IS NULL) <> (region_id IS NULL)", name="area_xor_region"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user = relationship("User", back_populates="memberships")
    area = relationship("Area")
    region = relationship("Region")
    agency = relationship("Agency")
