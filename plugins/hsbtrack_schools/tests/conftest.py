"""The browser fixtures (live server, Chromium page) for this plugin's browser test."""

from tests.browser.conftest import base_url, browser, live_server, page, pytest_runtest_makereport  # noqa: F401
