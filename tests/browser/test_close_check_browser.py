"""Finding 1 of issue 15, in a browser: closing an audit goes through a check that lists what is
outstanding, and closing with problems needs a reason; a closed audit can be reopened with one. In
English and Welsh, axe on each page; screenshots in test-artifacts/."""

from datetime import datetime

import pytest
from playwright.sync_api import expect

from hsbtrack.audits import services
from hsbtrack.testing_browser import axe_check, browser_login, screenshot
from tests.audits.moderation_helpers import make_audit, score

pytestmark = pytest.mark.browser


@pytest.fixture()
def half_done(world):
    t = make_audit(world)
    t.audit.opened_at = datetime(2026, 9, 1, 9, 0)
    for name, value in (("Police", 2), ("Health", 3)):
        score(t.audit, t.agencies[name], "1.1", value, user=t.board)
    services.set_agreed_score(t.audit, "1.1", 3, "Health's audit of 20 cases", user=t.board)
    score(t.audit, t.agencies["Police"], "1.1", 1, user=t.lead)
    return t


def test_closing_checks_first_and_reopening_takes_a_reason(page, base_url, half_done):
    t = half_done
    browser_login(page, base_url, t.board.email)
    page.goto(f"{base_url}/areas/{t.area.id}/audits/{t.audit.id}/")
    page.get_by_role("link", name="Check and close the audit").click()
    expect(page.locator("h1")).to_have_text("Close T1")
    expect(page.locator('ul[data-kind="missing_return"] li')).to_have_count(3)
    expect(page.locator('ul[data-kind="stale_moderation"] li')).to_have_count(1)
    axe_check(page)
    screenshot(page, "close-check")

    page.get_by_role("button", name="Close the audit").click()  # no reason: refused, every error at once
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Give a reason to close the audit with these problems outstanding")
    axe_check(page)
    screenshot(page, "close-check-error")
    page.fill("#override_reason", "The partnership moved to the new framework in November")
    page.get_by_role("button", name="Close the audit").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("T1 is closed")

    page.get_by_role("link", name="Reopen the audit").click()
    page.get_by_role("button", name="Reopen the audit").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Say why the audit is being reopened")
    page.fill("#reason", "Police sent their corrected return")
    page.get_by_role("button", name="Reopen the audit").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("T1 is open again")

    page.goto(f"{base_url}/language/cy?next=/areas/{t.area.id}/audits/{t.audit.id}/close")
    expect(page.locator("h1")).to_have_text("Cau T1")
    expect(page.locator('ul[data-kind="missing_return"]')).to_contain_text("Nid yw Police wedi cyflwyno ei ffurflen")
    axe_check(page)
    screenshot(page, "close-check-cy")
