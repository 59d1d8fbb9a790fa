"""Fault tests: children killed at chosen points (tests/integration/faults/inject.py), a loopback SMTP server."""

from tests.scheduler.conftest import smtp_server  # noqa: F401  (the fixture)
