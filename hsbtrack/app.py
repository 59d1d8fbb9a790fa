"""The application factory: a sequence of small ``configure_*`` steps."""

import logging
import os
import secrets
from pathlib import Path

from flask import Flask, g, request
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader

import hsbtrack.models  # noqa: F401  (every core table on the metadata)
from hsbtrack.api.errors import HsbApi
from hsbtrack.areas.roles import Permission, Role
from hsbtrack.auth.loading import configure_login
from hsbtrack.catalogue import Catalogue, builtin_framework_paths
from hsbtrack.cli import register_core_commands
from hsbtrack.compression import configure_compression
from hsbtrack.config import settings_from_environment
from hsbtrack.downloads.services import record_download_if_any
from hsbtrack.extensions import babel, csrf, db, login_manager, migrate
from hsbtrack.i18n import select_locale, select_timezone
from hsbtrack.i18n_catalogues import readable_translation_dir
from hsbtrack.paths import PACKAGE_DIR, resource_dir
from hsbtrack.permissions import PUBLIC, requires
from hsbtrack.plugins.registry import PluginRegistry
from hsbtrack.scheduler.runner import start_embedded
from hsbtrack.security import register_converters
from hsbtrack.storage import configure_storage
from hsbtrack.storage.limits import raise_limit_for_documents
from hsbtrack.transactions import configure_database
from hsbtrack.views_support import register_error_pages, register_template_helpers

# The core's own features are registered as plugins that are always on (FlaskBB's pattern):
# their blueprints, roles, CLI commands and menu items arrive through the same hooks.
CORE_MODULES = (
    "hsbtrack.auth.hooks",
    "hsbtrack.areas.hooks",
    "hsbtrack.frameworks.hooks",
    "hsbtrack.jobs.hooks",
    "hsbtrack.audits.hooks",
    "hsbtrack.organisations.hooks",
    "hsbtrack.documents.hooks",
    "hsbtrack.actions.hooks",
    "hsbtrack.yearly_reports.hooks",
    "hsbtrack.dashboard.hooks",
    "hsbtrack.area_archive.hooks",
    "hsbtrack.scheduler.hooks",
    "hsbtrack.privacy.hooks",
    "hsbtrack.plugins.hooks",
    "hsbtrack.api.hooks",
)


def _instance_path() -> str:
    explicit = os.environ.get("HSBTRACK_INSTANCE_PATH")
    if explicit:
        return str(Path(explicit).resolve())
    return str(PACKAGE_DIR.parent / "instance")


def create_app(config: dict | None = None, plugins: dict | None = None) -> Flask:
    """Build the app from the environment, then ``config`` overrides.

    :param config: settings overriding the environment (tests use this).
    :param plugins: extra ``{name: module}`` plugins to register besides entry points (tests).
    """
    app = Flask(
        "hsbtrack",
        instance_path=_instance_path(),
        instance_relative_config=True,
        template_folder=str(resource_dir("templates")),
        static_folder=str(PACKAGE_DIR / "static"),
    )
    configure_settings(app, config)
    configure_logging(app)
    configure_compression(app)
    configure_extensions(app)
    configure_storage(app)
    configure_plugins(app, plugins)
    configure_roles(app)
    configure_catalogue(app)
    configure_templates(app)
    configure_i18n(app)
    configure_security(app)
    configure_blueprints(app)
    configure_errors(app)
    configure_cli(app)
    configure_scheduler(app)
    return app


def configure_settings(app: Flask, overrides: dict | None) -> None:
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    environ = dict(os.environ)
    # Settings that decide whether the environment is valid may also come from ``config``.
    for key in ("HSBTRACK_ENV", "SECRET_KEY"):
        if overrides and overrides.get(key):
            environ[key] = overrides[key]
    app.config.update(settings_from_environment(Path(app.instance_path), environ))
    if overrides:
        app.config.update(overrides)


def configure_logging(app: Flask) -> None:
    if not app.logger.handlers and not app.testing:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def configure_extensions(app: Flask) -> None:
    db.init_app(app)
    configure_database(app)
    migrate.init_app(
        app, db, directory=str(resource_dir("migrations")), command="alembic", render_as_batch=True, compare_type=True
    )
    login_manager.init_app(app)
    # before CSRF protection reads a form: a view taking documents has their size limit (storage.limits)
    app.before_request(raise_limit_for_documents)
    csrf.init_app(app)
    # One flask-smorest Api per app: it keeps the app and its OpenAPI spec on itself, so a shared
    # instance would serve the spec of whichever app was built last.
    app.extensions["hsbtrack_api"] = HsbApi(app)


def configure_plugins(app: Flask, extra: dict | None) -> None:
    registry = PluginRegistry()
    for module_name in CORE_MODULES:
        registry.register_core(module_name)
    for name, module in (extra or {}).items():
        registry.register_plugin(name, module)
    registry.load_entry_points(app.config["HSBTRACK_PLUGINS"])
    app.extensions["hsbtrack_plugins"] = registry


def configure_roles(app: Flask) -> None:
    """Roles and permissions from the core's and the plugins' ``hsbtrack_roles`` hooks: a role may
    only name declared permissions, so that a typo cannot grant or withhold anything quietly."""

    registry = app.extensions["hsbtrack_plugins"]
    roles, permissions = {}, {}
    for item in registry.collect("hsbtrack_roles"):
        if isinstance(item, Permission):
            if item.id in permissions:
                raise RuntimeError(f"Permission {item.id!r} is declared twice (by {item.plugin or 'the core'})")
            permissions[item.id] = item
        elif isinstance(item, Role):
            if item.id in roles or item.id == "admin":
                raise RuntimeError(f"Role {item.id!r} is declared twice (by {item.plugin or 'the core'})")
            roles[item.id] = item
        else:
            raise RuntimeError(f"hsbtrack_roles returned {item!r}: return Role and Permission objects")
    for role in roles.values():
        unknown = set(role.permissions) - set(permissions)
        if unknown:
            raise RuntimeError(f"Role {role.id!r} names undeclared permissions: {sorted(unknown)}")
    app.extensions["hsbtrack_roles"] = roles
    app.extensions["hsbtrack_permissions"] = permissions


def configure_catalogue(app: Flask) -> None:
    registry = app.extensions["hsbtrack_plugins"]
    paths = list(builtin_framework_paths())
    for extra in registry.hook.hsbtrack_frameworks():
        paths.extend(Path(p) for p in extra or ())
    app.extensions["hsbtrack_catalogue"] = Catalogue.from_paths(paths)


def configure_templates(app: Flask) -> None:
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(resource_dir("templates"))),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    # The package's own macros, for templates that wrap one to translate its defaults.
                    "govuk_frontend_upstream": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    register_template_helpers(app)


def configure_i18n(app: Flask) -> None:
    # The core's catalogue, then each plugin's own: Flask-Babel merges them into one per language.
    cache = Path(app.instance_path) / "translations"
    plugin_dirs = [readable_translation_dir(Path(d), cache) for d in app.extensions["hsbtrack_plugins"].translation_dirs()]
    directories = [str(PACKAGE_DIR / "translations"), *map(str, plugin_dirs)]
    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories=";".join(directories),
    )


def configure_security(app: Flask) -> None:
    proxies = app.config.get("HSBTRACK_TRUSTED_PROXIES", 0)
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # remote_addr (sign-in throttling, logs) becomes the client's, as the trusted proxies saw it
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=0, x_prefix=0)

    configure_login(app)
    register_converters(app)

    @app.before_request
    def make_csp_nonce():
        g.csp_nonce = secrets.token_urlsafe(16)


    app.after_request(record_download_if_any)  # every file and report that leaves, page or API

    @app.after_request
    def security_headers(response):
        nonce = getattr(g, "csp_nonce", "")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; "
            f"script-src 'self' 'nonce-{nonce}'; "
            "style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; object-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.endpoint != "static" and response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def configure_blueprints(app: Flask) -> None:
    app.extensions["hsbtrack_plugins"].hook.hsbtrack_load_blueprints(app=app, api=app.extensions["hsbtrack_api"])


    @app.get("/healthz")
    @requires(PUBLIC)
    def healthz():
        """Liveness for load balancers and the load test; touches nothing (no session, no database)."""
        return "ok", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}


def configure_errors(app: Flask) -> None:
    register_error_pages(app)


def configure_cli(app: Flask) -> None:
    register_core_commands(app.cli)
    app.extensions["hsbtrack_plugins"].hook.hsbtrack_cli(cli=app.cli)


def configure_scheduler(app: Flask) -> None:
    """Embedded scheduler for the single-process default; production runs ``hsbtrack scheduler``."""
    if app.config["HSBTRACK_SCHEDULER"] != "embedded":
        return
    import threading

    started = threading.Lock()

    @app.before_request
    def start_embedded_scheduler():
        # Started by the first request, so CLI commands (db upgrade, demo) never start one.
        if "hsbtrack_scheduler" in app.extensions or not started.acquire(blocking=False):
            return

        start_embedded(app)
