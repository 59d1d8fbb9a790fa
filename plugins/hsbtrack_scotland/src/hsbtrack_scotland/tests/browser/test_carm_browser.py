"""A CARM case walks every stage through the pages in a real browser, as a case worker: a meeting
without education is flagged, the plan gets a core action, the case is reviewed and closed with a
reason. axe checks every kind of page; screenshots go to ``test-artifacts/``."""

from datetime import timedelta

import pytest

from hsbtrack.testing_browser import axe_check, browser_login, screenshot
from hsbtrack.timeutil import today

pytestmark = pytest.mark.browser


@pytest.fixture()
def carm(world):
    from hsbtrack.plugins.services import set_area_plugin

    area = world.area("Glenmore")
    set_area_plugin(area, "scotland", True)
    worker = world.user("worker@example.org", area, "case_worker")
    return area, worker


def fill_date(page, name, d):
    inputs = page.locator(f'input[name="{name}"]')
    inputs.nth(0).fill(str(d.day))
    inputs.nth(1).fill(str(d.month))
    inputs.nth(2).fill(str(d.year))


def submit(page, button):
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()


def move(page, stage_label, d, reason=None):
    with page.expect_navigation():
        page.get_by_role("link", name="Move the case on").click()
    page.get_by_label(stage_label, exact=True).check()
    fill_date(page, "on", d)
    if reason:
        page.get_by_label(reason, exact=True).check()
    submit(page, "Move the case on")


def test_a_case_walks_every_stage(page, base_url, carm):
    area, worker = carm
    start = today() - timedelta(days=40)
    browser_login(page, base_url, worker.email)
    page.goto(f"{base_url}/areas/{area.id}/scotland/")
    axe_check(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Add a case").click()
    submit(page, "Save the case")  # empty: every message next to its field, nothing saved
    assert "Enter the case reference" in page.locator(".govuk-error-summary").inner_text()
    axe_check(page)
    screenshot(page, "scotland_case_form_errors")
    page.get_by_label("Case reference").fill("GLN-2026-007")
    page.get_by_label("Age at referral").fill("15")
    page.get_by_label("Female").check()
    page.get_by_label("Problematic").check()
    page.get_by_label("Care", exact=True).check()
    page.get_by_label("Lead Professional").select_option(index=1)
    page.get_by_label("Referred by").fill("Police Scotland")
    fill_date(page, "referral_on", start)
    submit(page, "Save the case")
    assert page.get_by_role("heading", level=1).inner_text().strip() == "Case GLN-2026-007"

    move(page, "Decision to proceed", start + timedelta(days=3))
    with page.expect_navigation():
        page.get_by_role("link", name="Record a CARM meeting").click()
    fill_date(page, "held_on", start + timedelta(days=10))
    for agency in ("Police", "Health", "Social work"):
        page.get_by_label(agency, exact=True).check()
    page.locator('input[name="child_participation"][value="views_given"]').check()
    page.locator('input[name="parents_participation"][value="attended"]').check()
    page.get_by_label("Decisions").fill("Risk assessment by social work")
    axe_check(page)
    submit(page, "Save the meeting")
    assert "Core members missing: Education" in page.locator(".govuk-notification-banner").inner_text()
    assert "No one from: Education" in page.locator("#meetings").inner_text()
    move(page, "Initial CARM meeting", start + timedelta(days=10))
    move(page, "Risk assessment", start + timedelta(days=15))
    with page.expect_navigation():
        page.get_by_role("link", name="Set the risk classification").click()
    page.get_by_label("Attentive").check()
    fill_date(page, "on", start + timedelta(days=20))
    axe_check(page)
    submit(page, "Save the classification")
    move(page, "Risk management plan", start + timedelta(days=20))
    with page.expect_navigation():
        page.get_by_role("link", name="Add an action to Supervision").click()
    page.get_by_label("Action", exact=True).fill("Agree supervision at the care home")
    page.get_by_label("Owner").select_option(index=1)
    fill_date(page, "due_on", today() + timedelta(days=14))
    axe_check(page)
    submit(page, "Add the action")
    assert "Next review due on" in page.locator("#next-review").inner_text()
    move(page, "Reviews", start + timedelta(days=30))
    axe_check(page)
    screenshot(page, "scotland_case_review")
    move(page, "Closed", start + timedelta(days=35), reason="Turned 18")
    assert "Reason: Turned 18" in page.locator("#closure").inner_text()
    stages = page.locator("#stages tbody th").all_inner_texts()
    assert stages == ["Referral", "Decision to proceed", "Initial CARM meeting", "Risk assessment",
                      "Risk management plan", "Reviews", "Closed"]
    axe_check(page)
    screenshot(page, "scotland_case_closed")
    page.goto(f"{base_url}/my-actions")
    assert "Agree supervision at the care home" in page.locator("main").inner_text()
    page.goto(f"{base_url}/areas/{area.id}/scotland/")
    axe_check(page)
    screenshot(page, "scotland_home")
