from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

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


# The one exception (docs/architecture.md, "Personal data"): UK GDPR erasure replaces a person's name and
# address inside entries, and a confirmed retention deletion forgets the entries of the records it deleted.
# Only :func:`hsbtrack.history.services.replace_personal_data` and :func:`~hsbtrack.history.services.forget`
# open it, for the statements they run; everything else is refused, row by row and in bulk.
_privacy_exception: ContextVar[str | None] = ContextVar("history_privacy_exception", default=None)


@contextmanager
def privacy_exception(kind: str):
    """Let the statements inside change or delete history entries (``kind``: "erasure" or "retention")."""
    token = _privacy_exception.set(kind)
    try:
        yield
    finally:
        _privacy_exception.reset(token)


def _refuse(what: str) -> None:
    if _privacy_exception.get() is None:
        raise AppendOnlyError(f"History entries are append-only ({what})")


@event.listens_for(HistoryEntry, "before_update")
def _refuse_update(mapper, connection, target):
    _refuse("update")


@event.listens_for(HistoryEntry, "before_delete")
def _refuse_delete(mapper, connection, target):
    _refuse("delete")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk(state):
    """``update(HistoryEntry)`` and ``delete(HistoryEntry)`` run without the row events above: refused too."""
    if (state.is_update or state.is_delete) and any(
            getattr(mapper, "class_", None) is HistoryEntry for mapper in state.all_mappers):
        _refuse("bulk update" if state.is_update else "bulk delete")
