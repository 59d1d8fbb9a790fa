"""A training lead records a course, people, a session and before/after answers through the pages;
the coverage matrix and the impact chart show them. axe checks every page; screenshots go to
``test-artifacts/``."""

import pytest

from hsbtrack.plugins.services import set_area_plugin
from hsbtrack.testing_browser import axe_check, browser_login, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture()
def scene(world):
    area = world.area("Riverside")
    set_area_plugin(area, "training", True)
    lead = world.user("lead@example.org", area, "training_lead")
    return area, lead


def test_a_training_lead_records_training_and_sees_coverage_and_impact(page, base_url, scene):
    area, lead = scene
    base = f"{base_url}/areas/{area.id}/training"
    browser_login(page, base_url, lead.email)

    page.goto(base + "/courses")
    axe_check(page)
    page.get_by_label("Course title").fill("HSB awareness")
    page.get_by_label("Tier", exact=True).select_option("1")
    page.get_by_label("Refresher period in months (optional)").fill("24")
    with page.expect_navigation():
        page.get_by_role("button", name="Add course").click()
    assert "HSB awareness" in page.locator("#courses").inner_text()

    for name, agency, discipline in (("Ann Example", "Police", "Police"), ("Bea Example", "Health", "Social workers")):
        page.goto(base + "/people")
        page.get_by_label("Full name").fill(name)
        page.get_by_label("Agency").select_option(label=agency)
        page.get_by_label("Discipline").select_option(label=discipline)
        with page.expect_navigation():
            page.get_by_role("button", name="Add person").click()
    axe_check(page)

    page.goto(base + "/headcounts")
    police_id = next(a.id for a in area.agencies if a.name == "Police")
    page.locator(f"#hc-{police_id}-police").fill("4")
    with page.expect_navigation():
        page.get_by_role("button", name="Save headcounts").click()

    page.goto(base + "/sessions/new")
    page.get_by_label("Date held").fill("2026-11-02")
    page.get_by_label("Outcome for Ann Example").select_option("completed")
    page.get_by_label("Outcome for Bea Example").select_option("did_not_attend")
    axe_check(page)
    screenshot(page, "training_session_form")
    with page.expect_navigation():
        page.get_by_role("button", name="Record session").click()
    assert "Session recorded" in page.locator(".govuk-notification-banner").inner_text()
    matrix = page.locator("#coverage-all").inner_text()
    assert "Police" in matrix and "1 (25%)" in matrix
    axe_check(page)
    screenshot(page, "training_coverage")

    page.goto(base + "/impact/items")
    for subscale, text in (("Professional attitudes", "Children who harm are children first"),
                           ("Knowledge and awareness", "I can tell harmful from healthy behaviour"),
                           ("Self-efficacy", "I feel confident responding")):
        page.get_by_label("Subscale").select_option(label=subscale)
        page.get_by_label("Statement people rate").fill(text)
        with page.expect_navigation():
            page.get_by_role("button", name="Add item").click()
    axe_check(page)
    for phase, rating in (("Before the course", "2"), ("After the course", "4")):
        page.goto(base + "/impact/answers")
        page.get_by_label("Person").select_option(label="Ann Example – Police")
        page.get_by_label("When were the answers given?").select_option(label=phase)
        page.get_by_label("Date answered").fill("2026-11-02")
        for radio in page.locator(f'input[type="radio"][value="{rating}"]').all():
            radio.check()
        with page.expect_navigation():
            page.get_by_role("button", name="Save answers").click()
        assert "Answers saved" in page.locator(".govuk-notification-banner").inner_text()
    axe_check(page)
    page.goto(base + "/impact")
    assert "2.0 → 4.0 (+2.0)" in page.locator("#impact-tiers").inner_text()
    chart = page.locator("img.hsb-chart")
    chart.scroll_into_view_if_needed()
    page.wait_for_function("document.querySelector('img.hsb-chart').complete")
    assert chart.evaluate("img => img.naturalWidth") > 0
    axe_check(page)
    screenshot(page, "training_impact")


def test_a_training_lead_imports_a_file_through_the_pages(page, base_url, scene, tmp_path):
    from hsbtrack_training import services

    area, lead = scene
    services.create_course(area, title="HSB awareness", tier=1, refresher_months=24)
    base = f"{base_url}/areas/{area.id}/training"
    browser_login(page, base_url, lead.email)
    bad = tmp_path / "bad.csv"
    bad.write_text("Learner,Organisation,Role,Course,Outcome,Completion date\n"
                   "Ann Example,Police,Police,HSB awareness,Completed,2026-01-15\n"
                   "Bob Example,Fire,Police,HSB awareness,Completed,2026-01-15\n"
                   "Cy Example,Police,Police,Knitting,Completed,2026-01-15\n"
                   "Di Example,Police,Police,HSB awareness,Completed,someday\n")
    page.goto(base + "/import")
    axe_check(page)
    page.set_input_files("#file", str(bad))
    with page.expect_navigation():
        page.get_by_role("button", name="Upload and continue").click()
    axe_check(page)
    assert page.get_by_label("Date", exact=True).input_value() == "5"  # guessed from the header
    with page.expect_navigation():
        page.get_by_role("button", name="Check the rows").click()
    assert "3 rows have a problem" in page.locator(".govuk-error-summary").inner_text()
    rows = page.locator("#bad-rows tbody tr").all_inner_texts()
    assert [r.split()[0] for r in rows] == ["3", "4", "5"]
    axe_check(page)
    screenshot(page, "training_import_errors")

    good = tmp_path / "good.csv"
    good.write_text(bad.read_text().replace("Fire", "Police").replace("Knitting", "HSB awareness")
                    .replace("someday", "2026-02-01"))
    page.goto(base + "/import")
    page.set_input_files("#file", str(good))
    with page.expect_navigation():
        page.get_by_role("button", name="Upload and continue").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Check the rows").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Import 4 records").click()
    page.wait_for_selector(".govuk-panel--confirmation")
    assert "4 training records imported" in page.locator(".govuk-panel").inner_text()
    axe_check(page)
    page.goto(base + "/coverage")
    assert "4" in page.locator("#coverage-all").inner_text()
