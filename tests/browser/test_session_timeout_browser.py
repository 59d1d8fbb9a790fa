"""The warning before the session ends, in Chromium (WCAG 2.2.1; hsbtrack/auth/session_timeout.py,
hsbtrack/static/js/session-timeout.js). The session app's lifetime is shortened for each test, so
that the warning (two minutes before the end) comes within seconds."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from hsbtrack.testing_browser import TIMEOUT_MS, axe_check, browser_login, screenshot

pytestmark = pytest.mark.browser

EMAIL = "idle@example.org"


@pytest.fixture()
def idle_user(world):
    area = world.area("Riverside", region=world.region("North"))
    return world.user(EMAIL, area, "board_manager")


def _lifetime(app, monkeypatch, seconds):
    monkeypatch.setitem(app.config, "PERMANENT_SESSION_LIFETIME", seconds)


def _dialog_is_focused(page):
    return page.evaluate("() => document.activeElement?.id") == "hsb-session-timeout"


def test_stay_signed_in_with_the_keyboard(page, base_url, app, monkeypatch, idle_user):
    _lifetime(app, monkeypatch, 125)  # the warning is due 5 s after each page
    browser_login(page, base_url, EMAIL)
    dialog = page.get_by_role("alertdialog", name="You’re about to be signed out")
    expect(dialog).to_be_hidden()

    expect(dialog).to_be_visible(timeout=10_000)
    assert _dialog_is_focused(page), "focus must move to the warning"
    expect(dialog).to_contain_text(re.compile(r"we will sign you out at \d{1,2}:\d{2}[ap]m unless"))
    expect(dialog.get_by_text("We could not keep you signed in")).to_be_hidden()
    axe_check(page)
    screenshot(page, "session-timeout-warning")

    page.keyboard.press("Tab")
    stay = dialog.get_by_role("button", name="Stay signed in")
    expect(stay).to_be_focused()
    with page.expect_response(lambda r: r.url.endswith("/session/extend")) as answer:
        page.keyboard.press("Enter")
    assert answer.value.status == 200
    expect(dialog).to_be_hidden(timeout=3_000)
    left = page.request.get(f"{base_url}/session").json()["expires_in"]
    assert left >= 121, f"the session should have its lifetime again, has {left} s"


def test_the_page_goes_to_sign_in_when_time_runs_out(browser, live_server, app, monkeypatch, idle_user, ctx):
    """A context that enforces the CSP (unlike the ``page`` fixture): the script runs with its nonce."""
    _lifetime(app, monkeypatch, 3)  # less than the warning time: the warning shows at once
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        browser_login(page, live_server.url, EMAIL)
        start = page.url
        dialog = page.get_by_role("alertdialog", name="You’re about to be signed out")
        expect(dialog).to_be_visible()
        assert _dialog_is_focused(page)

        page.wait_for_url(re.compile(r"/login\?next="), timeout=10_000)
        assert parse_qs(urlsplit(page.url).query)["next"] == [urlsplit(start).path], "back to the page after signing in"
        expect(page.locator(".govuk-notification-banner")).to_contain_text(
            "You were signed out because you had not used hsbtrack for a while")
        expect(page.get_by_role("alertdialog")).to_have_count(0)
    finally:
        context.close()
    assert not live_server.errors, live_server.errors
