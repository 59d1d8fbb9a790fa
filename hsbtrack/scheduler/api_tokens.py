"""The API-token expiry reminder (job ``core.api_tokens``): 7 days before a token expires its owner is
told, once, in their language — in the app, and by email unless they turned reminder emails off.

Once, however many times or processes run it: the notification key ``api-token:<token>:<expiry date>``
is unique (see :func:`hsbtrack.notifications.services.notify`), and ``api_tokens.expiry_reminded_at``
keeps the scan from looking at a reminded token again. Revoked tokens, expired ones and those of
deactivated people are left alone.
"""

from datetime import UTC, timedelta

from flask import url_for
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from hsbtrack.auth.models import ApiToken, User
from hsbtrack.extensions import db
from hsbtrack.notifications.services import in_language_of, notify
from hsbtrack.timeutil import local_date

WARNING_DAYS = 7


def scan_api_tokens(app, now) -> int:
    """Remind owners of tokens expiring within ``WARNING_DAYS`` (calendar days in the install's time zone);
    returns how many were told."""
    now = now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo else now
    tokens = db.session.scalars(
        select(ApiToken).join(User, User.id == ApiToken.user_id)
        .where(ApiToken.revoked_at.is_(None), ApiToken.expiry_reminded_at.is_(None), ApiToken.expires_at > now,
               ApiToken.expires_at <= now + timedelta(days=WARNING_DAYS + 1), User.active.is_(True))
        .options(selectinload(ApiToken.user)).order_by(ApiToken.expires_at, ApiToken.id)).all()
    today, sent = local_date(now), 0
    for token in tokens:
        if (local_date(token.expires_at) - today).days > WARNING_DAYS:  # (counted in calendar days)
            continue
        owner = token.user
        with in_language_of(owner):
            values = {"name": token.name, "date": format_date(local_date(token.expires_at), "d MMMM yyyy")}
            subject = _("Your API token “%(name)s” expires on %(date)s", **values)
            body = _("After %(date)s any system that uses the API token “%(name)s” will be refused. Make a new "
                     "token on your account page and give it to that system before then.", **values)
        key = f"api-token:{token.id}:{token.expires_at.date().isoformat()}"
        if notify(owner, key=key, kind="api_token", subject=subject, body=body, link=url_for("auth.account")):
            sent += 1
        token.expiry_reminded_at = now
        db.session.commit()
    return sent
