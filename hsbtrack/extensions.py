"""Flask extensions, created unbound here and bound to the app in ``hsbtrack.app``."""

from flask import current_app
from flask_babel import Babel, Domain
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from hsbtrack.paths import resource_dir

# Named constraints so that Alembic can alter them, also on SQLite (batch mode).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()


class AppTranslations(Domain):
    """Flask-Babel's default domain, its translations cached per app. Flask-Babel keeps one ``Domain`` on the
    ``Babel`` object (here a module global) and caches the merged catalogues by language alone: the first app
    of a process to translate into Welsh would fix the catalogues of every other app of that process, whose
    plugins (and so translation folders) may differ — two apps in one process, as the test suite makes them
    (an install without plugins, then one with the regional plugin), got each other's Welsh."""

    def get_translations_cache(self, ctx):
        return current_app.extensions.setdefault("hsbtrack_translations", {})


babel = Babel()
babel.domain_instance = AppTranslations()  # (a cached_property of Babel's: set once, for every app)


@migrate.configure
def add_plugin_migration_branches(config):
    """Alembic sees the core's revisions and every loaded plugin's branch."""
    import os

    from flask import current_app


    folders = [str(resource_dir("migrations") / "versions")]
    for found in current_app.extensions["hsbtrack_plugins"].hook.hsbtrack_migration_dirs():
        folders.extend(str(f) for f in found or ())
    config.set_main_option("version_locations", os.pathsep.join(folders))
    config.set_main_option("path_separator", "os")
    return config
