"""Issue 16, in a browser: the board manager uploads a document of the partnership's on the moderation
statement page and sees it listed there and on the moderation grid, beside the agreed score (an agency's
document beside its score). In English and Welsh, axe on each page; screenshots in test-artifacts/."""

import io
import re

import pytest
from playwright.sync_api import expect

from hsbtrack.documents import services
from hsbtrack.documents.models import Document
from hsbtrack.extensions import db
from hsbtrack.storage import EXTENSION, LocalStorage
from hsbtrack.testing_browser import ARTIFACTS, axe_check, browser_login, screenshot
from tests.audits.moderation_helpers import make_audit, score

pytestmark = pytest.mark.browser
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
HTML = b"<!DOCTYPE html><html><body>not a pdf</body></html>"


@pytest.fixture()
def scored(app, world, tmp_path):
    before = app.extensions.get(EXTENSION)
    app.extensions[EXTENSION] = LocalStorage(tmp_path / "documents")
    t = make_audit(world)
    for name, value in (("Police", 2), ("Health", 3)):
        score(t.audit, t.agencies[name], "1.1", value, user=t.board, evidence=f"{name} evidence")
    services.upload_to_response(t.audit, t.agencies["Police"].id, "1.1", io.BytesIO(PDF), "policy.pdf",
                                title="Police safeguarding policy", effective_on="2026-01-15", user=t.lead)
    for title in ("Health audit of 20 cases", "Health training plan"):
        services.upload_to_response(t.audit, t.agencies["Health"].id, "1.1", io.BytesIO(PDF), "h.pdf",
                                    title=title, user=t.board)
    yield t
    app.extensions[EXTENSION] = before


def test_the_board_manager_uploads_a_partnership_document_and_sees_it_on_the_grid(page, base_url, scored):
    t = scored
    browser_login(page, base_url, t.board.email)
    statement = f"/areas/{t.area.id}/audits/{t.audit.id}/statements/1.1"
    page.goto(base_url + statement)
    section = page.locator("#partnership-documents")
    expect(section.locator("h2")).to_have_text("The safeguarding partnership's documents")
    expect(section).to_contain_text("No documents")

    # a file that is not what its name says: the error at the field and in the summary, "Error:" in the title
    page.set_input_files("#partnership-document-file",
                         files=[{"name": "report.pdf", "mimeType": "application/pdf", "buffer": HTML}])
    page.fill("#partnership-document-title", "Multi-agency audit of 20 cases")
    page.get_by_role("button", name="Upload the document").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("The file is not a PDF: it holds a web page")
    expect(page.locator("#partnership-document-file-error")).to_contain_text("The file is not a PDF")
    expect(page).to_have_title(re.compile(r"^Error: Statement 1\.1 "))
    expect(page.locator("#partnership-document-title")).to_have_value("Multi-agency audit of 20 cases")
    axe_check(page)
    screenshot(page, "partnership-documents-error")
    page.locator(".govuk-error-summary a").click()  # the summary's link takes the reader to the field
    expect(page.locator("#partnership-document-file")).to_be_focused()

    page.set_input_files("#partnership-document-file",
                         files=[{"name": "report.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.fill("#partnership-document-effective_on-day", "31")
    page.fill("#partnership-document-effective_on-month", "3")
    page.fill("#partnership-document-effective_on-year", "2026")
    page.get_by_role("button", name="Upload the document").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("is on statement 1.1")
    document = db.session.query(Document).filter_by(kind="statement").one()
    item = section.locator(f'li[data-document="{document.id}"]')
    expect(item).to_contain_text("Multi-agency audit of 20 cases")
    expect(item).to_contain_text("Effective 31 March 2026")
    expect(item.get_by_role("button", name="Remove and move to the bin")).to_be_visible()
    assert not page.title().startswith("Error")
    section.scroll_into_view_if_needed()
    axe_check(page)
    screenshot(page, "partnership-documents-statement")
    section.screenshot(path=str(ARTIFACTS / "partnership-documents-section.png"))

    # the grid: the partnership's beside the agreed score, each agency's beside its score
    page.goto(f"{base_url}/areas/{t.area.id}/audits/{t.audit.id}/moderation")
    row = page.locator('tr[data-code="1.1"]')
    expect(row.locator('[data-col="agreed"]')).to_contain_text("Multi-agency audit of 20 cases")
    expect(row.locator('[data-col="agreed"]')).to_contain_text("31 Mar 2026")
    police = row.locator(f'td[data-agency="{t.agencies["Police"].id}"]')
    expect(police).to_contain_text("Police safeguarding policy")
    health = row.locator(f'td[data-agency="{t.agencies["Health"].id}"]')
    expect(health).to_contain_text("2 documents")
    health.locator("summary").click()
    expect(health.get_by_role("link", name="Health training plan")).to_be_visible()
    with page.expect_download() as download:
        row.locator('[data-col="agreed"]').get_by_role("link", name="Multi-agency audit of 20 cases").click()
    assert download.value.suggested_filename == "report.pdf"
    row.scroll_into_view_if_needed()
    axe_check(page)
    screenshot(page, "partnership-documents-grid")
    row.screenshot(path=str(ARTIFACTS / "partnership-documents-grid-row.png"))

    # in Welsh
    page.goto(f"{base_url}/language/cy?next={statement}")
    expect(section.locator("h2")).to_have_text("Dogfennau eich partneriaeth ddiogelu")
    expect(section.get_by_role("button", name="Tynnu a symud i'r bin")).to_be_visible()
    axe_check(page)
    section.scroll_into_view_if_needed()
    screenshot(page, "partnership-documents-statement-cy")
    section.screenshot(path=str(ARTIFACTS / "partnership-documents-section-cy.png"))
    page.goto(f"{base_url}/areas/{t.area.id}/audits/{t.audit.id}/moderation")
    expect(health).to_contain_text("2 ddogfen")
    axe_check(page)
    row.scroll_into_view_if_needed()
    screenshot(page, "partnership-documents-grid-cy")

    # the statement across cycles: this cycle's documents, the partnership's and each agency's, with dates
    page.goto(f"{base_url}/areas/{t.area.id}/statements/1.1")
    cycle = page.locator('.hsb-cycle-documents[data-cycle="1"]')
    expect(cycle.locator('[data-owner="partnership"]')).to_contain_text("Multi-agency audit of 20 cases")
    expect(cycle.locator(f'[data-owner="agency-{t.agencies["Police"].id}"]')).to_contain_text(
        "Police safeguarding policy")
    cycle.scroll_into_view_if_needed()
    axe_check(page)
    screenshot(page, "partnership-documents-cycles-cy")
