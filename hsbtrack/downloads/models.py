from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hsbtrack.extensions import db
from hsbtrack.timeutil import utcnow


class DownloadEntry(db.Model):
    """One export, report or file that left the application (append-only; admins read it)."""

    __tablename__ = "download_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="SET NULL"), index=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(80))  # e.g. "audit.export.xlsx", "actions.board_paper"
    ref: Mapped[str] = mapped_column(String(200))  # what was downloaded, e.g. "audit 12"
    filename: Mapped[str] = mapped_column(String(255), default="")
    via: Mapped[str] = mapped_column(String(10), default="page")  # "page" or "api"

    user = relationship("User")
    area = relationship("Area")
