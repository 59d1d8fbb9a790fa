"""The overview, comparison and board report in a real browser: the radar images load, axe finds no
serious or critical WCAG 2.x A/AA violation, and the report prints to A4 (print media)."""

import pytest

from hsbtrack.audits import services
from hsbtrack.testing_browser import axe_check, browser_login, screenshot

pytestmark = pytest.mark.browser

EMAIL = "board@example.org"


@pytest.fixture()
def cycles(world):
    """Riverside with a closed T1 and an open T2, every statement scored by three agencies."""
    area = world.area("Riverside")
    board = world.user(EMAIL, area, "board_manager")
    agencies = list(area.agencies)
    t1 = services.open_audit(area, user=board)
    framework = services.framework_of(t1)
    for offset, agency in enumerate(agencies):
        for i, statement in enumerate(framework.scored_statements):
            services.save_response(t1, agency.id, statement.code, score=(i + offset) % 3)
    services.close_audit(t1, user=board, override_reason="closed as the test sets it up")
    t2 = services.open_audit(area, user=board)
    for offset, agency in enumerate(agencies):
        for i, statement in enumerate(framework.scored_statements):
            services.save_response(t2, agency.id, statement.code, score=min(4, 1 + (i + offset) % 4))
    return area, t1, t2


def images_loaded(page) -> list[int]:
    """naturalWidth of every image (0 = broken), once each has been scrolled into view."""
    for image in page.locator("img").all():
        image.scroll_into_view_if_needed()
    page.wait_for_load_state("networkidle")
    return page.evaluate("() => Array.from(document.images).map(i => i.complete ? i.naturalWidth : -1)")


def test_overview_compare_and_report_in_a_browser(page, base_url, cycles):
    area, t1, t2 = cycles
    browser_login(page, base_url, EMAIL)

    page.goto(f"{base_url}/areas/{area.id}/audits/{t2.id}/overview")
    assert page.get_by_role("heading", name="Overview").is_visible()
    # the domain sections are folded (an accordion): open them all, then every graph loads
    for show_all in page.locator(".govuk-accordion__show-all").all():
        show_all.click()
        assert show_all.get_attribute("aria-expanded") == "true"
    widths = images_loaded(page)
    assert len(widths) == 6 and all(w > 0 for w in widths), widths
    page.get_by_text("Show the domain radar as a table").click()
    assert page.locator("details[open] table").count() == 1
    axe_check(page)
    screenshot(page, "overview-t2")

    page.goto(f"{base_url}/areas/{area.id}/audits/compare")
    assert all(w > 0 for w in images_loaded(page))
    page.get_by_label(f"T1 – {t1.title}", exact=False).uncheck()
    page.get_by_role("button", name="Compare").click()
    page.locator(".govuk-error-summary").wait_for()  # the click loads a new page: wait for it
    axe_check(page)
    page.get_by_label(f"T1 – {t1.title}", exact=False).check()
    page.get_by_role("button", name="Compare").click()
    page.locator("#compare-domains").wait_for()
    axe_check(page)
    screenshot(page, "compare-t1-t2")

    page.goto(f"{base_url}/areas/{area.id}/audits/{t2.id}/report")
    assert page.get_by_role("button", name="Print this report").is_visible()  # shown by print.js
    widths = images_loaded(page)
    assert len(widths) == 6 and all(w > 0 for w in widths), widths
    axe_check(page)
    page.emulate_media(media="print")
    assert not page.locator(".hsb-header").is_visible()
    assert not page.get_by_role("button", name="Print this report").is_visible()
    screenshot(page, "report-t2-print")
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") >= 7  # a page per domain, at least
