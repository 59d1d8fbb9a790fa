"""Issue 15, finding 9 in part: a long unbroken word in an action's title (a pasted link, a title typed
without spaces) wraps instead of widening the action plan and the action's page."""

from datetime import date, timedelta

import pytest

from hsbtrack.testing_browser import browser_login, screenshot
from tests.actions.pages_support import PageScene

pytestmark = pytest.mark.browser

LONG = "https://intranet.example.org/safeguarding/" + "x" * 220


@pytest.fixture()
def scene(world):
    scene = PageScene(world)
    scene.action = scene.actions.create_action(
        scene.area, title=f"Publish the pathway at {LONG}", owner=scene.owner, statements=["1.1"],
        due_on=date.today() + timedelta(days=30), user=scene.board)
    return scene


def test_a_long_word_does_not_widen_the_page(page, base_url, scene):
    browser_login(page, base_url, scene.board.email)
    for path in (f"/areas/{scene.area.id}/actions/", f"/areas/{scene.area.id}/actions/{scene.action.id}"):
        page.goto(base_url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"], f"{path} is {width} px wide"
    screenshot(page, "long-title-action")
