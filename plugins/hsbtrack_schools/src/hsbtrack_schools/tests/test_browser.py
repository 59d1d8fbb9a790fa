"""A school lead completes a round through the pages; the scorecard and the area heatmap show it; a
second round shows the change. axe checks every page; screenshots go to ``test-artifacts/``."""

import pytest
from playwright.sync_api import expect

from hsbtrack.testing import PASSWORD
from hsbtrack.testing_browser import axe_check, browser_login, screenshot
from hsbtrack_schools import services
from hsbtrack_schools.tests.helpers import enable

pytestmark = pytest.mark.browser


@pytest.fixture()
def scene(world):
    area = enable(world.area("Riverside"))
    board = world.user("board@example.org", area, "board_manager")
    school = services.create_school(area, "Hilltop Academy", "secondary", "Jo Bloggs")
    services.create_school(area, "Valley College", "further education")
    services.add_lead(area, school, "lead@hilltop.example")
    lead = world.user("lead@hilltop.example")
    return {"area": area, "board": board, "school": school, "lead": lead}


def rate_section(page, ratings: dict, source="Staff"):
    for code, rating in ratings.items():
        page.locator(f"#{code}-rating-{rating}").check()
        page.locator(f"#{code}-sources").get_by_label(source).check()


def submit(page, selector):
    """Click a submit button and wait for the server's answer to load (a click alone doesn't)."""
    with page.expect_navigation():
        page.locator(selector).click()


def complete_round(page, first_rating, changed: dict, start=True):
    if start:
        submit(page, "#start-round")
    assert "round" in page.get_by_role("heading", level=1).inner_text()
    axe_check(page)
    page.get_by_role("link", name="Structures and systems").click()
    axe_check(page)
    for key, codes in (("structures", ["S1", "S2", "S3", "S4", "S5"]), ("prevention", ["P1", "P2", "P3", "P4", "P5"]),
                       ("identification", ["I1", "I2", "I3", "I4"]), ("response", ["R1", "R2", "R3", "R4", "R5"])):
        rate_section(page, {c: changed.get(c, first_rating) for c in codes})
        submit(page, "#save" if key == "response" else "#save-next")
    assert page.locator("#progress").inner_text().startswith("19 of 19 items rated")
    page.get_by_role("link", name="Forms of harm reported (counts for this round)").click()
    axe_check(page)
    page.get_by_label("Sexual name-calling").fill("4")
    with page.expect_navigation():
        page.get_by_role("button", name="Save the counts").click()
    submit(page, "#complete-round")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Scorecard")


def test_a_school_lead_completes_two_rounds_and_the_area_sees_them(page, base_url, scene):
    area_id = scene["area"].id
    browser_login(page, base_url, scene["lead"].email, PASSWORD)
    page.goto(f"{base_url}/areas/{area_id}/schools/")
    axe_check(page)
    assert "Valley College" not in page.content()
    page.get_by_role("link", name="Hilltop Academy").click()

    # A wrong rating is refused next to the item.
    submit(page, "#start-round")
    page.get_by_role("link", name="Structures and systems").click()
    page.locator("#S1-rating-red").check()
    submit(page, "#save")
    expect(page.locator("#S1-sources-error")).to_be_visible()
    axe_check(page)
    page.get_by_role("link", name="Hilltop Academy, round 1").click()
    complete_round(page, "amber", {"S1": "red", "R2": "red"}, start=False)
    assert "Scorecard" in page.get_by_role("heading", level=1).inner_text()
    axe_check(page)
    screenshot(page, "schools_scorecard_first")
    assert page.locator('#row-S1 [data-rating="red"]').inner_text() == "Red"

    page.goto(f"{base_url}/areas/{area_id}/schools/{scene['school'].id}/")
    complete_round(page, "green", {"S1": "amber", "P3": "red"})
    assert "Compared with round 1" in page.content()
    assert page.locator("#row-S1 [data-change]").inner_text().strip().endswith("Better")
    assert page.locator("#row-P3 [data-change]").inner_text().strip().endswith("Worse")
    axe_check(page)
    screenshot(page, "schools_scorecard_second")

    # The lead cannot reach the roll-up; the board manager sees the school in the heatmap.
    assert page.goto(f"{base_url}/areas/{area_id}/schools/rollup").status == 404
    page.context.clear_cookies()
    browser_login(page, base_url, scene["board"].email, PASSWORD)
    page.goto(f"{base_url}/areas/{area_id}/schools/rollup")
    axe_check(page)
    screenshot(page, "schools_rollup")
    row = page.locator('#heatmap tr[data-school="Hilltop Academy"]')
    assert row.locator('[data-item="P3"]').inner_text().strip() == "Red"
    assert row.locator('[data-item="S1"]').inner_text().strip() == "Amber"
    assert "Valley College" in page.locator("#not-assessed").inner_text()
    assert page.locator('#shares tr[data-area="prevention"] [data-share]').inner_text() == "80%"
