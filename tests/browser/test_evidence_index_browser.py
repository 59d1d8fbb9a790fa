"""Issue 16, in a browser: the evidence index of an audit (reached from the audit page), filtered by agency,
and its section of the board report, printed. In English and Welsh, axe on each page; screenshots in
test-artifacts/."""

import io

import pytest
from playwright.sync_api import expect

from hsbtrack.documents import services
from hsbtrack.storage import EXTENSION, LocalStorage
from hsbtrack.testing_browser import ARTIFACTS, axe_check, browser_login, screenshot
from tests.audits.moderation_helpers import make_audit

pytestmark = pytest.mark.browser
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture()
def indexed(app, world, tmp_path):
    before = app.extensions.get(EXTENSION)
    app.extensions[EXTENSION] = LocalStorage(tmp_path / "documents")
    t = make_audit(world)
    police, health = t.agencies["Police"], t.agencies["Health"]
    for agency, code, title, effective in (
        (police, "1.1", "Police HSB policy", "2026-03-10"),
        (police, "1.1", "Police training log", None),
        (health, "1.1", "Health referral pathway", "2025-11-01"),
        (health, "1.6a", "Family support leaflet", "2026-01-15"),
    ):
        services.upload_to_response(t.audit, agency.id, code, io.BytesIO(PDF), "file.pdf", title=title,
                                    effective_on=effective, user=t.board)
    services.upload_to_statement(t.audit, "1.1", io.BytesIO(PDF * 30), "board.pdf", title="Partnership audit report",
                                 effective_on="2026-01-31", user=t.board)
    yield t
    app.extensions[EXTENSION] = before


def test_the_evidence_index_lists_documents_by_statement_and_agency_and_prints_in_the_report(page, base_url,
                                                                                             indexed):
    t = indexed
    browser_login(page, base_url, t.board.email)
    page.goto(f"{base_url}/areas/{t.area.id}/audits/{t.audit.id}/")
    page.get_by_role("link", name="Evidence index").click()
    expect(page.locator("h1")).to_have_text("Evidence index")
    expect(page.get_by_test_id("evidence-count")).to_contain_text("5 documents for 2 of 46 statements")
    first = page.locator('tbody[data-code="1.1"]')
    expect(first.locator("tr")).to_have_count(3)  # the partnership, Health, Police
    expect(first.locator('tr[data-agency="partnership"]')).to_contain_text("Effective 31 January 2026")
    expect(page.locator('tbody[data-code="1.2"]')).to_contain_text("No documents")
    axe_check(page)
    screenshot(page, "evidence-index")
    page.locator('table[data-domain="1"]').screenshot(path=str(ARTIFACTS / "evidence-index-domain-1.png"))

    page.select_option("#filter-agency", label="Health")
    page.get_by_role("button", name="Apply filter").click()
    expect(page.locator("#evidence-filter-status")).to_have_text("Showing only the documents of Health.")
    expect(page.get_by_test_id("evidence-count")).to_contain_text("2 documents for 2 of 46 statements")
    expect(page.get_by_text("Police HSB policy")).to_have_count(0)
    axe_check(page)

    with page.expect_download() as download:
        page.locator("#evidence-xlsx").click()
    assert download.value.suggested_filename == "riverside-T1-evidence-index.xlsx"

    page.goto(f"{base_url}/language/cy?next=/areas/{t.area.id}/audits/{t.audit.id}/evidence")
    expect(page.locator("h1")).to_have_text("Mynegai tystiolaeth")
    expect(page.get_by_test_id("evidence-count")).to_contain_text("5 dogfen ar gyfer 2 o'r 46 datganiad")
    expect(page.locator('tbody[data-code="1.1"] tr[data-agency="partnership"]')).to_contain_text(
        "Yn weithredol o 31 Ionawr 2026")
    axe_check(page)
    screenshot(page, "evidence-index-cy")

    # the board report: listed in its contents, and printable
    page.goto(f"{base_url}/language/en?next=/areas/{t.area.id}/audits/{t.audit.id}/report")
    page.get_by_test_id("report-contents").get_by_role("link", name="Evidence index").click()
    section = page.locator('[data-report-section="report-evidence-index"]')
    expect(section).to_contain_text("Police: Police HSB policy, effective 10 March 2026")
    expect(section).to_contain_text("Statements without a document:")
    axe_check(page)
    section.screenshot(path=str(ARTIFACTS / "evidence-index-report.png"))
    page.emulate_media(media="print")
    expect(section.locator(".hsb-no-print").first).to_be_hidden()  # no links to pages on paper
    expect(section).to_contain_text("Safeguarding partnership: Partnership audit report")
    section.screenshot(path=str(ARTIFACTS / "evidence-index-report-print.png"))
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    (ARTIFACTS / "evidence-index-report.pdf").write_bytes(pdf)
    page.emulate_media(media="screen")


def test_an_agency_lead_sees_their_own_agencys_and_the_partnerships_documents(page, base_url, indexed):
    t = indexed
    browser_login(page, base_url, t.lead.email)
    page.goto(f"{base_url}/language/cy?next=/areas/{t.area.id}/audits/{t.audit.id}/evidence")
    expect(page.get_by_test_id("evidence-count")).to_contain_text("3 dogfen ar gyfer 1 o'r 46 datganiad")
    expect(page.get_by_text("Health referral pathway")).to_have_count(0)
    expect(page.locator("#evidence-scope")).to_be_visible()
    axe_check(page)
    screenshot(page, "evidence-index-lead-cy")
    page.screenshot(path=str(ARTIFACTS / "evidence-index-lead-cy-top.png"))  # the top, as the lead first sees it
