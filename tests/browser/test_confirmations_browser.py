"""Issue 15, "a confirmation page before anything final", in a browser: a board manager removes a member's
role through a page that asks first, and cancels an action only after the warning; revoking an API token asks
too. In English and Welsh, axe on each question; screenshots in test-artifacts/."""

import pytest
from playwright.sync_api import expect

from hsbtrack.testing_browser import axe_check, browser_login, screenshot
from tests.actions.pages_support import PageScene

pytestmark = pytest.mark.browser


@pytest.fixture()
def scene(world):
    scene = PageScene(world)
    scene.reader = world.user("reader@example.org", scene.area, "viewer", locale="cy")
    scene.reader.name = "Rhian Reader"
    world.db.session.commit()
    return scene


def members_row(page, email):
    return page.locator("tr.govuk-table__row", has_text=email)


def test_a_board_manager_is_asked_before_removing_a_role_or_cancelling_an_action(page, base_url, scene):
    area_id = scene.area.id
    action = scene.action(title="Agree a continuum of responses")
    browser_login(page, base_url, scene.board.email)

    # removing a role: the table's control opens a question; Cancel goes back with nothing removed
    page.goto(f"{base_url}/areas/{area_id}/members")
    members_row(page, "viewer@example.org").get_by_role("link", name="Remove").click()
    expect(page.locator("h1")).to_have_text("Remove the role Viewer of viewer@example.org in Riverside?")
    expect(page.locator(".govuk-warning-text")).to_contain_text(
        "viewer@example.org will lose access to the pages of Riverside that this role opens.")
    axe_check(page)
    screenshot(page, "confirm-remove-role")
    page.get_by_role("link", name="Cancel").click()
    expect(members_row(page, "viewer@example.org")).to_have_count(1)
    members_row(page, "viewer@example.org").get_by_role("link", name="Remove").click()
    page.get_by_role("button", name="Remove the role").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The role of viewer@example.org has been removed")
    expect(members_row(page, "viewer@example.org")).to_have_count(0)

    # cancelling an action: saving "Cancelled" asks first and saves nothing until confirmed
    page.goto(f"{base_url}/areas/{area_id}/actions/{action.id}")
    page.get_by_role("button", name="Change the action").click()
    page.get_by_label("Cancelled").check()
    page.get_by_role("button", name="Save the action").click()
    warning = page.locator("#confirm-cancel .govuk-warning-text")
    expect(warning).to_contain_text("You are about to cancel this action: it leaves the open plan")
    axe_check(page)
    screenshot(page, "confirm-cancel-action")
    page.goto(f"{base_url}/areas/{area_id}/actions/{action.id}")
    expect(page.locator("main")).not_to_contain_text("Cancelled")  # nothing was saved by asking
    page.get_by_role("button", name="Change the action").click()
    page.get_by_label("Cancelled").check()
    page.get_by_role("button", name="Save the action").click()
    page.get_by_role("button", name="Yes, cancel the action").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The action has been saved")
    expect(page.locator("main")).to_contain_text("Cancelled")

    # revoking an API token asks too
    page.goto(f"{base_url}/account")
    page.fill("#token-name", "Finance dashboard")
    page.get_by_role("button", name="Create API token").click()
    page.get_by_role("link", name="Revoke Finance dashboard").click()
    expect(page.locator("h1")).to_have_text("Revoke the API token “Finance dashboard”?")
    axe_check(page)
    screenshot(page, "confirm-revoke-token")
    page.get_by_role("button", name="Revoke the token").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The token has been revoked")
    expect(page.get_by_role("link", name="Revoke Finance dashboard")).to_have_count(0)


def test_the_questions_in_welsh(page, base_url, scene):
    area_id = scene.area.id
    action = scene.action(title="Cytuno ar gontinwwm o ymatebion")
    browser_login(page, base_url, scene.board.email)
    page.goto(f"{base_url}/language/cy?next=/areas/{area_id}/members")

    members_row(page, "reader@example.org").get_by_role("link", name="Tynnu").click()
    expect(page.locator("h1")).to_have_text("Tynnu rôl Gwyliwr oddi ar Rhian Reader yn Riverside?")
    expect(page.locator(".govuk-warning-text")).to_contain_text("Bydd Rhian Reader yn colli mynediad")
    axe_check(page)
    screenshot(page, "confirm-remove-role-cy")
    page.get_by_role("button", name="Tynnu'r rôl").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Mae rôl reader@example.org wedi'i thynnu")

    page.goto(f"{base_url}/areas/{area_id}/actions/{action.id}/edit")
    page.get_by_label("Wedi'i ganslo").check()
    page.get_by_role("button", name="Cadw'r cam gweithredu").click()
    expect(page.locator("#confirm-cancel .govuk-warning-text")).to_contain_text(
        "Rydych ar fin canslo'r cam gweithredu hwn")
    axe_check(page)
    screenshot(page, "confirm-cancel-action-cy")
    page.get_by_role("button", name="Ie, canslo'r cam gweithredu").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Mae'r cam gweithredu wedi'i gadw")
    expect(page.locator("main")).to_contain_text("Wedi'i ganslo")
