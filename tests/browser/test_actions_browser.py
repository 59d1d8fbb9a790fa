"""The action plan in a real browser: a board manager turns findings into actions on the findings page, the
owner signs in, finds them under "My actions" and posts an update that shows on the plan. axe checks the
findings page, the plan, an action's page, "my actions", the statement page and the board paper;
screenshots go to ``test-artifacts/``."""

import re

import pytest

from hsbtrack.testing_browser import axe_check, browser_login, screenshot
from tests.actions.pages_support import PageScene

pytestmark = pytest.mark.browser


@pytest.fixture()
def scene(world):
    return PageScene(world)


def test_findings_to_actions_to_an_owners_update(page, base_url, scene):
    area_id = scene.area.id
    browser_login(page, base_url, scene.board.email)

    # Findings of T1: choose three, edit one draft title, pick the owner, keep the default due date.
    page.goto(f"{base_url}/areas/{area_id}/audits/{scene.audit.id}/findings")
    assert page.get_by_role("heading", level=1).inner_text().strip() == "Findings and actions"
    axe_check(page)
    screenshot(page, "actions_findings")
    form = page.locator("#accept-form")
    for code in ("1.1", "1.2", "1.3"):
        # (issue 15, finding 6: the findings are listed once; each one's "New action" box belongs to the form)
        page.locator(f'li[data-code="{code}"] input[name="codes"][value="{code}"]').check()
    title = page.locator('input[name="title-1.1"]')
    assert title.is_visible()  # revealed when its finding is chosen
    assert title.input_value().startswith("Responses: We capture accurate data")
    title.fill("Agree a continuum of responses across agencies")
    assert not page.locator('input[name="title-1.4"]').is_visible()
    form.get_by_label("Owner").select_option(label="Olu Owner (owner@example.org)")
    form.get_by_label("High").check()
    axe_check(page)
    screenshot(page, "actions_findings_chosen")
    with page.expect_navigation():
        form.get_by_role("button", name="Create the actions").click()
    assert "3 actions created from the findings" in page.locator(".govuk-notification-banner").inner_text()
    row = page.locator('li[data-code="1.1"]')
    assert "Accepted" in row.inner_text()
    assert row.get_by_role("link", name="Agree a continuum of responses across agencies").count() == 1
    screenshot(page, "actions_findings_decided")

    # The plan, grouped by domain, and the new action's page.
    page.goto(f"{base_url}/areas/{area_id}/actions/")
    assert page.locator('[data-count="total"]').inner_text() == "3"
    assert page.locator("#findings-links").get_by_role("link", name="findings of T1").count() == 1
    axe_check(page)
    screenshot(page, "actions_plan")
    with page.expect_navigation():
        page.get_by_role("link", name="Agree a continuum of responses across agencies").click()
    assert page.get_by_role("heading", level=1).inner_text().strip() == "Agree a continuum of responses across agencies"
    axe_check(page)
    screenshot(page, "actions_detail_board")
    action_url = page.url

    # The owner signs in and finds the actions under "My actions".
    page.get_by_role("button", name="Sign out").click()
    browser_login(page, base_url, scene.owner.email)
    with page.expect_navigation():
        page.locator("header").get_by_role("link", name="My actions").click()
    assert page.get_by_role("heading", level=1).inner_text().strip() == "My actions"
    mine = page.locator("main")
    assert "Agree a continuum of responses across agencies" in mine.inner_text()
    assert "You own 3 actions" in mine.inner_text()
    axe_check(page)
    screenshot(page, "actions_mine")

    block = page.locator(".hsb-my-action", has_text="Agree a continuum of responses across agencies")
    block.locator("summary").click()
    block.get_by_label("What has happened?").fill("Draft continuum shared with police, health and schools.")
    block.get_by_label("Progress now (%, optional)").fill("40")
    axe_check(page)
    with page.expect_navigation():
        block.get_by_role("button", name="Post the update").click()
    assert "has been posted" in page.locator(".govuk-notification-banner").inner_text()
    assert re.search(r"40%", page.locator(".hsb-my-action", has_text="Agree a continuum").inner_text())
    screenshot(page, "actions_mine_updated")

    # The update shows on the plan (progress, status) and on the action's page (updates, history).
    page.goto(f"{base_url}/areas/{area_id}/actions/")
    plan_row = page.locator("tr", has_text="Agree a continuum of responses across agencies").first
    assert "40%" in plan_row.inner_text() and "In progress" in plan_row.inner_text()
    page.goto(action_url)
    assert "Draft continuum shared with police, health and schools." in page.locator("#updates ~ ol").inner_text()
    assert page.locator('#history-table tr[data-field="progress"]').count() == 1
    axe_check(page)
    screenshot(page, "actions_detail_owner")

    # The statement page and the board paper.
    page.goto(f"{base_url}/areas/{area_id}/statements/1.1")
    assert "Agree a continuum of responses across agencies" in page.locator("#linked-actions").inner_text()
    axe_check(page)
    screenshot(page, "actions_statement")
    page.goto(f"{base_url}/areas/{area_id}/actions/board-paper")
    axe_check(page)
    screenshot(page, "actions_board_paper")


def test_add_action_form_and_its_errors_are_accessible(page, base_url, scene):
    browser_login(page, base_url, scene.board.email)
    page.goto(f"{base_url}/areas/{scene.area.id}/actions/new")
    axe_check(page)
    page.get_by_label("Title").fill("Map local services")
    page.locator('input[name="due_on"]').nth(0).fill("31")
    page.locator('input[name="due_on"]').nth(1).fill("2")
    page.locator('input[name="due_on"]').nth(2).fill("2027")
    with page.expect_navigation():
        page.get_by_role("button", name="Save the action").click()
    summary = page.locator(".govuk-error-summary").inner_text()
    assert "Due date must be a real date" in summary
    assert "Link the action to at least one statement" in summary  # every problem is reported at once
    assert "The owner must be someone who can see the action plan of Riverside" in summary
    axe_check(page)
    screenshot(page, "actions_new_errors")
