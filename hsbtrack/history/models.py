from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hsbtrack.extensions import db
from hsbtrack.timeutil import utcnow


class HistoryEntry(db.Model):
    """One changed field of one record. Rows are only ever inserted (see the guards below)."""

    __tablename__ = "history_entries"
    __table_args__ = (
        Index("ix_history_entries_record", "entity", "entity_id"),
        Index("ix_history_entries_audit_code", "audit_id", "code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    entity: Mapped[str] = mapped_column(String(50))  # "response", "agreed_score", "action", ...
    entity_id: Mapped[int]
    audit_id: Mapped[int | None]
    code: Mapped[str | None] = mapped_column(String(20))  # statement code, where there is one
    field: Mapped[str] = mapped_column(String(50))
    old_value: Mapped[object | None] = mapped_column(JSON)
    new_value: Mapped[object | None] = mapped_column(JSON)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    user = relationship("User")


class AppendOnlyError(RuntimeError):
    pass


@event.listens_for(HistoryEntry, "before_update")
def _refuse_update(mapper, connection, target):
    raise AppendOnlyError("History entries are append-only")


@event.listens_for(HistoryEntry, "before_delete")
def _refuse_delete(mapper, connection, target):
    raise AppendOnlyError("History entries are append-only")
