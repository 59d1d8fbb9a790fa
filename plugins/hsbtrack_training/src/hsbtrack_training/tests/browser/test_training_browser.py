"""A training lead records a course, people, a session and before/after answers through the pages;
the coverage matrix and the impact chart show them. axe checks every page; screenshots go to
``test-artifacts/``."""

import re

import pytest
from playwright.sync_api import expect

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
    page.fill("#held_on-day", "2")  # a GOV.UK date input: day, month, year
    page.fill("#held_on-month", "11")
    page.fill("#held_on-year", "2026")
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
        page.fill("#answered_on-day", "2")
        page.fill("#answered_on-month", "11")
        page.fill("#answered_on-year", "2026")
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


IMPORT_TEXT = {
    "en": {"suggestion": "no course called “Brook Traffic Light Tool” — did you mean “Brook Traffic Light Tool, Level 2”?",
           "problems": "1 row has a problem", "complete": "Import complete", "imported": "2 training records imported",
           "chart": "Share of the workforce with current training at each tier"},
    "cy": {"suggestion": "does dim cwrs o’r enw “Brook Traffic Light Tool” — oeddech chi’n golygu "
                         "“Brook Traffic Light Tool, Level 2”?",
           "complete": "Mae'r mewnforio wedi'i gwblhau", "chart": "Cyfran y gweithlu sydd â hyfforddiant cyfredol ym mhob haen"},
}


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_a_near_miss_course_and_a_uk_date_are_fixed_then_imported_and_charted(page, base_url, scene, tmp_path, lang):
    """Issue 15 (training): the import reads 27/03/2026, suggests the course title missing its comma; once
    fixed the page says "Import complete" (in its title too) and the coverage page draws the chart."""
    from hsbtrack_training import services

    area, lead = scene
    services.create_course(area, title="Brook Traffic Light Tool, Level 2", tier=2)
    police = next(a for a in area.agencies if a.name == "Police")
    services.set_headcounts(area, {(police.id, "school_nurse"): 4, (police.id, "police"): 10})
    base = f"{base_url}/areas/{area.id}/training"
    words = IMPORT_TEXT[lang]
    browser_login(page, base_url, lead.email)
    if lang == "cy":
        page.goto(f"{base_url}/language/cy?next=/areas/{area.id}/training/import")

    def upload(path):
        page.goto(base + "/import")
        page.set_input_files("#file", str(path))
        with page.expect_navigation():
            page.locator("main #submit").click()  # upload and continue
        with page.expect_navigation():
            page.locator("main #submit").click()  # the columns as guessed: check the rows

    near = tmp_path / "near-miss.csv"
    near.write_text("Learner,Organisation,Role,Course,Outcome,Completion date\n"
                    "Ann Example,Police,School nurses,Brook Traffic Light Tool,Completed,27/03/2026\n"
                    "Bob Example,Police,Police,\"Brook Traffic Light Tool, Level 2\",Completed,27/3/2026\n")
    upload(near)
    expect(page.locator("#bad-rows")).to_contain_text(words["suggestion"])
    if lang == "en":
        expect(page.locator(".govuk-error-summary")).to_contain_text(words["problems"])
    axe_check(page)
    screenshot(page, f"training_import_suggestion_{lang}")

    fixed = tmp_path / "fixed.csv"
    fixed.write_text(near.read_text().replace("Brook Traffic Light Tool,Completed", "\"Brook Traffic Light Tool, Level 2\",Completed"))
    upload(fixed)
    expect(page.locator("#bad-rows")).to_have_count(0)
    with page.expect_navigation():
        page.locator("main #submit").click()  # import 2 records
    page.wait_for_selector(".govuk-panel--confirmation")
    expect(page.locator("h1")).to_have_text(words["complete"])
    expect(page).to_have_title(re.compile("^" + re.escape(words["complete"])))
    if lang == "en":
        expect(page.locator(".govuk-panel")).to_contain_text(words["imported"])
    axe_check(page)
    screenshot(page, f"training_import_complete_{lang}")

    page.goto(base + "/coverage")
    chart = page.locator("#coverage-chart img")
    chart.scroll_into_view_if_needed()
    page.wait_for_function("document.querySelector('#coverage-chart img').complete")
    assert chart.evaluate("img => img.naturalWidth") > 0
    svg = page.request.get(chart.get_attribute("src")).text()
    assert words["chart"] in svg and "<script" not in svg
    axe_check(page)
    screenshot(page, f"training_coverage_chart_{lang}")


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_a_training_lead_adds_a_discipline_with_its_welsh_name(page, base_url, scene, lang):
    area, lead = scene
    browser_login(page, base_url, lead.email)
    page.goto(f"{base_url}/language/{lang}?next=/areas/{area.id}/training/tiers")
    box = page.locator("textarea#disciplines")
    expect(box).to_have_value(re.compile("School nurses \\| Nyrsys ysgol\nHealth visitors \\| Ymwelwyr iechyd"))
    box.fill(box.input_value() + "\nPlay workers | Gweithwyr chwarae")
    with page.expect_navigation():
        page.locator("main #submit").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Settings saved" if lang == "en" else "Gosodiadau wedi’u cadw")
    page.goto(f"{base_url}/areas/{area.id}/training/people")
    expect(page.locator("#discipline")).to_contain_text("Play workers" if lang == "en" else "Gweithwyr chwarae")
    page.goto(f"{base_url}/areas/{area.id}/training/tiers")
    axe_check(page)
    screenshot(page, f"training_settings_{lang}")
