"""Settings, read from the environment so that ``create_app()`` needs no arguments."""

import json
import os
import re
import secrets
from pathlib import Path

ENVIRONMENTS = ("production", "development", "testing")


class ConfigurationError(RuntimeError):
    """The environment does not describe a runnable install."""


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs given in the usual ``postgres://`` forms."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _clamd_url(value: str) -> str:
    """``unix:///path`` or ``tcp://host:port`` (empty: no virus scanning); a misspelt one stops the start
    rather than refusing every upload later."""
    value = value.strip()
    if value and not (value.startswith("unix:///") or (value.startswith("tcp://") and len(value) > 6)):
        raise ConfigurationError(f"HSBTRACK_CLAMD_URL must be unix:///path/to/clamd.ctl or tcp://host:port, "
                                 f"not {value!r}")
    return value


def _role_list(value: str) -> frozenset[str]:
    """``admin,board_manager`` -> those role ids; ``all`` stays ``{"all"}``; empty -> nobody."""
    return frozenset(part.strip().lower() for part in (value or "").split(",") if part.strip())


def _api_token_days(value: str) -> int:
    days = int(value or "90")
    if days < 1:
        raise ConfigurationError(f"HSBTRACK_API_TOKEN_DAYS must be a number of days, 1 or more, not {value!r}")
    return days


def _oidc_providers(value: str) -> list[dict]:
    if not (value or "").strip():
        return []
    try:
        providers = json.loads(value)
    except ValueError as error:
        raise ConfigurationError(f"HSBTRACK_OIDC_PROVIDERS is not valid JSON: {error}") from None
    if not isinstance(providers, list) or not all(isinstance(p, dict) and p.get("slug") for p in providers):
        raise ConfigurationError("HSBTRACK_OIDC_PROVIDERS must be a JSON list of objects, each with a \"slug\"")
    return providers


RETENTION_PREFIX = "HSBTRACK_RETENTION_"
RETENTION_PERIOD = re.compile(r"^\s*(\d+\s*[ymd]|never)\s*$", re.IGNORECASE)


def _retention(env) -> dict[str, str]:
    """The install's retention periods (docs/privacy.md): ``HSBTRACK_RETENTION_<RULE>=6y`` (years, ``m``
    months, ``d`` days, or ``never``) for any rule; a rule without one keeps its documented default."""
    periods = {}
    for key, value in env.items():
        if key.startswith(RETENTION_PREFIX) and value.strip():
            if not RETENTION_PERIOD.match(value):
                raise ConfigurationError(f"{key} must be a number of years, months or days (6y, 18m, 90d) or "
                                         f"never, not {value!r}")
            periods[key] = value.strip().lower().replace(" ", "")
    return periods


def _development_secret(instance_path: Path) -> str:
    """A per-checkout random key for development, kept in the instance folder (never committed)."""
    key_file = instance_path / "dev-secret-key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def settings_from_environment(instance_path: Path, environ=None) -> dict:
    env = os.environ if environ is None else environ
    mode = env.get("HSBTRACK_ENV", "production").strip().lower()
    if mode not in ENVIRONMENTS:
        raise ConfigurationError(f"HSBTRACK_ENV must be one of {', '.join(ENVIRONMENTS)}, not {mode!r}")
    production = mode == "production"

    secret = env.get("SECRET_KEY", "")
    if not secret:
        if production:
            raise ConfigurationError(
                "SECRET_KEY is not set. Refusing to start in production without one: set SECRET_KEY "
                "to a long random value (python -c 'import secrets; print(secrets.token_hex(32))')."
            )
        secret = _development_secret(instance_path) if mode == "development" else "testing-only-key"

    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'hsbtrack.db'}"
    return {
        "HSBTRACK_ENV": mode,
        "TESTING": mode == "testing",
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SESSION_COOKIE_SECURE": _bool(env.get("HSBTRACK_SECURE_COOKIES"), production),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool(env.get("HSBTRACK_SECURE_COOKIES"), production),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "PERMANENT_SESSION_LIFETIME": int(env.get("HSBTRACK_SESSION_MINUTES", "480")) * 60,
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": int(env.get("HSBTRACK_MAX_UPLOAD_MB", "20")) * 1024 * 1024,
        # a document upload's own limit (its routes allow it beside the general request cap above)
        "HSBTRACK_DOCUMENT_MAX_MB": int(env.get("HSBTRACK_DOCUMENT_MAX_MB", "50")),
        # an area archive uploaded on the admin page (docs/area-archive.md): its route allows it; larger ones
        # are imported with ``hsbtrack area import``
        "HSBTRACK_AREA_ARCHIVE_MAX_MB": int(env.get("HSBTRACK_AREA_ARCHIVE_MAX_MB", "1024")),
        # Jobs (docs/operator.md, "Jobs"): how many days a generated paper is kept for download, and after
        # how many minutes without a heartbeat a running job counts as failed (its runner died).
        "HSBTRACK_JOB_RESULT_DAYS": int(env.get("HSBTRACK_JOB_RESULT_DAYS", "7")),
        "HSBTRACK_JOB_STALE_MINUTES": int(env.get("HSBTRACK_JOB_STALE_MINUTES", "5")),
        "HSBTRACK_PLUGINS": env.get("HSBTRACK_PLUGINS", "*"),
        "HSBTRACK_LOGIN_MAX_FAILURES": int(env.get("HSBTRACK_LOGIN_MAX_FAILURES", "5")),
        "HSBTRACK_LOGIN_WINDOW_MINUTES": int(env.get("HSBTRACK_LOGIN_WINDOW_MINUTES", "15")),
        "HSBTRACK_TOKEN_HOURS": int(env.get("HSBTRACK_TOKEN_HOURS", "72")),
        # How long a new API token lasts at most, in days (docs/operator.md, "API tokens"); its owner may
        # choose a shorter time.
        "HSBTRACK_API_TOKEN_DAYS": _api_token_days(env.get("HSBTRACK_API_TOKEN_DAYS", "90")),
        # Two-factor authentication (docs/operator.md, "Two-factor authentication"): the roles that must
        # use it (role ids, comma-separated; "admin" for administrators; "all" for every password user;
        # empty for nobody), and the key its secrets are encrypted with (empty: derived from SECRET_KEY).
        "HSBTRACK_TWO_FACTOR_REQUIRED_ROLES": _role_list(
            env.get("HSBTRACK_TWO_FACTOR_REQUIRED_ROLES", "admin,board_manager,case_worker")),
        "HSBTRACK_ENCRYPTION_KEY": env.get("HSBTRACK_ENCRYPTION_KEY", ""),
        # Single sign-on (docs/operator.md, "Single sign-on"): OpenID Connect providers as a JSON list of
        # {"slug", "label", "issuer", "client_id", "client_secret", "allowed_domains", "is_entra",
        # "enforces_second_factor", "mfa_acr_values"}; each wins over the admin pages' provider of its slug.
        "HSBTRACK_OIDC_PROVIDERS": _oidc_providers(env.get("HSBTRACK_OIDC_PROVIDERS", "")),
        # Retention (docs/privacy.md): the install's own period for any retention rule, by its setting name
        # (HSBTRACK_RETENTION_SCOTLAND_CARM_CASES=6y); the others keep their defaults.
        "HSBTRACK_RETENTION": _retention(env),
        "HSBTRACK_BASE_URL": env.get("HSBTRACK_BASE_URL", "http://127.0.0.1:5000"),
        # How many reverse proxies in front of the app to trust for the client's address and scheme
        # (X-Forwarded-For/-Proto). 0: none (the app faces clients directly). Never more than there are:
        # a client could then choose its own address and slip past sign-in throttling.
        "HSBTRACK_TRUSTED_PROXIES": int(env.get("HSBTRACK_TRUSTED_PROXIES", "0")),
        "HSBTRACK_SCHEDULER": env.get("HSBTRACK_SCHEDULER", "embedded" if mode == "development" else "off"),
        # Document storage (docs/operator.md, "Document storage"): empty for <instance>/documents on
        # local disk, file:///path, or s3://bucket[/prefix] with the S3 settings below.
        "HSBTRACK_STORAGE_URL": env.get("HSBTRACK_STORAGE_URL", ""),
        "HSBTRACK_STORAGE_ACCEL_PREFIX": env.get("HSBTRACK_STORAGE_ACCEL_PREFIX", ""),
        "HSBTRACK_S3_ENDPOINT_URL": env.get("HSBTRACK_S3_ENDPOINT_URL", ""),
        "HSBTRACK_S3_ACCESS_KEY_ID": env.get("HSBTRACK_S3_ACCESS_KEY_ID", ""),
        "HSBTRACK_S3_SECRET_ACCESS_KEY": env.get("HSBTRACK_S3_SECRET_ACCESS_KEY", ""),
        "HSBTRACK_S3_REGION": env.get("HSBTRACK_S3_REGION", ""),
        "HSBTRACK_S3_PRESIGNED_DOWNLOADS": _bool(env.get("HSBTRACK_S3_PRESIGNED_DOWNLOADS"), False),
        # Virus scanning of uploaded documents (docs/operator.md, "Virus scanning"): empty for none, or
        # ClamAV's clamd at unix:///run/clamav/clamd.ctl or tcp://host:port; seconds for each step.
        "HSBTRACK_CLAMD_URL": _clamd_url(env.get("HSBTRACK_CLAMD_URL", "")),
        "HSBTRACK_CLAMD_TIMEOUT": float(env.get("HSBTRACK_CLAMD_TIMEOUT", "60")),
        "MAIL_SERVER": env.get("MAIL_SERVER", ""),
        "MAIL_PORT": int(env.get("MAIL_PORT", "25")),
        "MAIL_USE_TLS": _bool(env.get("MAIL_USE_TLS"), False),
        "MAIL_USERNAME": env.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD", ""),
        "MAIL_DEFAULT_SENDER": env.get("MAIL_DEFAULT_SENDER", "hsbtrack@localhost"),
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": env.get("HSBTRACK_TIMEZONE", "Europe/London"),
        "HSBTRACK_LANGUAGES": ("en", "cy"),
        # flask-smorest: the OpenAPI document at /api/v1/openapi.json
        "API_TITLE": "hsbtrack API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
    }
