"""Single sign-on with OpenID Connect: the rules (docs/security.md, "Single sign-on").

* **Providers** are rows of ``sign_in_providers`` (the admin pages, ``hsbtrack/auth/sso_admin.py``) and
  entries of the ``HSBTRACK_OIDC_PROVIDERS`` setting (a JSON list); a setting wins for every field it
  gives of a provider with the same slug. The client secret is kept encrypted (the two-factor
  secrets' key) and never shown back.
* **Microsoft Entra ID** needs a tenant's own issuer (``…/<tenant id>/v2.0``): the multi-tenant
  ``common``, ``organizations`` and ``consumers`` would let any tenant's user in. And Entra's
  ``email`` claim is whatever the tenant's admin typed: it counts only when ``email_verified`` or
  ``xms_edov`` (the domain owner verified it) is true — the "nOAuth" account takeover otherwise.
* **Matching**: a provider's user signs in to the account linked to their (issuer, subject). The first
  time, the account is found by an e-mail the provider asserts as verified, in one of the provider's
  allowed domains, and must exist already (invited or active): nobody is created here. Then the
  identity is linked and the e-mail is never looked at again; an account already linked to another
  identity is not linked to a second one by e-mail.
* **Second factor**: the provider's own counts when the ID token's ``amr`` names one, its ``acr`` is
  one the provider is set to treat as one, or the provider is marked as enforcing it.

No request objects here: ``hsbtrack/auth/sso_views.py`` runs the OpenID Connect flow (Authlib) and
calls these rules with the validated ID token's claims.
"""

import json
import re
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from hsbtrack.auth.models import AccountEvent, OneTimeToken, SignInProvider, User, UserIdentity
from hsbtrack.auth.services import normalise_email
from hsbtrack.auth.two_factor import decrypt, encrypt
from hsbtrack.errors import ServiceError
from hsbtrack.extensions import db
from hsbtrack.timeutil import utcnow

SCOPES = "openid email profile"
# amr values (RFC 8176) that say the provider checked a second factor
MFA_AMR = frozenset({"mfa", "otp", "hwk", "swk"})
ENTRA_HOST = "login.microsoftonline.com"
ENTRA_MULTI_TENANT = frozenset({"common", "organizations", "consumers"})
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
LINKED, SSO_ONLY_SET, SSO_ONLY_CLEARED = "identity_linked", "sso_only_set", "sso_only_cleared"


@dataclass(frozen=True)
class Provider:
    slug: str
    label: str
    issuer: str
    client_id: str
    client_secret: str = field(repr=False, default="")
    allowed_domains: tuple[str, ...] = ()
    is_entra: bool = False
    enforces_second_factor: bool = False
    mfa_acr_values: tuple[str, ...] = ()
    from_settings: bool = False
    id: int | None = None

    @property
    def metadata_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


def _split(value) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.split(",")
    return tuple(part.strip().lower() for part in (value or ()) if part and part.strip())


def _from_row(row: SignInProvider) -> Provider:
    return Provider(slug=row.slug, label=row.label, issuer=row.issuer, client_id=row.client_id,
                    client_secret=decrypt(row.client_secret) or "", allowed_domains=_split(row.allowed_domains),
                    is_entra=row.is_entra, enforces_second_factor=row.enforces_second_factor,
                    mfa_acr_values=tuple(v.strip() for v in row.mfa_acr_values.split(",") if v.strip()), id=row.id)


_SETTING_FIELDS = {"label", "issuer", "client_id", "client_secret", "allowed_domains", "is_entra",
                   "enforces_second_factor", "mfa_acr_values"}


def _settings() -> list[dict]:
    value = current_app.config.get("HSBTRACK_OIDC_PROVIDERS") or []
    if isinstance(value, str):
        value = json.loads(value) if value.strip() else []
    return [dict(entry) for entry in value]


def providers() -> list[Provider]:
    """Every enabled provider, in the order of their buttons: the admin pages' (by label), then those
    only the settings define."""
    found = {row.slug: _from_row(row) for row in db.session.scalars(
        select(SignInProvider).where(SignInProvider.enabled.is_(True)).order_by(SignInProvider.label))}
    for entry in _settings():
        slug = str(entry.get("slug", "")).strip().lower()
        if not slug:
            continue
        given = {key: entry[key] for key in _SETTING_FIELDS if key in entry}
        for key in ("allowed_domains", "mfa_acr_values"):
            if key in given:
                given[key] = _split(given[key]) if key == "allowed_domains" else tuple(
                    v.strip() for v in (given[key].split(",") if isinstance(given[key], str) else given[key]))
        base = found.get(slug) or Provider(slug=slug, label=slug, issuer="", client_id="")
        found[slug] = replace(base, from_settings=True, **given)
    return [p for p in found.values() if p.issuer and p.client_id]


def provider(slug: str) -> Provider | None:
    return next((p for p in providers() if p.slug == slug), None)


def all_rows() -> list[SignInProvider]:
    return list(db.session.scalars(select(SignInProvider).order_by(SignInProvider.label)))


def settings_slugs() -> set[str]:
    return {str(entry.get("slug", "")).strip().lower() for entry in _settings()}


# -- the admin pages --------------------------------------------------------------------------------


def entra_issuer_problem(issuer: str) -> str | None:
    """Why ``issuer`` is not a tenant-specific Microsoft Entra ID issuer, or None."""
    parts = urlsplit(issuer or "")
    segments = [s for s in parts.path.split("/") if s]
    if parts.scheme != "https" or parts.hostname != ENTRA_HOST or not segments:
        return _("Enter your tenant's issuer, like https://login.microsoftonline.com/<tenant id>/v2.0")
    if segments[0].lower() in ENTRA_MULTI_TENANT:
        return _("Enter your tenant's own issuer (https://login.microsoftonline.com/<tenant id>/v2.0): "
                 "“%(tenant)s” would let people from any Microsoft tenant sign in", tenant=segments[0])
    return None


def save_provider(data: dict, provider_id: int | None = None) -> SignInProvider:
    """Add or change a provider from the admin page's fields (every field error at once). An empty
    client secret on a change keeps the one stored."""
    row = db.session.get(SignInProvider, provider_id) if provider_id else SignInProvider()
    errors = {}
    slug = (data.get("slug") or "").strip().lower()
    if not SLUG_RE.match(slug):
        errors["slug"] = _("Enter a short name of lower-case letters, digits and hyphens, like council")
    elif db.session.scalar(select(SignInProvider.id).where(SignInProvider.slug == slug,
                                                           SignInProvider.id != (row.id or 0))):
        errors["slug"] = _("Another provider has this short name")
    label = (data.get("label") or "").strip()
    if not label:
        errors["label"] = _("Enter the name on the button, like Riverside Council")
    issuer = (data.get("issuer") or "").strip().rstrip("/")
    is_entra = bool(data.get("is_entra"))
    parts = urlsplit(issuer)
    if not (parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in {"localhost", "127.0.0.1"})) \
            or not parts.hostname:
        errors["issuer"] = _("Enter the issuer URL, starting https://")
    elif is_entra and (problem := entra_issuer_problem(issuer)):
        errors["issuer"] = problem
    client_id = (data.get("client_id") or "").strip()
    if not client_id:
        errors["client_id"] = _("Enter the client ID the provider gave hsbtrack")
    secret = (data.get("client_secret") or "").strip()
    if not secret and not row.client_secret:
        errors["client_secret"] = _("Enter the client secret the provider gave hsbtrack")
    domains = _split(data.get("allowed_domains"))
    if not domains:
        errors["allowed_domains"] = _("Enter at least one e-mail domain, like council.gov.uk")
    elif any("@" in d or "." not in d or " " in d for d in domains):
        errors["allowed_domains"] = _("Enter domains only, separated by commas, like council.gov.uk, nhs.net")
    if errors:
        raise ServiceError(_("The provider has not been saved"), fields=errors)
    row.slug, row.label, row.issuer, row.client_id = slug, label[:100], issuer, client_id
    if secret:
        row.client_secret = encrypt(secret)
    row.allowed_domains = ",".join(domains)
    row.is_entra = is_entra
    row.enforces_second_factor = bool(data.get("enforces_second_factor"))
    row.mfa_acr_values = ",".join(v.strip() for v in (data.get("mfa_acr_values") or "").split(",") if v.strip())
    row.enabled = bool(data.get("enabled", True))
    if row.id is None:
        db.session.add(row)
    db.session.commit()
    return row


def delete_provider(provider_id: int) -> bool:
    row = db.session.get(SignInProvider, provider_id)
    if row is None:
        return False
    db.session.delete(row)
    db.session.commit()
    return True


def set_sso_only(user: User, value: bool, by: User) -> None:
    """An administrator restricts an account to signing in through a provider (or lifts it)."""
    if user.sso_only == bool(value):
        return
    user.sso_only = bool(value)
    if value:
        user.session_version = (user.session_version or 1) + 1  # password sessions end
    db.session.add(AccountEvent(user_id=user.id, event=SSO_ONLY_SET if value else SSO_ONLY_CLEARED, by_user_id=by.id))
    db.session.commit()


def identities_of(user: User) -> list[UserIdentity]:
    return list(db.session.scalars(select(UserIdentity).where(UserIdentity.user_id == user.id)))


# -- signing in -------------------------------------------------------------------------------------


class Refused(Exception):  # noqa: N818  (a refusal, shown on a page, not a fault)
    """The provider's user may not sign in; ``reason`` says why (shown), ``email`` whom to invite."""

    NOT_INVITED, UNVERIFIED, DOMAIN, ALREADY_LINKED, INACTIVE = \
        "not_invited", "unverified", "domain", "already_linked", "inactive"

    def __init__(self, reason: str, email: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.email = email


def _true(value) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def verified_email(p: Provider, claims: dict) -> str | None:
    """The e-mail the provider asserts as verified, or None. Entra ID: ``email_verified`` or ``xms_edov``
    must be there and true (Entra's ``email`` is otherwise any text a tenant's admin typed)."""
    email = normalise_email(claims.get("email") or "")
    if not email or "@" not in email:
        return None
    if _true(claims.get("email_verified")):
        return email
    if p.is_entra and _true(claims.get("xms_edov")):
        return email
    return None


def in_allowed_domain(p: Provider, email: str) -> bool:
    return email.rsplit("@", 1)[-1] in p.allowed_domains


def sign_in(p: Provider, claims: dict) -> User:
    """The account the validated ID token's ``claims`` sign in to (linking it the first time), or
    ``Refused``. Records the sign-in."""
    issuer, subject = claims["iss"], str(claims["sub"])
    identity = db.session.scalar(select(UserIdentity).where(UserIdentity.issuer == issuer,
                                                            UserIdentity.subject == subject))
    if identity is not None:
        user = identity.user
        if not user.active:
            raise Refused(Refused.INACTIVE, user.email)
    else:
        email = verified_email(p, claims)
        if email is None:
            raise Refused(Refused.UNVERIFIED, normalise_email(claims.get("email") or ""))
        if not in_allowed_domain(p, email):
            raise Refused(Refused.DOMAIN, email)
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            raise Refused(Refused.NOT_INVITED, email)
        if not user.active:
            raise Refused(Refused.INACTIVE, email)
        if db.session.scalar(select(UserIdentity.id).where(UserIdentity.user_id == user.id)) is not None:
            raise Refused(Refused.ALREADY_LINKED, email)
        identity = UserIdentity(user_id=user.id, provider_slug=p.slug, issuer=issuer, subject=subject, email=email)
        db.session.add(identity)
        db.session.add(AccountEvent(user_id=user.id, event=LINKED, by_user_id=user.id))
        # The invitation is taken up: its links stop working.
        db.session.execute(update(OneTimeToken).where(OneTimeToken.user_id == user.id, OneTimeToken.purpose == "invite",
                                                      OneTimeToken.used_at.is_(None)).values(used_at=utcnow()))
    now = utcnow()
    identity.last_used_at = now
    user.last_login_at = now
    if user.activated_at is None:
        user.activated_at = now
    db.session.commit()
    return user


def second_factor_asserted(p: Provider, claims: dict) -> bool:
    """Whether the provider checked a second factor for this sign-in."""
    if p.enforces_second_factor:
        return True
    amr = claims.get("amr") or []
    if isinstance(amr, str):
        amr = [amr]
    if MFA_AMR & {str(v).lower() for v in amr}:
        return True
    acr = claims.get("acr")
    return bool(acr and acr in p.mfa_acr_values)
