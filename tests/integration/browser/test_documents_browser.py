"""Issue 16 in a browser: an agency lead uploads a PDF to a response on the scoring page; the board
manager sees it on the statement page and downloads the same bytes; a ``.pdf`` holding a web page is
refused with a message at the file field. In English and Welsh, axe on each page; screenshots in
test-artifacts/."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from hsbtrack.testing_browser import axe_check, browser_login, screenshot
from tests.audits.moderation_helpers import make_audit

pytestmark = pytest.mark.browser

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")
HTML = b"<!doctype html><html><body><script>document.location='https://example.org'</script></body></html>"


def _upload(page, data, name, title="", date=("", "", "")):
    part = page.locator("#documents-1-1")
    if part.locator("details").get_attribute("open") is None:
        part.locator("summary").click()
    page.set_input_files("#documents-1-1-file", files=[{"name": name, "mimeType": "application/pdf", "buffer": data}])
    page.fill("#documents-1-1-title", title)
    for box, value in zip(("day", "month", "year"), date, strict=True):
        page.fill(f"#documents-1-1-effective_on-{box}", value)
    part.locator("#documents-1-1-upload").click()


def test_a_lead_uploads_a_pdf_and_the_board_downloads_it(page, base_url, world):
    t = make_audit(world)
    police = t.agencies["Police"]
    scoring = f"{base_url}/areas/{t.area.id}/audits/{t.audit.id}/agencies/{police.id}/domains/1"
    statement = f"{base_url}/areas/{t.area.id}/audits/{t.audit.id}/statements/1.1"

    browser_login(page, base_url, t.lead.email)
    page.goto(scoring)
    _upload(page, PDF, "policy.pdf", "Safeguarding policy", ("10", "3", "2026"))
    expect(page).to_have_url(f"{scoring}#documents-1-1")
    listed = page.locator("#documents-1-1 .hsb-documents__list")
    expect(listed).to_contain_text("Safeguarding policy")
    expect(listed).to_contain_text("Effective 10 March 2026")
    axe_check(page)
    page.locator("#documents-1-1").scroll_into_view_if_needed()
    screenshot(page, "documents-scoring")

    _upload(page, HTML, "minutes.pdf", "Minutes")
    expect(page.locator("#documents-1-1-file-error")).to_contain_text("The file is not a PDF: it holds a web page")
    expect(page.locator("#documents-1-1-title")).to_have_value("Minutes")
    expect(listed.locator("li")).to_have_count(1)
    axe_check(page)
    page.locator("#documents-1-1").scroll_into_view_if_needed()
    screenshot(page, "documents-refused")

    page.context.clear_cookies()
    browser_login(page, base_url, t.board.email)
    page.goto(statement)
    card = page.locator(f"#agency-{police.id}")
    expect(card).to_contain_text("Safeguarding policy")
    axe_check(page)
    card.scroll_into_view_if_needed()
    screenshot(page, "documents-statement")
    with page.expect_download() as caught:
        card.get_by_role("link", name="Safeguarding policy").click()
    download = caught.value
    assert download.suggested_filename == "policy.pdf"
    assert Path(download.path()).read_bytes() == PDF

    # in Welsh (the board may score for any agency)
    page.goto(f"{base_url}/language/cy?next=/areas/{t.area.id}/audits/{t.audit.id}/agencies/{police.id}/domains/1")
    expect(page.locator("#documents-1-1")).to_contain_text("Dogfennau ar gyfer 1.1")
    expect(page.locator("#documents-1-1")).to_contain_text("Yn weithredol o 10 Mawrth 2026")
    _upload(page, HTML, "polisi.pdf", "Polisi")
    expect(page.locator("#documents-1-1-file-error")).to_contain_text("Nid PDF yw'r ffeil: mae'n cynnwys tudalen we")
    axe_check(page)
    page.locator("#documents-1-1").scroll_into_view_if_needed()
    screenshot(page, "documents-refused-cy")
    page.goto(statement)
    expect(page.locator(f"#agency-{police.id}")).to_contain_text("Dogfennau")
    screenshot(page, "documents-statement-cy")
