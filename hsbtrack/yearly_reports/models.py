"""A yearly report (of an area or of a region) and its versions.

A report is its kind, where it belongs (``area_id`` or ``region_id``, one of them) and its period. What people
write is kept in versions: each save adds one (``number`` 1, 2, 3… per report, unique), never overwriting
an earlier one; the newest is the report's text."""

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hsbtrack.extensions import db
from hsbtrack.timeutil import utcnow


class YearlyReport(db.Model):
    __tablename__ = "yearly_reports"
    __table_args__ = (Index("ix_yearly_reports_place", "area_id", "region_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(80))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    area = relationship("Area")
    region = relationship("Region")
    created_by = relationship("User")
    versions = relationship("YearlyReportVersion", order_by="YearlyReportVersion.number",
                            cascade="all, delete-orphan", back_populates="report")

    @property
    def place(self):
        return self.area if self.area_id is not None else self.region


class YearlyReportVersion(db.Model):
    __tablename__ = "yearly_report_versions"
    __table_args__ = (UniqueConstraint("report_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("yearly_reports.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    sections: Mapped[dict] = mapped_column(JSON, default=dict)  # {section key: text}
    saved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")

    report = relationship("YearlyReport", back_populates="versions")
    saved_by = relationship("User")
