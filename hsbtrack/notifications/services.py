"""Notify a user once per idempotency key: in the app, and by email if they want it."""

from contextlib import contextmanager

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from hsbtrack.extensions import db
from hsbtrack.mail import send_email
from hsbtrack.notifications.models import Notification
from hsbtrack.timeutil import utcnow


@contextmanager
def in_language_of(user):
    """Render text in the recipient's chosen language (emails, exports, reminders)."""
    with force_locale(getattr(user, "locale", None) or "en"):
        yield


def absolute(path: str) -> str:
    return current_app.config["HSBTRACK_BASE_URL"].rstrip("/") + path


def notify(user, *, key: str, kind: str, subject: str, body: str = "", link: str = "", area_id=None,
           email: bool = True) -> Notification | None:
    """Record a notification under ``key`` and email it. Returns None if ``key`` was already used.

    The unique key is the guarantee: when two scheduler processes race, the database lets one
    insert win and the other gets an IntegrityError, so nobody is told twice.
    """
    note = Notification(key=key[:200], user_id=user.id, area_id=area_id, kind=kind, subject=str(subject)[:300],
                        body=str(body), link=link)
    db.session.add(note)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return None
    if email and user.active and user.email_notifications and not user.digest_only:
        text = f"{body}\n\n{absolute(link)}\n" if link else body
        send_email(user.email, str(subject), text)
        note.emailed_at = utcnow()
        db.session.commit()
    return note


def unread_count(user) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Notification).where(Notification.user_id == user.id,
                                                              Notification.read_at.is_(None)))


def recent(user, limit=50) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)))


def mark_all_read(user) -> None:
    db.session.execute(update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
                       .values(read_at=utcnow()))
    db.session.commit()


def mark_read(user, notification_id) -> Notification | None:
    note = db.session.get(Notification, notification_id)
    if note is None or note.user_id != user.id:
        return None
    if note.read_at is None:
        note.read_at = utcnow()
        db.session.commit()
    return note
