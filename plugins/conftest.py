"""Plugin tests use the core's fixtures (a migrated database, signed-in clients, query counts)."""

from tests.conftest import *  # noqa: F401,F403
