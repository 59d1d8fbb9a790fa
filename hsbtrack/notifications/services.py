"""Notify a user once per idempotency key: in the app, and by email if they want it.

Once, whatever runs the scan: the ``notifications.key`` column is unique, so when two scheduler
processes race for the same reminder the database lets one insert win, and only the winner sends
the email. The row, the email and its ``emailed_at`` are one step (see :func:`notify`): the row is
inserted (not committed), the email handed to the SMTP server, and the row committed with
``emailed_at`` set. A process killed before the server accepted the message leaves no row, so the
next run sends that reminder; one killed after it leaves the row, so it is not sent again.

The window that remains, honestly: if the process dies (or the database fails) in the instant
after the SMTP server accepted the message and before the commit returns, the row is rolled back
and the next run emails that reminder a second time (at-least-once, never lost). If the SMTP
server refuses the message, the reminder stays in the app, the failure is logged, ``emailed_at``
stays empty and the email is not retried. On SQLite the write lock is held while the SMTP server
answers (at most the SMTP timeout), so other writers may wait that long; use PostgreSQL in
production.

Users choose how they hear (their account page): ``email_notifications`` off means in the app
only; ``digest_only`` means in the app, plus the weekly digest by email.
"""

import logging
from contextlib import contextmanager
from urllib.parse import urlsplit

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from hsbtrack.extensions import db
from hsbtrack.mail import send_email
from hsbtrack.notifications.models import Notification
from hsbtrack.timeutil import utcnow

log = logging.getLogger(__name__)

KEY_LENGTH = 200
IMMEDIATE = "immediate"  # a reminder: emailed unless the user turned email off or wants the digest only
DIGEST = "digest"  # the weekly digest: emailed unless the user turned email off
APP_ONLY = "app"  # never emailed


@contextmanager
def in_language_of(user):
    """Render text in the recipient's chosen language (emails, exports, reminders)."""
    languages = current_app.config.get("HSBTRACK_LANGUAGES", ("en",))
    locale = getattr(user, "locale", None)
    with force_locale(locale if locale in languages else current_app.config.get("BABEL_DEFAULT_LOCALE", "en")):
        yield


def absolute(path: str) -> str:
    """``path`` (from ``url_for``, so it already carries any script root) as an absolute URL."""
    if not path or urlsplit(path).scheme:
        return path
    base = urlsplit(current_app.config["HSBTRACK_BASE_URL"])
    return f"{base.scheme}://{base.netloc}{path}"


def wants_email(user, channel: str = IMMEDIATE) -> bool:
    if channel == APP_ONLY or not user.active or not user.email_notifications:
        return False
    return channel == DIGEST or not user.digest_only


def existing_keys(keys) -> set[str]:
    """Which of ``keys`` were already used (in chunks, so one query per 500 keys).

    Scans call it to skip reminders already sent without trying (and failing) an insert for each;
    the unique key still decides when two processes race.
    """
    keys = [k[:KEY_LENGTH] for k in keys]
    found = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        found.update(db.session.scalars(select(Notification.key).where(Notification.key.in_(chunk))))
    return found


def _account_path() -> str:
    try:
        return url_for("auth.account")
    except RuntimeError:  # no request context (a script): the usual path
        return "/account"


def email_text(user, body: str, link: str) -> str:
    """The email: the message, its link, and how to change what is emailed (in the user's language)."""
    parts = [body.strip()] if body and body.strip() else []
    if link:
        parts.append(absolute(link))
    with in_language_of(user):
        parts.append("-- \n" + _("You get this email because of your hsbtrack account. Choose which emails you "
                                 "get on your account page: %(url)s", url=absolute(_account_path())))
    return "\n\n".join(parts) + "\n"


def notify(user, *, key: str, kind: str, subject: str, body: str = "", link: str = "", area_id=None,
           email: bool = True, channel: str | None = None) -> Notification | None:
    """Record a notification under ``key`` and email it. Returns None if ``key`` was already used.

    :param channel: ``IMMEDIATE`` (default), ``DIGEST`` or ``APP_ONLY``; ``email=False`` is
        ``APP_ONLY``. Render ``subject`` and ``body`` inside :func:`in_language_of` (user).
    """
    channel = channel or (IMMEDIATE if email else APP_ONLY)
    note = Notification(key=key[:KEY_LENGTH], user_id=user.id, area_id=area_id, kind=kind,
                        subject=str(subject)[:300], body=str(body), link=link or "", created_at=utcnow())
    db.session.add(note)
    try:
        # Claims the key inside this transaction: a second process inserting it waits for our
        # commit (PostgreSQL: the unique index; SQLite: the write lock), then fails and sends nothing.
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return None
    if wants_email(user, channel):
        try:
            with in_language_of(user):
                send_email(user.email, str(subject), email_text(user, str(body), link))
        except Exception:  # an unreachable mail server must not stop the scan
            log.exception("could not email notification %s to user %s", note.key, user.id)
        else:
            note.emailed_at = utcnow()
    # One commit for the row and its emailed_at: killed before it, the reminder was never recorded
    # and the next run sends it; the window after the SMTP server's "250 OK" and before this commit
    # returns is the one where a second email is possible (see the module's docstring).
    try:
        db.session.commit()
    except IntegrityError:  # the key was taken meanwhile (only where the flush did not wait for it)
        db.session.rollback()
        return None
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
