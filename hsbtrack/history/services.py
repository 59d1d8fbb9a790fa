"""Recording and reading history. Callers pass only the fields that changed."""

from sqlalchemy import select

from hsbtrack.extensions import db
from hsbtrack.history.models import HistoryEntry
from hsbtrack.timeutil import utcnow


def _plain(value):
    """JSON-safe value: dates become ISO strings."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def diff(record, values: dict) -> dict:
    """``{field: (old, new)}`` for the fields of ``values`` that differ from ``record``."""
    return {
        name: (getattr(record, name), new) for name, new in values.items() if getattr(record, name) != new
    }


def record(*, area_id, entity, entity_id, changes: dict, user=None, audit_id=None, code=None) -> None:
    """Add one entry per changed field to the session (committed with the change itself)."""
    now = utcnow()
    for name, (old, new) in changes.items():
        db.session.add(
            HistoryEntry(
                area_id=area_id, entity=entity, entity_id=entity_id, audit_id=audit_id, code=code, field=name,
                old_value=_plain(old), new_value=_plain(new), user_id=getattr(user, "id", None), at=now,
            )
        )


def entries_for_statement(audit_id: int, code: str) -> list[HistoryEntry]:
    return list(
        db.session.scalars(
            select(HistoryEntry)
            .where(HistoryEntry.audit_id == audit_id, HistoryEntry.code == code)
            .order_by(HistoryEntry.at.desc(), HistoryEntry.id.desc())
            .options(db.joinedload(HistoryEntry.user))
        )
    )


def entries_for(entity: str, entity_id: int) -> list[HistoryEntry]:
    return list(
        db.session.scalars(
            select(HistoryEntry)
            .where(HistoryEntry.entity == entity, HistoryEntry.entity_id == entity_id)
            .order_by(HistoryEntry.at.desc(), HistoryEntry.id.desc())
            .options(db.joinedload(HistoryEntry.user))
        )
    )
