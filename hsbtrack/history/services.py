"""Recording and reading history. Callers pass only the fields that changed."""

import json
import re

from sqlalchemy import Text, cast, delete, func, or_, select

from hsbtrack.extensions import db
from hsbtrack.history.models import HistoryEntry, privacy_exception
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


# -- the one exception to append-only (UK GDPR: hsbtrack/privacy) ---------------------------------


def _json_forms(needle: str) -> list[str]:
    """How ``needle`` may read inside a stored JSON text (as typed, and with non-ASCII escaped)."""
    escaped = json.dumps(needle)[1:-1]
    return list(dict.fromkeys([needle, escaped]))


def replace_in_value(value, needles: list[str], replacement: str):
    """``value`` (JSON: text, numbers, lists, objects) with every needle in its texts replaced (matched
    without regard to case)."""
    if isinstance(value, str):
        for needle in needles:
            value = re.sub(re.escape(needle), lambda _m: replacement, value, flags=re.IGNORECASE)
        return value
    if isinstance(value, list):
        return [replace_in_value(item, needles, replacement) for item in value]
    if isinstance(value, dict):
        return {key: replace_in_value(item, needles, replacement) for key, item in value.items()}
    return value


def mentioning(needles: list[str]):
    """The condition "the entry's old or new value holds one of ``needles``" (JSON read as text)."""
    conditions = []
    for needle in needles:
        for form in _json_forms(needle):
            pattern = f"%{form.lower()}%"
            conditions += [func.lower(cast(HistoryEntry.old_value, Text)).like(pattern),
                           func.lower(cast(HistoryEntry.new_value, Text)).like(pattern)]
    return or_(*conditions) if conditions else None


def replace_personal_data(needles: list[str], replacement: str) -> int:
    """UK GDPR erasure: replace a person's name and address (``needles``) wherever an entry's values hold
    them, by ``replacement``. Entries made *by* them keep their ``user_id``: the account they point to is the
    erased placeholder, shown as "former member". The caller commits (with the rest of the erasure).
    Returns how many entries changed."""
    condition = mentioning([n for n in needles if n])
    if condition is None:
        return 0
    changed = 0
    with privacy_exception("erasure"):
        for entry in db.session.scalars(select(HistoryEntry).where(condition)).all():
            old = replace_in_value(entry.old_value, needles, replacement)
            new = replace_in_value(entry.new_value, needles, replacement)
            if old != entry.old_value or new != entry.new_value:
                entry.old_value, entry.new_value = old, new
                changed += 1
        db.session.flush()
    return changed


def forget(entity: str, entity_ids) -> int:
    """A confirmed retention deletion: the entries about records deleted under a retention rule go with
    them (what they were); the deletion itself is recorded by the caller (that it happened). The caller
    commits. Returns how many entries went."""
    entity_ids = list(entity_ids)
    if not entity_ids:
        return 0
    with privacy_exception("retention"):
        result = db.session.execute(delete(HistoryEntry).where(HistoryEntry.entity == entity,
                                                               HistoryEntry.entity_id.in_(entity_ids)))
    return result.rowcount or 0
