"""Two-factor authentication: the rules (docs/security.md, "Two-factor authentication").

* **TOTP** (RFC 6238, 30-second steps, 6 digits; pyotp): the secret is made here, shown once while
  the user sets it up (QR code and key), and kept encrypted with Fernet under a key derived by HKDF
  from ``HSBTRACK_ENCRYPTION_KEY`` (or, when that is empty, ``SECRET_KEY``). A code is accepted for
  the current step and the one either side (clock drift), and only for a step later than the last
  one accepted: a code seen once cannot be used again.
* **Recovery codes**: ten, single-use, shown once when two-factor is set up or when the user asks
  for new ones (the old ones then stop working); kept as argon2 hashes (the password hasher).
* **Who must use it**: ``HSBTRACK_TWO_FACTOR_REQUIRED_ROLES`` (role ids; ``admin`` for
  administrators; ``all``: every password user).
* Every change is an :class:`~hsbtrack.auth.models.AccountEvent`; an administrator's reset also ends
  the user's sessions.

No request objects here: the sign-in pages (``hsbtrack/auth/views.py``) keep the "password right,
second factor pending" state in the session and call these rules.
"""

import base64
import hmac
import secrets
import time
from collections.abc import Iterable

import pyotp
import segno
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select

from hsbtrack.auth.models import AccountEvent, RecoveryCode, User
from hsbtrack.auth.services import _hasher, hash_password, is_throttled, record_login_attempt, throttled_error
from hsbtrack.errors import ServiceError
from hsbtrack.extensions import db
from hsbtrack.timeutil import utcnow

ISSUER = "hsbtrack"
# The session key of "password right, second factor pending" (hsbtrack/auth/views.py)
PENDING_SESSION_KEY = "two_factor_pending"
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper without doubt
ENABLED, DISABLED, RESET, NEW_RECOVERY_CODES = "two_factor_enabled", "two_factor_disabled", "two_factor_reset", \
    "recovery_codes_replaced"


# -- encryption at rest -------------------------------------------------------------------------


def _fernet() -> Fernet:
    material = current_app.config.get("HSBTRACK_ENCRYPTION_KEY") or current_app.config["SECRET_KEY"]
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"hsbtrack", info=b"hsbtrack two-factor secrets v1") \
        .derive(material.encode() if isinstance(material, str) else material)
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str | None) -> str | None:
    """The plaintext, or None when the token is missing or was made under another key."""
    if not token:
        return None
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return None


# -- who must use it ----------------------------------------------------------------------------


def required_roles() -> frozenset[str]:
    value = current_app.config.get("HSBTRACK_TWO_FACTOR_REQUIRED_ROLES") or ()
    if isinstance(value, str):
        value = value.split(",")
    return frozenset(part.strip().lower() for part in value if part.strip())


def is_enrolled(user: User) -> bool:
    return bool(user.totp_secret)


def is_required(user: User, roles: Iterable[str]) -> bool:
    """Whether ``user`` (holding ``roles``: role ids of their memberships, ``admin`` for an
    administrator) must sign in with two factors: password users, and users of a sign-in provider that
    did not check a second factor itself (hsbtrack/auth/sso.py, ``second_factor_asserted``)."""
    wanted = required_roles()
    if not wanted:
        return False
    return "all" in wanted or bool(wanted & set(roles))


# -- setting it up ------------------------------------------------------------------------------


def new_secret() -> str:
    return pyotp.random_base32()  # 32 characters: 160 bits


def grouped(secret: str) -> str:
    """The key as people type it: groups of four."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str, title: str) -> str:
    """The QR code as inline SVG markup (no script, no style attribute: the CSP lets it through)."""
    svg = segno.make(uri, error="m").svg_inline(scale=5, border=4, dark="#0b0c0c", light="#ffffff", title=title,
                                               svgclass="hsb-qr", lineclass=None)
    return svg.replace("<svg ", '<svg role="img" focusable="false" ', 1)


def _matching_step(secret: str, code: str, after: int | None) -> int | None:
    """The time step (now, or one either side) whose code is ``code`` and which is later than ``after``."""
    code = "".join((code or "").split())
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    now = int(time.time()) // totp.interval
    for step in (now - 1, now, now + 1):
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10)) for _ in range(RECOVERY_CODE_COUNT)]
    for code in codes:
        db.session.add(RecoveryCode(user_id=user.id, code_hash=hash_password(code)))
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def _record(user: User, event: str, by: User | None) -> None:
    db.session.add(AccountEvent(user_id=user.id, event=event, by_user_id=getattr(by, "id", None)))


def enable(user: User, secret: str, code: str) -> list[str]:
    """Turn two-factor on with ``secret`` once ``code`` proves the app has it; returns the new
    recovery codes (shown once). A wrong code: ``ServiceError`` on the field ``code``."""
    step = _matching_step(secret, code, None)
    if step is None:
        raise ServiceError.field("code", _("The code is not correct. Enter the 6-digit code your app shows now"))
    user.totp_secret = encrypt(secret)
    user.totp_last_step = step
    user.totp_enabled_at = utcnow()
    codes = _new_recovery_codes(user)
    _record(user, ENABLED, user)
    db.session.commit()
    return codes


def replace_recovery_codes(user: User) -> list[str]:
    """New recovery codes; the old ones stop working."""
    codes = _new_recovery_codes(user)
    _record(user, NEW_RECOVERY_CODES, user)
    db.session.commit()
    return codes


def unused_recovery_codes(user: User) -> int:
    return len(db.session.scalars(select(RecoveryCode.id).where(RecoveryCode.user_id == user.id,
                                                                RecoveryCode.used_at.is_(None))).all())


def _turn_off(user: User) -> None:
    user.totp_secret = None
    user.totp_last_step = None
    user.totp_enabled_at = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def disable(user: User, roles: Iterable[str]) -> None:
    """The user turns their own two-factor off: only where it is not required of them."""
    if is_required(user, roles):
        raise ServiceError(_("Your roles need two-factor authentication, so it cannot be turned off"))
    _turn_off(user)
    _record(user, DISABLED, user)
    db.session.commit()


def reset(user: User, by: User) -> None:
    """An administrator resets a lost second factor: two-factor is off (the user signs in with the
    password, and sets it up again where it is required), the history records who did it, and every
    session of the user ends."""
    _turn_off(user)
    user.session_version = (user.session_version or 1) + 1
    _record(user, RESET, by)
    db.session.commit()


# -- signing in ---------------------------------------------------------------------------------


def verify(user: User, code: str) -> bool:
    """A code from the app (not one accepted before) or an unused recovery code; marks it used."""
    secret = decrypt(user.totp_secret)
    if secret is not None:
        step = _matching_step(secret, code, user.totp_last_step)
        if step is not None:
            user.totp_last_step = step
            db.session.commit()
            return True
    normalised = "".join(ch for ch in (code or "").lower() if ch.isalnum())
    if len(normalised) != 10:
        return False
    for row in db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                                              RecoveryCode.used_at.is_(None))):
        try:
            _hasher.verify(row.code_hash, normalised)
        except (VerificationError, InvalidHashError):
            continue
        row.used_at = utcnow()
        db.session.commit()
        return True
    return False


def events_for(user: User) -> list[AccountEvent]:
    return list(db.session.scalars(select(AccountEvent).where(AccountEvent.user_id == user.id)
                                   .order_by(AccountEvent.at.desc(), AccountEvent.id.desc())))


def second_step(user: User, code: str, ip: str) -> bool:
    """The second step of signing in, throttled with the password (the same failures count towards
    ``HSBTRACK_LOGIN_MAX_FAILURES``): True when ``code`` is right. Raises ``AccountError`` (field
    ``code``) when throttled, even for a right code."""
    if is_throttled(user.email, ip):
        raise throttled_error("code")
    ok = verify(user, code)
    record_login_attempt(user.email, ip, ok)
    db.session.commit()
    return ok
