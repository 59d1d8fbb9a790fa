"""Finding 8 (way-finding) and the 320px part of finding 9 of issue 15, in a browser, in English and
Welsh: the list of areas shows each area's status; the moderation grid and the overview of an area with
a long name lay out in 320 CSS pixels (WCAG 1.4.10: the page never scrolls sideways, a wide table
scrolls inside its own labelled, focusable region); axe at 320px and at desktop width. The plugin
pages (the region page's link to the regional board, the regional roll-up, a school lead's menu) are
in tests/integration/browser/test_way_finding_plugins_browser.py: this suite runs without plugins.
Screenshots in test-artifacts/."""

from datetime import date, datetime

import pytest
from playwright.sync_api import expect

from hsbtrack.actions.services import create_action
from hsbtrack.audits import services
from hsbtrack.audits.models import AuditAgency, ScheduledAudit
from hsbtrack.extensions import db
from hsbtrack.testing_browser import ARTIFACTS, axe_check, browser_login, screenshot

pytestmark = pytest.mark.browser

LONG_NAME = "Cyngor Bwrdeistref Sirol Castell-nedd Port Talbot Child Protection Committee"
AGENCIES = ("Police", "Health", "Education", "Children's social care", "Youth justice")

# The document itself, never wider than the viewport; the scroll regions that are wider, each focusable
# and named (axe's scrollable-region-focusable).
SCROLLERS = ".hsb-table-wrap, .hsb-matrix, .hsb-scroll"
LAYOUT_JS = """() => {
    const SCROLLERS = '""" + SCROLLERS + """';
    return {
    width: document.documentElement.clientWidth,
    scrollWidth: document.documentElement.scrollWidth,
    wide: [...document.body.querySelectorAll('*')].filter(e => e.getBoundingClientRect().right > 321
            && !e.closest(SCROLLERS)
            && !(e.parentElement && e.parentElement.getBoundingClientRect().right > 321))
        .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
            + (typeof e.className === 'string' && e.className ? '.' + e.className.trim().split(/\\s+/).join('.') : '')
            + ' ' + Math.round(e.getBoundingClientRect().right) + 'px'),
    regions: [...document.querySelectorAll(SCROLLERS)]
        .filter(e => e.scrollWidth > e.clientWidth + 1)
        .map(e => ({tabindex: e.getAttribute('tabindex'), role: e.getAttribute('role'),
                    named: !!(e.getAttribute('aria-label') || e.getAttribute('aria-labelledby'))})),
    };
}"""


def at_320(page, name):
    """Lay the page out at 320 CSS pixels; screenshot; the page does not scroll sideways; axe."""
    page.set_viewport_size({"width": 320, "height": 640})
    layout = page.evaluate(LAYOUT_JS)
    screenshot(page, name)
    page.screenshot(path=str(ARTIFACTS / f"{name}-top.png"))  # what the screen shows first
    assert layout["scrollWidth"] <= 320, f"{page.url} is {layout['scrollWidth']}px wide at 320px: {layout['wide']}"
    for region in layout["regions"]:
        assert region == {"tabindex": "0", "role": "region", "named": True}, region
    if layout["regions"]:  # the first table that scrolls in its region, as the screen shows it
        wrappers = page.locator(SCROLLERS)
        first = wrappers.evaluate_all("els => els.findIndex(e => e.scrollWidth > e.clientWidth + 1)")
        wrappers.nth(first).screenshot(path=str(ARTIFACTS / f"{name}-table.png"))
    axe_check(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    axe_check(page)
    return layout


@pytest.fixture()
def scene(world):
    """A committee with a long name: five agencies, an audit with three returns in, two overdue actions
    and a re-audit due; a second area, so that the home page lists both."""
    area = world.area(LONG_NAME, agencies=AGENCIES)
    quiet = world.area("Aberdaron")
    board = world.user("board@example.org", area, "board_manager")
    world.user("board@example.org", quiet, "board_manager")
    audit = services.open_audit(area, title="Baseline audit 2026", user=board)
    agencies = {a.name: a for a in area.agencies}
    for n, name in enumerate(AGENCIES):
        for code in ("1.1", "1.2", "2.2", "3.1"):
            services.save_response(audit, agencies[name].id, code, score=(n + len(code)) % 5,
                                   evidence=f"{name}: audit of 20 case files", user=board)
    for row in db.session.scalars(db.select(AuditAgency).where(AuditAgency.audit_id == audit.id)
                                  .order_by(AuditAgency.id).limit(3)):
        row.submitted_at = datetime(2026, 3, 1, 12, 0)
    for n in range(3):
        action = create_action(area, title=f"Pathway review {n + 1}", owner=board, due_on=date(2099, 1, 1),
                               statements=["1.1"])
        action.due_on = date(2025, 1, 10) if n < 2 else date(2099, 1, 1)
    db.session.add(ScheduledAudit(area_id=area.id, framework=audit.framework, cycle=2, due_on=date(2027, 5, 4)))
    db.session.commit()
    return area, quiet, audit, board


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_the_home_page_lists_each_area_with_its_status(page, base_url, scene, lang):
    area, quiet, audit, board = scene
    browser_login(page, base_url, board.email)
    page.goto(f"{base_url}/language/{lang}?next=/")
    entry = page.locator(f'li[data-area-id="{area.id}"]')
    words = {"en": ("Audit in progress", "Returns", "3 of 5 submitted", "Overdue actions", "Next re-audit",
                    "4 May 2027", "None open"),
             "cy": ("Archwiliad ar y gweill", "Ffurflenni", "3 o 5 wedi'u cyflwyno", "Camau gweithredu hwyr",
                    "Yr ail-archwiliad nesaf", "4 Mai 2027", "Dim un ar agor")}[lang]
    audit_label, returns_label, returns, overdue_label, reaudit_label, when, none_open = words
    expect(entry.locator('[data-status="audit"]')).to_contain_text(audit_label)
    expect(entry.locator('[data-status="audit"] a')).to_have_text("T1: Baseline audit 2026")
    expect(entry.locator('[data-status="returns"]')).to_contain_text(returns_label)
    expect(entry.locator('[data-status="returns"]')).to_contain_text(returns)
    expect(entry.locator('[data-status="overdue"]')).to_contain_text(overdue_label)
    expect(entry.locator('[data-status="overdue"] .govuk-tag')).to_have_text("2")
    expect(entry.locator('[data-status="next-reaudit"]')).to_contain_text(reaudit_label)
    expect(entry.locator('[data-status="next-reaudit"]')).to_contain_text(when)
    expect(page.locator(f'li[data-area-id="{quiet.id}"] [data-status="audit"]')).to_contain_text(none_open)
    screenshot(page, f"way-finding-home-{lang}")
    at_320(page, f"way-finding-home-320-{lang}")
    entry.locator('[data-status="audit"] a').click()
    expect(page).to_have_url(f"{base_url}/areas/{area.id}/audits/{audit.id}/")
    # the picker in the header shows the area you are in
    expect(page.locator("#area-switcher option:checked")).to_have_text(LONG_NAME)


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_the_grid_and_the_overview_reflow_at_320px(page, base_url, scene, lang):
    area, _quiet, audit, board = scene
    browser_login(page, base_url, board.email)
    page.goto(f"{base_url}/language/{lang}?next=/areas/{area.id}/audits/{audit.id}/moderation")
    expect(page.locator("#area-switcher option:checked")).to_have_text(LONG_NAME)
    layout = at_320(page, f"way-finding-grid-320-{lang}")
    assert layout["regions"], "the grid's tables scroll inside their regions at 320px"
    page.goto(f"{base_url}/areas/{area.id}/audits/{audit.id}/overview")
    layout = at_320(page, f"way-finding-overview-320-{lang}")
    assert layout["regions"], "the overview's tables scroll inside their regions at 320px"
    # (a wide table scrolls by keyboard: its region takes the focus)
    page.set_viewport_size({"width": 320, "height": 640})
    region = page.locator(".hsb-table-wrap[tabindex='0']").first
    region.focus()
    expect(region).to_be_focused()
