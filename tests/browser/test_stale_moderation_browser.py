"""Finding 2 of issue 15, in a browser: an agreed score raised above the lowest (justified), then an
agency scores lower — the grid, the statement page and the audit page say so, in English and Welsh,
until the board confirms it. axe on each page; screenshots in test-artifacts/."""

import pytest
from playwright.sync_api import expect

from hsbtrack.audits import services
from hsbtrack.testing_browser import axe_check, browser_login, screenshot
from tests.audits.moderation_helpers import make_audit, score

pytestmark = pytest.mark.browser


@pytest.fixture()
def stale(world):
    t = make_audit(world)
    for name, value in (("Police", 2), ("Health", 3), ("Education", 2)):
        score(t.audit, t.agencies[name], "1.1", value, user=t.board)
    services.set_agreed_score(t.audit, "1.1", 3, "Police's new pathway started in March", user=t.board)
    score(t.audit, t.agencies["Police"], "1.1", 1, user=t.lead)  # after the moderation
    return t


def test_a_stale_moderation_is_flagged_until_confirmed(page, base_url, stale):
    t = stale
    browser_login(page, base_url, t.board.email)
    audit_url = f"{base_url}/areas/{t.area.id}/audits/{t.audit.id}"
    page.goto(f"{audit_url}/")
    expect(page.locator(".hsb-stale-warning")).to_contain_text("1 agreed score was agreed against a lowest agency score")
    axe_check(page)
    page.locator(".hsb-stale-warning a").click()  # to the grid, only the statements to confirm
    expect(page.locator('tr[data-code="1.1"] .hsb-flag--stale')).to_have_text("To confirm again")
    expect(page.locator("tr[data-code]")).to_have_count(1)
    axe_check(page)
    screenshot(page, "stale-moderation-grid")

    page.locator('tr[data-code="1.1"] a.hsb-code').click()
    expect(page.locator(".hsb-stale-warning")).to_contain_text("when the lowest agency score was 2; it is now 1")
    axe_check(page)
    screenshot(page, "stale-moderation-statement")

    page.goto(f"{base_url}/language/cy?next=/areas/{t.area.id}/audits/{t.audit.id}/moderation?stale=1")
    expect(page.locator('tr[data-code="1.1"] .hsb-flag--stale')).to_have_text("I'w chadarnhau eto")
    axe_check(page)
    screenshot(page, "stale-moderation-grid-cy")
    page.goto(f"{base_url}/language/en?next=/areas/{t.area.id}/audits/{t.audit.id}/statements/1.1")

    page.locator("form.hsb-agreed-form button[type=submit], form.hsb-agreed-form input[type=submit]").first.click()
    expect(page.locator(".hsb-stale-warning")).to_have_count(0)
    page.goto(f"{audit_url}/moderation")
    expect(page.locator(".hsb-flag--stale")).to_have_count(0)
