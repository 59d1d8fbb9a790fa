"""Account rules: password hashing, login throttling, API tokens, invitation and reset links."""

import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app, g, url_for
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update

from hsbtrack.auth.models import AccountEvent, ApiToken, LoginAttempt, OneTimeToken, User
from hsbtrack.errors import ForbiddenError, ServiceError
from hsbtrack.extensions import db
from hsbtrack.mail import send_email
from hsbtrack.timeutil import local_date, utcnow

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 12


class AccountError(ValueError):
    """A rule was broken; the message is shown to the user next to the field."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


class SsoOnlyError(AccountError):
    """The account signs in through a sign-in provider only (``User.sso_only``): no password sign-in."""


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_rules(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError(_("Password must be at least %(n)d characters", n=MIN_PASSWORD_LENGTH), "password")


def verify_password(user: User, password: str) -> bool:
    if not user or not user.password_hash:
        # Spend the same time as a real check so timing does not reveal which emails exist.
        try:
            _hasher.verify(_DUMMY_HASH, password or "")
        except VerificationError:
            pass
        return False
    try:
        _hasher.verify(user.password_hash, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return True


_DUMMY_HASH = _hasher.hash("not-a-real-password")


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


# -- throttling -------------------------------------------------------------------------------


def is_throttled(email: str, ip: str) -> bool:
    """Too many recent failures for this email, or (5× as many) from this address."""
    limit = current_app.config["HSBTRACK_LOGIN_MAX_FAILURES"]
    since = utcnow() - timedelta(minutes=current_app.config["HSBTRACK_LOGIN_WINDOW_MINUTES"])
    failures = select(func.count()).select_from(LoginAttempt).where(LoginAttempt.success.is_(False), LoginAttempt.at >= since)
    by_email = db.session.scalar(failures.where(LoginAttempt.email == normalise_email(email)))
    by_ip = db.session.scalar(failures.where(LoginAttempt.ip == ip))
    return by_email >= limit or by_ip >= limit * 5


def record_login_attempt(email: str, ip: str, success: bool) -> None:
    db.session.add(LoginAttempt(email=normalise_email(email)[:254], ip=ip[:64], success=success))


def throttled_error(field: str) -> AccountError:
    """What a throttled sign-in step (password or second factor) is told."""
    return AccountError(
        _("Too many failed sign-in attempts. Wait %(m)d minutes and try again.",
          m=current_app.config["HSBTRACK_LOGIN_WINDOW_MINUTES"]),
        field,
    )


def authenticate(email: str, password: str, ip: str) -> User | None:
    """Return the user, or None. Raises AccountError when throttled."""
    if is_throttled(email, ip):
        raise throttled_error("email")
    user = user_by_email(email)
    ok = verify_password(user, password) and user.active
    if ok and user.sso_only:
        # Right password, but this account signs in through its provider only (the page says which).
        raise SsoOnlyError(_("Your account signs in through your organisation: use a “Sign in with” button "
                             "on this page"), "email")
    record_login_attempt(email, ip, ok)
    if ok:
        user.last_login_at = utcnow()
    db.session.commit()
    return user if ok else None


def change_password(user: User, current: str, new: str) -> None:
    if not verify_password(user, current):
        raise AccountError(_("Your current password is not correct"), "current_password")
    set_password(user, new)


def set_password(user: User, new: str) -> None:
    check_password_rules(new)
    user.password_hash = hash_password(new)
    user.session_version = (user.session_version or 1) + 1  # sign out other sessions
    db.session.commit()


def end_all_sessions(user: User) -> None:
    """Every signed-in session of ``user`` (each carries the session version) stops working."""
    user.session_version = (user.session_version or 1) + 1
    db.session.commit()


# -- tokens -----------------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


API_TOKEN_DAY_CHOICES = (30, 60, 90)  # what the account page offers (up to HSBTRACK_API_TOKEN_DAYS)
LAST_USE_EVERY = timedelta(minutes=1)  # a token's last use is written at most this often (not per request)


class ApiTokenExpired(Exception):
    """A right, unrevoked token past its expiry: the API answers 401 with this message."""

    def __init__(self, token: ApiToken):
        super().__init__(_("This API token expired on %(date)s: make a new one on your account page",
                           date=format_date(local_date(token.expires_at), "d MMMM yyyy")))
        self.token = token


def api_token_days() -> int:
    """How long a new token lasts at most (``HSBTRACK_API_TOKEN_DAYS``, default 90)."""
    return int(current_app.config.get("HSBTRACK_API_TOKEN_DAYS", 90))


def api_token_day_choices() -> list[int]:
    """The lifetimes a token's owner may choose: the standard ones shorter than the setting, and the setting."""
    longest = api_token_days()
    return sorted({days for days in API_TOKEN_DAY_CHOICES if days < longest} | {longest})


def issue_api_token(user: User, name: str = "", days: int | None = None) -> str:
    """Create an API token and return it; only its digest is kept. It expires after ``days`` (at most,
    and by default, ``HSBTRACK_API_TOKEN_DAYS``)."""
    longest = api_token_days()
    days = longest if days is None else days
    if not 1 <= days <= longest:
        raise ServiceError.field("days", _("Choose when the token expires: at most %(n)d days", n=longest))
    token = "hsb_" + secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(ApiToken(user_id=user.id, token_hash=_digest(token), name=name[:100], created_at=now,
                            expires_at=now + timedelta(days=days)))
    db.session.commit()
    return token


def token_expired(token: ApiToken, now=None) -> bool:
    return token.expires_at is not None and token.expires_at <= (now or utcnow())


def _record_use(token: ApiToken, now) -> None:
    """``last_used_at``, written at most once a minute per token, when the request is over
    (:func:`record_token_use`): a commit now would expire what the request has loaded."""
    if token.last_used_at is not None and now - token.last_used_at < LAST_USE_EVERY:
        return
    g.api_token_use = (token.id, now)


def record_token_use(response):
    """After a request made with an API token and answered (not refused): write its last use (one
    conditional UPDATE, so that two requests at once write it once). An ``after_request`` function."""
    used = g.pop("api_token_use", None)
    if used is not None and response.status_code < 400:  # (a refused request changes nothing)
        token_id, now = used
        db.session.rollback()  # (whatever the request left unsaved is not ours to commit)
        db.session.execute(update(ApiToken).where(
            ApiToken.id == token_id,
            or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - LAST_USE_EVERY))
            .values(last_used_at=now))
        db.session.commit()
    return response


def user_for_api_token(token: str) -> User | None:
    """The active owner of an unrevoked token; None for anything else. Raises :class:`ApiTokenExpired`
    for a right token past its expiry (so the caller can say so). Records the token's use."""
    if not token:
        return None
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token), ApiToken.revoked_at.is_(None)))
    if row is None or not row.user.active:
        return None
    now = utcnow()
    if token_expired(row, now):
        raise ApiTokenExpired(row)
    user = row.user
    _record_use(row, now)
    return user


OFFBOARD_REASONS = {"deactivated": "tokens_revoked_deactivated", "last_role_removed": "tokens_revoked_last_role"}


def offboard(user: User, reason: str, by: User | None) -> int:
    """Someone leaves (``OFFBOARD_REASONS``): every API token of theirs is revoked and every session of
    theirs ends (the session version moves on). Recorded in the account's history. The caller commits
    (with its own change); returns how many tokens were revoked."""
    now = utcnow()
    revoked = db.session.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                                 .values(revoked_at=now)).rowcount
    user.session_version = (user.session_version or 1) + 1
    db.session.add(AccountEvent(user_id=user.id, event=OFFBOARD_REASONS[reason], by_user_id=getattr(by, "id", None),
                                at=now))
    return revoked


def issue_one_time_token(user: User, purpose: str, hours: int | None = None) -> str:
    token = secrets.token_urlsafe(32)
    hours = hours or current_app.config["HSBTRACK_TOKEN_HOURS"]
    db.session.add(
        OneTimeToken(user_id=user.id, purpose=purpose, token_hash=_digest(token), expires_at=utcnow() + timedelta(hours=hours))
    )
    return token


def redeem_one_time_token(token: str, purpose: str) -> OneTimeToken | None:
    """Return the token row if valid (unused, unexpired, right purpose); does not mark it used."""
    row = db.session.scalar(select(OneTimeToken).where(OneTimeToken.token_hash == _digest(token or "")))
    if row is None or row.purpose != purpose or row.used_at is not None or row.expires_at < utcnow():
        return None
    return row


def complete_one_time_token(row: OneTimeToken, password: str, name: str | None = None) -> User:
    check_password_rules(password)
    user = row.user
    if name:
        user.name = name.strip()[:200]
    row.used_at = utcnow()
    if user.activated_at is None:
        user.activated_at = row.used_at  # the invitation (or a reset link) taken up
    set_password(user, password)
    return user


# -- invitations and reset emails ---------------------------------------------------------------


def invite(user: User, created: bool, inviter=None) -> bool:
    """Send the invitation email to someone just given a role who cannot sign in yet (new, or never
    set a password). One rule for the members pages, the region page, the API, action owners and
    plugins. Returns whether an invitation went."""
    if not (created or user.activated_at is None):
        return False
    send_set_password_email(user, "invite", inviter=inviter)
    return True


def send_set_password_email(user, purpose: str, inviter=None) -> None:
    """Invitation or reset email, in the recipient's language, with a one-time link (built for the
    request being served: invitations and resets are always asked for through a page or the API)."""
    token = issue_one_time_token(user, purpose)
    db.session.commit()
    endpoint = "auth.accept_invite" if purpose == "invite" else "auth.reset_password"
    link = current_app.config["HSBTRACK_BASE_URL"].rstrip("/") + url_for(endpoint, token=token)
    hours = current_app.config["HSBTRACK_TOKEN_HOURS"]
    with force_locale(user.locale or "en"):
        if purpose == "invite":
            subject = _("You have been invited to hsbtrack")
            body = _("%(who)s has invited you to hsbtrack, where your safeguarding partnership runs its "
                     "harmful sexual behaviour audit.\n\nSet your password here (the link works once and "
                     "expires in %(hours)d hours):\n%(link)s\n",
                     who=getattr(inviter, "display_name", "An administrator"), hours=hours, link=link)
        else:
            subject = _("Reset your hsbtrack password")
            body = _("Someone asked to reset the password for this email address. If it was you, choose a new "
                     "password here (the link works once and expires in %(hours)d hours):\n%(link)s\n\n"
                     "If it was not you, ignore this email.", hours=hours, link=link)
    send_email(user.email, subject, body)


def save_preferences(user: User, name: str, locale: str, email_notifications: bool, digest_only: bool) -> None:
    """The account page's preferences: display name, language and what email to get."""
    user.name = (name or "").strip()
    user.locale = locale
    user.email_notifications = bool(email_notifications)
    user.digest_only = bool(digest_only)
    db.session.commit()


def set_language(user: User, code: str) -> None:
    """Remember a signed-in user's language (emails and exports follow it)."""
    if user.locale != code:
        user.locale = code
        db.session.commit()


def own_active_api_token(user: User, token_id: int) -> ApiToken | None:
    """One of the user's own tokens that is still in use; None otherwise (another's, revoked, unknown)."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        return None
    return token


def revoke_api_token(user: User, token_id: int) -> bool:
    """Revoke one of the user's own tokens; False when it is not theirs (or does not exist)."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        return False
    token.revoked_at = utcnow()
    db.session.commit()
    return True


ADMIN_CHANGES = {"make_admin", "revoke_admin", "deactivate", "activate"}


def change_account_status(user: User, change: str, by: User) -> None:
    """An administrator's change to an account (``ADMIN_CHANGES``). Deactivating signs the user out
    everywhere and revokes their API tokens (:func:`offboard`). Nobody removes their own administrator rights or deactivates themself."""
    if change not in ADMIN_CHANGES:
        raise ServiceError.field("action", _("Choose what to change"))
    if user.id == by.id and change in {"revoke_admin", "deactivate"}:
        raise ForbiddenError(_("You cannot remove your own administrator rights or deactivate yourself"))
    if change == "make_admin":
        user.is_admin = True
    elif change == "revoke_admin":
        user.is_admin = False
    elif change == "deactivate":
        user.active = False
        offboard(user, "deactivated", by)  # tokens revoked, sessions ended, recorded
    else:
        user.active = True
    db.session.commit()
