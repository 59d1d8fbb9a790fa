"""The yearly report builder in a browser: from the area's menu to a new report (GOV.UK date inputs), the
report page with the data draft and a text box per section, saving a version, an earlier version's page; in
English and Welsh, axe on each page; screenshots in test-artifacts/."""

import pytest
from playwright.sync_api import expect

from hsbtrack.testing_browser import axe_check, browser_login, screenshot
from tests.yearly_reports.test_yearly_reports import scene  # noqa: F401  (the fixture: two closed cycles)

pytestmark = pytest.mark.browser


def fill_date(page, name, day):
    page.fill(f"#{name}-day", str(day.day))
    page.fill(f"#{name}-month", str(day.month))
    page.fill(f"#{name}-year", str(day.year))


def test_writing_a_yearly_report(page, base_url, scene):  # noqa: F811
    browser_login(page, base_url, scene.board.email)
    page.goto(f"{base_url}/areas/{scene.area.id}/")
    page.get_by_role("link", name="Yearly reports").first.click()
    expect(page.locator("h1")).to_have_text("Yearly reports")
    page.get_by_role("button", name="New yearly report").click()
    fill_date(page, "period_start", scene.start)
    page.fill("#period_end-day", "")
    page.get_by_role("button", name="Make the report").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Last day of the period must be a real date")
    axe_check(page)
    fill_date(page, "period_end", scene.end)
    page.get_by_role("button", name="Make the report").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The report has been made")
    expect(page.locator('[data-testid="yearly-audit-domains"]')).to_have_count(2)
    expect(page.locator('[data-testid="yearly-audit-domains"]').nth(1)).to_contain_text("up 1.00")
    page.fill("#section_summary", "The partners met every quarter and audited twice.")
    page.fill("#section_effectiveness", "Responses improved: domain 1 rose a whole point.")
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Version 1 has been saved")
    page.fill("#section_effectiveness", "Responses improved; workforce development fell back.")
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.locator('[data-testid="yearly-versions"] tbody tr')).to_have_count(2)
    axe_check(page)
    screenshot(page, "yearly-report")
    page.get_by_role("link", name="Version 1", exact=True).click()
    expect(page.locator("main")).to_contain_text("domain 1 rose a whole point")
    axe_check(page)
    screenshot(page, "yearly-report-version-1")
    url = page.url.rsplit("/versions/", 1)[0]
    page.goto(f"{base_url}/language/cy?next={url.replace(base_url, '')}")
    expect(page.locator("h1")).to_have_text("Adroddiad blynyddol y bartneriaeth ddiogelu")
    expect(page.locator("main")).to_contain_text("Archwiliadau a gaewyd yn ystod y cyfnod")
    axe_check(page)
    screenshot(page, "yearly-report-cy")
