"""The inspection pack in a browser: the board manager's dashboard offers "Make an inspection pack"; pressing
it shows the job's page, which offers the ZIP once the job has run. In English and Welsh, axe on each page;
screenshots in test-artifacts/."""

import pytest
from playwright.sync_api import expect

from hsbtrack.areas.demo import DEMO_PASSWORD, load_demo
from hsbtrack.jobs import services as jobs
from hsbtrack.testing_browser import axe_check, browser_login, screenshot

pytestmark = pytest.mark.browser


def test_the_dashboard_makes_an_inspection_pack(page, base_url, ctx):
    load_demo()
    browser_login(page, base_url, "board@example.org", DEMO_PASSWORD)
    page.goto(f"{base_url}/areas/1/")
    section = page.locator("section[aria-labelledby=inspection-pack]")
    expect(section.locator("h2")).to_have_text("Preparing for an inspection")
    axe_check(page)
    section.scroll_into_view_if_needed()
    screenshot(page, "inspection-pack-dashboard")
    section.get_by_role("button", name="Make an inspection pack").click()
    expect(page.locator("h1")).to_have_text("Inspection pack: Riverside Safeguarding Partnership")
    assert jobs.run_pending() == 1
    page.reload()
    expect(page.get_by_test_id("job-download")).to_contain_text(".zip")
    axe_check(page)
    screenshot(page, "inspection-pack-ready")

    page.goto(f"{base_url}/language/cy?next=/areas/1/")
    expect(page.locator("section[aria-labelledby=inspection-pack] h2")).to_have_text("Paratoi ar gyfer arolygiad")
    axe_check(page)
    page.locator("section[aria-labelledby=inspection-pack]").scroll_into_view_if_needed()
    screenshot(page, "inspection-pack-dashboard-cy")
    page.goto(f"{base_url}/language/en?next=/areas/1/")


def test_a_viewer_is_not_offered_one(page, base_url, ctx):
    load_demo()
    browser_login(page, base_url, "viewer@example.org", DEMO_PASSWORD)
    page.goto(f"{base_url}/areas/1/")
    expect(page.locator("h1")).to_have_text("Riverside Safeguarding Partnership")
    expect(page.locator("section[aria-labelledby=inspection-pack]")).to_have_count(0)
