"""The account page's API tokens, in a browser: the owner chooses when a new token expires, and the
table shows each token's use and expiry. In English and Welsh, axe on each page; screenshots in
test-artifacts/."""

import pytest
from playwright.sync_api import expect

from hsbtrack.auth.services import issue_api_token
from hsbtrack.testing_browser import axe_check, browser_login, screenshot

pytestmark = pytest.mark.browser


def test_making_a_token_with_a_shorter_expiry(page, base_url, world):
    area = world.area()
    user = world.user("lead@example.org", area, "board_manager")
    issue_api_token(user, "Nightly export")
    browser_login(page, base_url, user.email)
    page.goto(f"{base_url}/account")
    expect(page.get_by_label("90 days")).to_be_checked()
    page.fill("#token-name", "Finance dashboard")
    page.get_by_label("30 days").check()
    page.get_by_role("button", name="Create API token").click()
    expect(page.get_by_test_id("new-token")).to_contain_text("hsb_")
    rows = page.locator("table.govuk-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="Finance dashboard").get_by_test_id("token-last-used")).to_have_text("Never")
    expect(rows.filter(has_text="Finance dashboard").get_by_test_id("token-expiry")).to_contain_text("Expires ")
    axe_check(page)
    screenshot(page, "api-tokens")

    page.goto(f"{base_url}/language/cy?next=/account")
    expect(page.get_by_label("30 diwrnod")).to_be_visible()
    expect(page.locator("table.govuk-table")).to_contain_text("Daw i ben ar")
    axe_check(page)
    screenshot(page, "api-tokens-cy")
