from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hsbtrack.extensions import db
from hsbtrack.timeutil import utcnow

FORMER_MEMBER = _l("former member")  # who an erased person is shown as (hsbtrack/privacy)


def erased_placeholder_email(user_id: int) -> str:
    """The address of an erased person's placeholder account (hsbtrack.privacy; an area archive's import
    makes one for an erased person it carries): unique, never delivered (``.invalid``), nobody's."""
    return f"former-member-{user_id}@erased.invalid"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str] = mapped_column(String(8), default="en")
    email_notifications: Mapped[bool] = mapped_column(default=True)
    digest_only: Mapped[bool] = mapped_column(default=False)
    # Changing it invalidates every session of the user (password change, deactivation).
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Two-factor authentication (hsbtrack/auth/two_factor.py): the TOTP secret, encrypted (Fernet);
    # the last time step a code was accepted for (a code is never accepted twice); when it was set up.
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    totp_last_step: Mapped[int | None]
    totp_enabled_at: Mapped[datetime | None]
    # When the account was taken up: its invitation accepted with a password, or its first sign-in
    # through a provider (hsbtrack/auth/sso.py). None: invited, not yet accepted.
    activated_at: Mapped[datetime | None]
    # Signs in through a sign-in provider only: password sign-in and password resets are refused.
    sso_only: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    # UK GDPR erasure (hsbtrack/privacy): when the person was erased. The row stays as a placeholder, its
    # name, address and credentials gone, so that what they did still reads "former member" (in the page's
    # language: the marker is this date, never a stored word).
    erased_at: Mapped[datetime | None]

    memberships = relationship("Membership", back_populates="user", cascade="all, delete-orphan")

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def display_name(self) -> str:
        if self.erased_at is not None:
            return str(FORMER_MEMBER)
        return self.name or self.email

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class ApiToken(db.Model):
    """A bearer token for the JSON API. Only its SHA-256 digest is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    # After it the API answers 401 (HSBTRACK_API_TOKEN_DAYS, or shorter, from creation; migration 0012
    # gave older tokens a date). The owner is e-mailed once, 7 days before (expiry_reminded_at).
    expires_at: Mapped[datetime | None]
    expiry_reminded_at: Mapped[datetime | None]

    user = relationship("User")


class OneTimeToken(db.Model):
    """An invitation or password-reset link: single use, expiring, stored as a digest."""

    __tablename__ = "one_time_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # "invite" or "reset"
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user = relationship("User")


class LoginAttempt(db.Model):
    """Failed and successful logins, kept to throttle guessing across every worker process."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    ip: Mapped[str] = mapped_column(String(64), index=True)
    success: Mapped[bool] = mapped_column(default=False)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class RecoveryCode(db.Model):
    """A single-use recovery code for two-factor sign-in; only its argon2 hash is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]


class AccountEvent(db.Model):
    """The history of an account's security: two-factor set up, turned off, reset by an
    administrator, new recovery codes. Append-only, like the history of records."""

    __tablename__ = "account_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(40))
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    by_user = relationship("User", foreign_keys=[by_user_id])


class SignInProvider(db.Model):
    """An OpenID Connect provider people sign in through (hsbtrack/auth/sso.py), added on the admin
    pages (settings may define more, or override one by its slug). The client secret is encrypted."""

    __tablename__ = "sign_in_providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    label: Mapped[str] = mapped_column(String(100))
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    client_secret: Mapped[str] = mapped_column(String(1000), default="")
    # e-mail domains whose people may sign in through it, comma-separated (e.g. "council.gov.uk,nhs.net")
    allowed_domains: Mapped[str] = mapped_column(String(1000), default="")
    is_entra: Mapped[bool] = mapped_column(default=False)
    enforces_second_factor: Mapped[bool] = mapped_column(default=False)
    # acr values that mean the provider checked a second factor, comma-separated (empty: none)
    mfa_acr_values: Mapped[str] = mapped_column(String(500), default="")
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UserIdentity(db.Model):
    """An account linked to a provider's user, on (issuer, subject): once linked, never matched by
    e-mail again."""

    __tablename__ = "user_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    provider_slug: Mapped[str] = mapped_column(String(40))
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(255))
    email: Mapped[str] = mapped_column(String(254), default="")  # the address it was linked on
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]

    user = relationship("User")
