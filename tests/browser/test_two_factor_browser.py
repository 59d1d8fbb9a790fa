"""Two-factor authentication in a browser (issue 17): a board manager, whose role requires it, is sent
from the password to setting it up (QR code and key), a wrong code is an error at the field, the right
one (computed from the key shown, as an app would) signs in and shows the recovery codes once; the
next sign-in asks for the code. In English and Welsh, axe on each page; screenshots in test-artifacts/."""

import re

import pyotp
import pytest
from playwright.sync_api import expect

from hsbtrack.testing import PASSWORD
from hsbtrack.testing_browser import axe_check, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture()
def required(app, monkeypatch):
    monkeypatch.setitem(app.config, "HSBTRACK_TWO_FACTOR_REQUIRED_ROLES", frozenset({"admin", "board_manager"}))


def password_step(page, base_url, email):
    page.goto(f"{base_url}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.locator("form button[type=submit], form input[type=submit]").first.click()


def read_key(page) -> str:
    return page.get_by_test_id("setup-key").inner_text().replace(" ", "")


def test_setting_up_and_signing_in_with_a_code(page, base_url, world, required):
    area = world.area()
    board = world.user("board@example.org", area, "board_manager")

    password_step(page, base_url, board.email)
    assert page.url.endswith("/login/two-factor")
    expect(page.locator("h1")).to_have_text("Set up two-factor authentication")
    qr = page.get_by_test_id("qr-code").locator("svg")
    expect(qr).to_be_visible()
    expect(qr).to_have_attribute("role", "img")
    key = read_key(page)
    assert re.fullmatch(r"[A-Z2-7]{32}", key)
    axe_check(page)
    screenshot(page, "two-factor-setup")

    page.fill("#code", "000000")
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("The code is not correct")
    expect(page.locator("#code-error")).to_contain_text("The code is not correct")
    assert read_key(page) == key  # the same key while setting up
    axe_check(page)
    screenshot(page, "two-factor-setup-error")

    page.fill("#code", pyotp.TOTP(key).now())
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    expect(page.locator(".govuk-panel__title")).to_have_text("Two-factor authentication is on")
    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    axe_check(page)
    screenshot(page, "two-factor-recovery-codes")
    page.get_by_role("link", name="I have kept my recovery codes").click()
    assert "/login" not in page.url

    page.get_by_role("button", name="Sign out").click()
    password_step(page, base_url, board.email)
    assert page.url.endswith("/login/code")
    expect(page.locator("h1")).to_have_text("Enter your code")
    axe_check(page)
    screenshot(page, "two-factor-code")
    page.goto(f"{base_url}/account")  # nothing else before the code
    assert page.url.endswith("/login/code")

    # in Welsh
    page.goto(f"{base_url}/language/cy?next=/login/code")
    expect(page.locator("h1")).to_have_text("Rhowch eich cod")
    page.fill("#code", "111111")
    page.get_by_role("button", name="Parhau").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Nid yw'r cod yn gywir")
    axe_check(page)
    screenshot(page, "two-factor-code-cy")


def test_the_set_up_page_in_welsh(page, base_url, world, required):
    admin = world.user("admin@example.org", admin=True, locale="cy")
    page.goto(f"{base_url}/language/cy?next=/login")
    password_step(page, base_url, admin.email)
    assert page.url.endswith("/login/two-factor")
    expect(page.locator("h1")).to_have_text("Gosod dilysu dau ffactor")
    expect(page.get_by_test_id("qr-code").locator("svg title")).to_have_text("Cod QR i'w sganio â'ch ap dilysu")
    axe_check(page)
    screenshot(page, "two-factor-setup-cy")
    page.fill("#code", pyotp.TOTP(read_key(page)).now())
    page.get_by_role("button", name="Troi dilysu dau ffactor ymlaen").click()
    expect(page.locator(".govuk-panel__title")).to_have_text("Mae dilysu dau ffactor ymlaen")
    axe_check(page)
    screenshot(page, "two-factor-recovery-codes-cy")
