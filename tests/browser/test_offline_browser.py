"""Issue 21 in a browser: the offline return workbook (download, fill in, upload, the preview with a
conflict, save) and the board's form for a baseline done elsewhere. In English and Welsh, axe on each
page; screenshots in test-artifacts/."""


import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from hsbtrack.audits import services
from hsbtrack.testing_browser import axe_check, browser_login, screenshot
from tests.conftest import OPENED_EARLIER

pytestmark = pytest.mark.browser


@pytest.fixture()
def scene(world):
    area = world.area("Riverside", agencies=("Police", "Health"))
    police = world.agency(area, "Police")
    board = world.user("board@example.org", area, "board_manager")
    lead = world.user("lead@example.org", area, "agency_lead", agency=police)
    audit = services.open_audit(area, user=board, opened_at=OPENED_EARLIER)
    services.save_response(audit, police.id, "1.1", score=2, evidence="Monthly case audit of 10 files", user=lead)
    services.save_response(audit, police.id, "1.2", score=1, evidence="Referral data", user=lead)
    return type("Scene", (), {"area": area, "police": police, "board": board, "lead": lead, "audit": audit})()


def _row(ws, code):
    return next(r for r in range(1, ws.max_row + 1) if ws.cell(row=r, column=1).value == code)


def test_fill_in_offline_preview_with_a_conflict_then_save(page, base_url, scene, tmp_path):
    browser_login(page, base_url, scene.lead.email)
    page.goto(f"{base_url}/areas/{scene.area.id}/audits/{scene.audit.id}/agencies/{scene.police.id}/domains/1")
    page.get_by_role("link", name="Fill in offline").click()
    expect(page.locator("h1")).to_have_text("Fill in offline")
    axe_check(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the workbook").click()
    book = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    assert download.value.suggested_filename.endswith("-offline-return.xlsx")
    ws = book["Domain 1"]
    ws.cell(row=_row(ws, "1.1"), column=3).value = 3
    ws.cell(row=_row(ws, "1.1"), column=4).value = "Monthly case audit of 20 files, with the health visitors"
    ws.cell(row=_row(ws, "1.2"), column=3).value = 4
    ws.cell(row=_row(ws, "1.3"), column=3).value = 2
    ws = book["Domain 2"]
    ws.cell(row=_row(ws, "2.2"), column=5).value = "Reviewed by the safeguarding lead each quarter"
    path = tmp_path / "police-return.xlsx"
    book.save(path)
    # a colleague changes 1.2 online after the download
    services.save_response(scene.audit, scene.police.id, "1.2", score=2, evidence="New referral data",
                           user=scene.board)

    # a bad cell first: named by sheet and cell, nothing saved
    bad = load_workbook(path)
    bad["Domain 2"].cell(row=_row(bad["Domain 2"], "2.3"), column=3).value = 5
    bad_path = tmp_path / "bad.xlsx"
    bad.save(bad_path)
    page.set_input_files("#file", str(bad_path))
    page.get_by_role("button", name="Upload and preview the changes").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("5 is not a score from 0 to 4")
    expect(page.locator("#file-error")).to_contain_text("Domain 2, C")
    axe_check(page)
    screenshot(page, "offline-workbook-error")

    page.set_input_files("#file", str(path))
    page.get_by_role("button", name="Upload and preview the changes").click()
    expect(page.locator("h1")).to_have_text("Check the changes from the workbook")
    expect(page.locator("[data-changes] tbody tr")).to_have_count(3)
    expect(page.locator("[data-conflicts] tbody tr")).to_have_count(1)
    expect(page.locator("[data-conflicts]")).to_contain_text("New referral data")
    axe_check(page)
    screenshot(page, "offline-workbook-preview")
    preview_url = page.url
    page.goto(f"{base_url}/language/cy?next={preview_url.replace(base_url, '')}")
    expect(page.locator("h1")).to_have_text("Gwirio'r newidiadau o'r llyfr gwaith")
    axe_check(page)
    screenshot(page, "offline-workbook-preview-cy")
    page.get_by_role("button", name="Cadw'r newidiadau hyn").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("1.2")
    answers = services.responses_for_agency(scene.audit, scene.police.id)
    assert answers["1.1"].score == 3 and answers["1.3"].score == 2
    assert answers["1.2"].score == 2  # the colleague's answer was not overwritten


def test_the_baseline_form(page, base_url, scene, world):
    area = world.area("Eastbrook", agencies=("Police",))
    board = world.user("board@eastbrook.example", area, "board_manager")
    browser_login(page, base_url, board.email)
    page.goto(f"{base_url}/areas/{area.id}/audits/")
    page.get_by_role("link", name="Record a baseline done elsewhere").click()
    expect(page.locator("h1")).to_have_text("Record a baseline done elsewhere")
    axe_check(page)
    screenshot(page, "imported-baseline-form")
    page.get_by_role("button", name="Record the imported baseline").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the date the baseline audit was completed")
    axe_check(page)
    screenshot(page, "imported-baseline-form-error")
    page.fill("#completed_on-day", "27")
    page.fill("#completed_on-month", "3")
    page.fill("#completed_on-year", "2024")
    page.select_option("#score-1-1", "1")
    page.select_option("#score-1-2", "3")
    page.fill("#comment-1-2", "Agreed at the board in March")
    page.get_by_role("button", name="Record the imported baseline").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("T1 (imported baseline) is recorded")
    expect(page.locator("#imported-baseline-note")).to_be_visible()
    screenshot(page, "imported-baseline-detail")
    page.goto(f"{base_url}/language/cy?next=/areas/{area.id}/audits/")
    expect(page.locator("#audits")).to_contain_text("llinell sylfaen wedi'i mewnforio")
    axe_check(page)
    screenshot(page, "imported-baseline-list-cy")
