"""In a real browser: with the North Wales preset, a coordinator switches the plugin on for the region
(it is then on in all six authorities), opens the T1 round; three authorities finish T1 (scores seeded
through the services to stay fast) and the roll-up, heatmap and radar show them. axe on every page;
screenshots go to ``test-artifacts/``."""

import pytest

from hsbtrack.testing_browser import axe_check, browser_login, screenshot

pytestmark = pytest.mark.browser


def test_coordinator_enables_the_region_and_sees_three_authorities_roll_up(page, base_url, world):
    from hsbtrack.audits.services import close_audit
    from hsbtrack.extensions import db
    from hsbtrack.plugins.services import is_enabled
    from hsbtrack_regional import services
    from hsbtrack_regional.demo import PATTERNS, seed_scores

    region = services.preset_north_wales().region
    coordinator = world.user("coordinator@example.org", region=region, role="regional_coordinator")
    browser_login(page, base_url, coordinator.email)

    page.goto(f"{base_url}/regions/{region.id}/plugins")
    row = page.locator('[data-plugin="regional"]')
    with page.expect_navigation():
        row.get_by_role("button").click()
    assert "On in every area" in page.locator('[data-plugin="regional"]').inner_text()
    db.session.expire_all()
    assert all(is_enabled(a, "regional") for a in services.member_areas(region))

    page.goto(f"{base_url}/regions/{region.id}/regional/")
    axe_check(page)
    page.get_by_label("Title (optional)").fill("North Wales T1")
    with page.expect_navigation():
        page.get_by_role("button", name="Open the regional round").click()
    assert page.get_by_role("heading", level=1).inner_text().strip() == "North Wales T1"
    assert "0 of 6 authorities" in page.inner_text("main")

    db.session.expire_all()
    round_ = services.rounds_for_region(region.id)[0]
    for member in services.round_status(round_):
        if member.area.name in PATTERNS:
            seed_scores(member.audit, PATTERNS[member.area.name])
            close_audit(member.audit, override_reason="closed as the test sets it up")

    page.reload()
    main = page.inner_text("main")
    assert "3 of 6 authorities" in main
    heatmap = page.locator("#statement-rollup")
    for name in ("Conwy", "Gwynedd", "Wrexham"):
        assert name in heatmap.locator("thead").inner_text()
    assert heatmap.locator("td.hsb-heat--none").count() > 0  # the three that have not finished
    axe_check(page)
    screenshot(page, "regional_round")
    radar = page.locator('img[src$="radar.svg"]')
    assert radar.evaluate("img => img.complete && img.naturalWidth > 0")
    radar.screenshot(path="test-artifacts/regional_radar.png")

    page.goto(f"{base_url}/regions/{region.id}/regional/rounds/{round_.id}/radar.svg")
    svg = page.content()
    assert "Conwy" in svg and "Gwynedd" in svg and "Wrexham" in svg


def test_a_bad_date_on_the_regional_action_plan_shows_beside_the_field_with_every_error(page, base_url, world):
    """Issue 15: GOV.UK date inputs, every error at once (English and Welsh); the T1 round's open
    authorities are provisional on the trend."""
    from hsbtrack_regional import services
    from hsbtrack_regional.demo import build

    region, round_ = build()
    coordinator = world.user("coordinator@example.org", region=region, role="regional_coordinator")
    browser_login(page, base_url, coordinator.email)
    page.goto(f"{base_url}/regions/{region.id}/regional/actions/")
    assert page.locator('input[type="date"]').count() == 0
    page.locator("#due_on-day").fill("31")
    page.locator("#due_on-month").fill("2")
    page.locator("#due_on-year").fill("2030")
    page.get_by_label("Statements").fill("9.9")
    with page.expect_navigation():
        page.get_by_role("button", name="Add the regional action").click()
    summary = page.locator(".govuk-error-summary").inner_text()
    for message in ("Due date must be a real date, like 31 3 2027", "Choose at least one authority"):
        assert message in summary
    assert len(page.locator(".govuk-error-summary__list li").all()) >= 4  # title, statements, date, authorities
    assert "Due date must be a real date" in page.locator("#due_on-error").inner_text()
    assert page.locator("#due_on-day").input_value() == "31"
    axe_check(page)
    screenshot(page, "regional_action_date_errors")
    link = page.locator(".govuk-error-summary").get_by_role("link", name="Due date must be a real date")
    assert link.get_attribute("href") == "#due_on-day" and page.locator("#due_on .govuk-date-input__input").count() == 3

    page.goto(f"{base_url}/language/cy?next=/regions/{region.id}/regional/actions/")
    page.locator("#due_on-day").fill("31")
    page.locator("#due_on-month").fill("2")
    page.locator("#due_on-year").fill("2030")
    with page.expect_navigation():
        page.locator('form button[type="submit"], form input[type="submit"]').last.click()
    assert page.locator(".govuk-error-summary").count() == 1
    assert page.locator("#due_on-error").is_visible()
    screenshot(page, "regional_action_date_errors_cy")

    page.goto(f"{base_url}/language/en?next=/regions/{region.id}/regional/rounds/{round_.id}/%23trend")
    notice = page.locator('[data-provisional-notice="trend"]').inner_text()
    open_names = [m.area.display_name for m in services.round_status(round_) if not m.finished]
    assert all(f"{name} (T1): 0 of 5 returns in" in notice for name in open_names)
    assert "Provisional" in page.locator("#trend-table thead").inner_text()
    page.locator("#trend").scroll_into_view_if_needed()
    screenshot(page, "regional_trend_provisional")
