"""Finding 8 (way-finding) and the 320px part of finding 9 of issue 15 on the plugins' pages, in a
browser, in English and Welsh: the region page links to the regional board and its round's roll-up;
a school lead's menu has no link to a page that would refuse them; the regional roll-up of a region
with a long authority name lays out in 320 CSS pixels (the page never scrolls sideways, its tables
scroll in their own labelled, focusable regions). axe at 320px and at desktop width; screenshots in
test-artifacts/. (The core's pages: tests/browser/test_way_finding_browser.py.)"""

import pytest
from playwright.sync_api import expect

from hsbtrack.testing_browser import axe_check, browser_login, screenshot
from tests.browser.test_way_finding_browser import LONG_NAME, at_320

pytestmark = pytest.mark.browser

WORDS = {
    "en": {"board": "Regional board", "rollup": "Roll-up of T1: Regional audit 2026", "schools": "Schools"},
    "cy": {"board": "Bwrdd rhanbarthol", "rollup": "Crynodeb T1: Regional audit 2026", "schools": "Ysgolion"},
}


@pytest.fixture()
def region_scene(world):
    from hsbtrack_regional import services
    from hsbtrack_regional.demo import PATTERNS, seed_scores

    from hsbtrack.audits.services import close_audit
    from hsbtrack.plugins.services import set_region_plugin

    region = world.region("North Wales")
    for name in ("Conwy", "Gwynedd", LONG_NAME):
        world.area(name, region)
    set_region_plugin(region, "regional", True)
    round_ = services.open_round(region, title="Regional audit 2026")
    for member, pattern in zip(services.round_status(round_), PATTERNS.values(), strict=False):
        seed_scores(member.audit, pattern)
        if member.area.name != LONG_NAME:
            close_audit(member.audit, override_reason="closed as the test sets it up")
    coordinator = world.user("coordinator@example.org", region=region, role="regional_coordinator")
    return region, round_, coordinator


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_the_region_page_leads_to_the_regional_board_and_its_roll_up(page, base_url, region_scene, lang):
    region, round_, coordinator = region_scene
    words = WORDS[lang]
    browser_login(page, base_url, coordinator.email)
    page.goto(f"{base_url}/language/{lang}?next=/regions/{region.id}/")
    links = page.locator("#region-links")
    expect(links.get_by_role("link", name=words["board"], exact=True)).to_have_attribute(
        "href", f"/regions/{region.id}/regional/")
    axe_check(page)
    screenshot(page, f"way-finding-region-{lang}")
    at_320(page, f"way-finding-region-320-{lang}")

    links.get_by_role("link", name=words["board"], exact=True).click()
    expect(page.locator("h1")).to_have_text(words["board"])
    page.go_back()
    page.locator("#region-links").get_by_role("link", name=words["rollup"]).click()
    expect(page).to_have_url(f"{base_url}/regions/{region.id}/regional/rounds/{round_.id}/")
    expect(page.locator("#statement-rollup thead")).to_contain_text(LONG_NAME)
    layout = at_320(page, f"way-finding-rollup-320-{lang}")
    assert layout["regions"], "the roll-up's tables scroll inside their own regions at 320px"


@pytest.fixture()
def school_scene(world):
    from hsbtrack_schools import services as schools

    from hsbtrack.audits.services import open_audit
    from hsbtrack.plugins.services import registry, set_area_plugin

    area = world.area(LONG_NAME)
    board = world.user("board@example.org", area, "board_manager")
    for plugin in registry().plugins():
        set_area_plugin(area, plugin.name, True)
    open_audit(area, user=board)
    school = schools.create_school(area, "Ysgol Aberconwy", "secondary")
    lead = world.user("lead@example.org", area, "school_lead")
    schools.add_lead(area, school, lead.email)
    return area, lead


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_a_school_leads_menu_has_no_dead_links(page, base_url, school_scene, lang):
    area, lead = school_scene
    browser_login(page, base_url, lead.email)
    page.goto(f"{base_url}/language/{lang}?next=/areas/{area.id}/")
    menu = page.locator("nav.govuk-service-navigation__wrapper a.govuk-service-navigation__link")
    labels = [text.strip() for text in menu.all_inner_texts()]
    hrefs = [menu.nth(n).get_attribute("href") for n in range(menu.count())]
    assert WORDS[lang]["schools"] in labels
    assert not {f"/areas/{area.id}/audits/", f"/areas/{area.id}/actions/", f"/areas/{area.id}/training/",
                f"/areas/{area.id}/members", f"/areas/{area.id}/plugins"} & set(hrefs), labels
    for label, href in zip(labels, hrefs, strict=True):
        answer = page.request.get(base_url + href)
        assert answer.status == 200, f"{label} ({href}) answered {answer.status}"
    axe_check(page)
    screenshot(page, f"way-finding-school-lead-menu-{lang}")
