"""Installs of their own for the archive's round trips: each a new app with its own database (a SQLite file, or a
PostgreSQL database of its own under DATABASE_URL) and its own storage folder, built by the migrations."""

from contextlib import contextmanager

from flask_migrate import upgrade

from hsbtrack.testing import IsolatedClient, make_app, spare_database


@contextmanager
def install(session_app, folder, label: str, plugins: str = ""):
    """An empty install with ``plugins`` (the allow-list: "" for none, "*" for every installed one)."""
    folder.mkdir(parents=True, exist_ok=True)
    with spare_database(session_app, folder, label) as url:
        app = make_app(SQLALCHEMY_DATABASE_URI=url, HSBTRACK_PLUGINS=plugins,
                       HSBTRACK_STORAGE_URL=f"file://{folder / 'storage'}")
        app.test_client_class = IsolatedClient
        with app.app_context():
            upgrade(revision="heads")
        try:
            yield app
        finally:
            from hsbtrack.extensions import db

            with app.app_context():
                db.session.remove()
                db.engine.dispose()
