"""Issue 15, finding 3 in a browser, in English and Welsh: with T2 open and Police not yet scored, the
dashboard and the compare page say T2's figures are provisional, with "2 of 3 returns in", beside
"up 1.00". And finding 9's board report: a contents list, "What we did", the detail folded away on
screen and printed in full. axe on each page; screenshots (and page heights) in test-artifacts/."""

import pytest
from playwright.sync_api import expect

from hsbtrack.testing_browser import axe_check, browser_login, screenshot
from tests.audits.provisional_helpers import finding_three

pytestmark = pytest.mark.browser

WORDS = {
    "en": {"tag": "Provisional", "returns": "2 of 3 returns in", "up": "up 1.00", "what": "What we did",
           "contents": "Contents", "show_all": "Show all sections", "in_progress": "In progress"},
    "cy": {"tag": "Dros dro", "returns": "2 o 3 ffurflen wedi dod i law", "up": "i fyny 1.00",
           "what": "Beth wnaethon ni", "contents": "Cynnwys", "show_all": "Dangos pob adran",
           "in_progress": "Ar y gweill"},
}


def height(page) -> int:
    return page.evaluate("document.documentElement.scrollHeight")


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_open_cycle_figures_are_provisional_and_the_report_tells_the_story(page, base_url, world, lang):
    words = WORDS[lang]
    s = finding_three(world)
    browser_login(page, base_url, s.board.email)
    if lang == "cy":
        page.goto(f"{base_url}/language/cy?next=/areas/{s.area.id}/")
    area = f"{base_url}/areas/{s.area.id}"

    # the dashboard: T2's means beside T1's, marked provisional with the returns in
    page.goto(f"{area}/")
    notice = page.locator(".hsb-provisional").first
    expect(notice).to_be_visible()
    expect(notice.locator(".hsb-provisional-tag")).to_have_text(words["tag"])
    expect(notice).to_contain_text(words["returns"])
    expect(page.locator("th", has_text="T2").locator(".hsb-provisional-tag")).to_have_text(words["tag"])
    axe_check(page)
    screenshot(page, f"provisional-dashboard-{lang}")

    # compare: "up 1.00" never without the label
    page.goto(f"{area}/audits/compare")
    expect(page.locator(".hsb-provisional").first).to_contain_text(words["returns"])
    total = page.locator("#compare-domains tfoot tr")
    expect(total).to_contain_text(words["up"])
    expect(total.locator(".hsb-provisional-tag")).to_have_text(words["tag"])
    axe_check(page)
    screenshot(page, f"provisional-compare-{lang}")

    # the board report: contents, "What we did", the detail folded away
    page.goto(f"{area}/audits/{s.t2.id}/report")
    contents = page.locator("nav.hsb-contents")
    expect(contents.locator("h2")).to_have_text(words["contents"])
    expect(contents.locator("li")).to_have_count(11)  # (with the evidence index)
    what = page.locator('[data-report-section="report-what-we-did"]')
    expect(what.locator("h2")).to_have_text(words["what"])
    row = what.locator('tr[data-code="1.1"]')
    expect(row).to_contain_text("Publish the harmful sexual behaviour pathway")
    expect(row).to_contain_text(words["in_progress"])
    expect(row.locator("[data-change] .hsb-provisional-tag")).to_have_text(words["tag"])
    detail = page.locator("#report-detail-content-2")  # domain 1
    expect(detail).to_be_hidden()
    contents.locator("a[href='#report-what-we-did']").click()
    expect(what).to_be_in_viewport()
    axe_check(page)
    folded = height(page)
    screenshot(page, f"provisional-report-{lang}")
    page.emulate_media(media="print")  # printing shows every section
    expect(detail).to_be_visible()
    expect(page.locator(".govuk-accordion__controls")).to_be_hidden()
    printed = height(page)
    page.emulate_media(media="screen")
    page.get_by_role("button", name=words["show_all"]).click()
    expect(detail).to_be_visible()
    opened = height(page)
    assert folded < opened / 2, (folded, opened)

    page.goto(f"{area}/audits/{s.t2.id}/overview")
    expect(page.locator(".hsb-provisional").first).to_contain_text(words["returns"])
    expect(page.locator("#overview-domains-content-1")).to_be_hidden()
    axe_check(page)
    overview_folded = height(page)
    screenshot(page, f"provisional-overview-{lang}")
    page.get_by_role("button", name=words["show_all"]).first.click()
    overview_opened = height(page)
    print(f"\n[{lang}] report: {folded} px folded, {opened} px opened, {printed} px as printed; "
          f"overview: {overview_folded} px folded, {overview_opened} px opened")
