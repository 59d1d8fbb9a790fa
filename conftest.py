"""The repository's pytest setup, for the core suite (tests/) and the first-party plugins'
(plugins/*/src/*/tests) alike: hsbtrack's fixtures come from its pytest plugin (hsbtrack/testing.py); here
the session app also loads the example plugin that proves every hook."""

import pytest

import tests.example_plugin as example_plugin


@pytest.fixture(scope="session")
def hsbtrack_test_plugins():
    return {"example": example_plugin}


@pytest.fixture(autouse=True)
def _forget_example_events():
    yield
    example_plugin.saved_events.clear()
