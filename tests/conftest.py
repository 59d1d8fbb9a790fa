"""The core suite's additions to hsbtrack's pytest plugin (hsbtrack/testing.py, loaded through its
``pytest11`` entry point): the example plugin, which proves every hook, is loaded in every test app.
Helpers are re-exported here for the tests that import them from ``tests.conftest``; fixtures are not
(a fixture imported into a conftest would be a second definition: a second session app)."""

from datetime import datetime

import hsbtrack.testing as _testing
from hsbtrack.testing import (  # noqa: F401  (re-exported helpers)
    PASSWORD,
    IsolatedClient,
    World,
    _empty_all_tables,
    api_headers,
    app_config,
    count_queries,
    csrf_token,
    database_url,
    is_postgres,
    login,
    post_form,
)


def make_app(**extra):
    """A test app with the example plugin, like the session ``app``."""
    import tests.example_plugin as example_plugin

    return _testing.make_app(plugins={"example": example_plugin}, **extra)


# Audits in test scenes began long before the dates the tests close them on (a completion date cannot
# precede the opening).
OPENED_EARLIER = datetime(2024, 1, 1)
