"""The core pages in a real browser: sign-in, catalogue, admin, members and plugins, each checked by
axe for serious or critical WCAG 2.x A/AA violations, with screenshots in ``test-artifacts/``."""

import pytest

from hsbtrack.testing_browser import axe_check, browser_login, screenshot

pytestmark = pytest.mark.browser

EMAIL = "board@example.org"


@pytest.fixture()
def board_admin(world):
    """A board manager of Riverside who is also an install-wide admin."""
    area = world.area("Riverside", region=world.region("North"))
    world.user("agency@example.org", area, "agency_lead", agency=world.agency(area, "Police"))
    user = world.user(EMAIL, area, "board_manager", admin=True)
    return user, area.id


def test_login_page_is_accessible(page, base_url):
    page.goto(f"{base_url}/login")
    assert page.title().startswith("Sign in")
    axe_check(page)
    screenshot(page, "login")


def test_board_manager_walks_through_the_core_pages(page, base_url, board_admin):
    _user, area_id = board_admin
    browser_login(page, base_url, EMAIL)
    axe_check(page)
    screenshot(page, "home")

    # The catalogue: 49 rows (46 scored statements and 3 headings), 1.6 a heading over 1.6a–c.
    page.goto(f"{base_url}/frameworks/nspcc-hsb-2019")
    assert page.locator("tr[data-code]").count() == 49
    assert page.locator("table[data-domain]").count() == 5
    heading = page.locator('tr[data-code="1.6"]')
    assert heading.locator(".hsb-statement-heading").count() == 1
    assert heading.locator("td").last.inner_text().strip() == "Heading"
    assert page.locator('tr[data-code="1.6a"] td').last.inner_text().strip() == "Yes"
    axe_check(page)
    screenshot(page, "framework_nspcc-hsb-2019")

    page.goto(f"{base_url}/admin/areas")
    assert page.get_by_role("heading", level=1).inner_text().strip() == "Areas"
    assert page.get_by_role("link", name="Riverside", exact=True).count() == 1
    axe_check(page)
    screenshot(page, "admin_areas")

    page.goto(f"{base_url}/areas/{area_id}/members")
    assert page.get_by_role("heading", level=1).inner_text().strip() == "Members of Riverside"
    assert page.get_by_text("agency@example.org").count() >= 1
    axe_check(page)
    screenshot(page, "area_members")

    page.goto(f"{base_url}/areas/{area_id}/plugins")
    assert page.locator('[data-plugin="example"]').count() == 1
    axe_check(page)
    screenshot(page, "area_plugins")


def test_wrong_password_shows_the_error_next_to_the_field(page, base_url, board_admin):
    page.goto(f"{base_url}/login")
    page.fill("#email", EMAIL)
    page.fill("#password", "not the password")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in", exact=True).click()
    assert page.url.endswith("/login")
    message = "The email address or password is not correct"
    field_error = page.locator("#email-error")
    assert message in field_error.inner_text()
    # the message belongs to the field: inside its form group, and announced with it
    assert page.locator(".govuk-form-group--error #email").count() == 1
    assert "email-error" in (page.locator("#email").get_attribute("aria-describedby") or "")
    # and the error summary links to the field
    summary = page.locator(".govuk-error-summary")
    assert message in summary.inner_text()
    assert summary.locator('a[href="#email"]').count() == 1
    assert page.title().startswith("Error:")
    axe_check(page)
    screenshot(page, "login_wrong_password")
