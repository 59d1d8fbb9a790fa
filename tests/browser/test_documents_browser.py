"""Issue 16's "What it must show", in a browser: an agency lead (Police) uploads a PDF to a response on the
scoring page — a file of about 20 MB, whose upload shows its progress — the board manager sees it on the
statement page and on the moderation grid and downloads the same bytes from both; a school
lead, a training lead and a board manager of another area get 404 for its content URL; a ``.pdf`` holding a
web page is refused with the message at the field and in the error summary (title "Error: …"). Then the
document is linked to a second statement and removed from it again. In English and Welsh, axe on the
scoring page with the documents open and with the error shown; screenshots in test-artifacts/."""

import json
import os
import re

import pytest
from playwright.sync_api import expect

from hsbtrack.storage import EXTENSION, LocalStorage
from hsbtrack.testing_browser import ARTIFACTS, axe_check, browser_login, screenshot
from tests.audits.moderation_helpers import make_audit

pytestmark = pytest.mark.browser

HTML = b"<!doctype html><html><body><script>document.location='https://example.org'</script></body></html>"
BIG = 20 * 1000 * 1000  # about 19.1 MB: big enough for the upload to take a moment, under the 50 MB limit

TEXT = {
    "en": {"refused": "The file is not a PDF: it holds a web page", "error": "Error:", "problem": "There is a problem",
           "progress": r"Uploading \d+\.\d MB of 19\.1 MB \(\d+%\)", "documents": "Documents for 1.1",
           "link": "Link a document already uploaded to 1.2", "remove": "Remove from this statement"},
    "cy": {"refused": "Nid PDF yw'r ffeil: mae'n cynnwys tudalen we", "error": "Gwall:",
           "problem": "Mae problem wedi codi", "progress": r"Wrthi'n llwytho \d+[.,]\d MB o 19[.,]1 MB i fyny \(\d+%\)",
           "documents": "Dogfennau ar gyfer 1.1", "link": "Cysylltu dogfen sydd eisoes wedi'i llwytho i fyny â 1.2",
           "remove": "Tynnu o'r datganiad hwn"},
}


@pytest.fixture()
def t(app, world, tmp_path):
    before = app.extensions.get(EXTENSION)
    app.extensions[EXTENSION] = LocalStorage(tmp_path / "documents")
    t = make_audit(world)
    t.other = make_audit(world, name="Hillside")
    t.training = world.user("training@riverside.example.org", t.area, "training_lead")
    t.school = (world.user("school@riverside.example.org", t.area, "school_lead")
                if "school_lead" in app.extensions["hsbtrack_roles"] else None)
    yield t
    app.extensions[EXTENSION] = before


def part(page, selector, name):
    """A screenshot of one part of the page (the full page is too long to read), beside the full one."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(selector).screenshot(path=str(ARTIFACTS / f"{name}.png"))


def open_details(page, selector):
    details = page.locator(selector)
    if details.get_attribute("open") is None:
        details.locator("summary").first.click()


def choose(page, path, title="", date=("", "", "")):
    open_details(page, "#documents-1-1 details:has(#documents-1-1-file)")
    page.set_input_files("#documents-1-1-file", str(path))
    page.fill("#documents-1-1-title", title)
    for box, value in zip(("day", "month", "year"), date, strict=True):
        page.fill(f"#documents-1-1-effective_on-{box}", value)


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_a_lead_uploads_a_big_pdf_the_board_downloads_it_and_a_disguised_page_is_refused(page, base_url, t, lang,
                                                                                      tmp_path):
    text = TEXT[lang]
    police = t.agencies["Police"]
    scoring = f"/areas/{t.area.id}/audits/{t.audit.id}/agencies/{police.id}/domains/1"
    big = tmp_path / "annual-report.pdf"
    big.write_bytes(b"%PDF-1.4\n" + os.urandom(BIG - 9))  # (the content check reads the header)

    browser_login(page, base_url, t.lead.email)
    page.goto(f"{base_url}/language/{lang}?next={scoring}")
    expect(page.locator("#documents-1-1")).to_contain_text(text["documents"])
    choose(page, big, "Annual report", ("10", "3", "2026"))
    axe_check(page)  # the documents block open
    screenshot(page, f"documents-upload-open-{lang}")
    part(page, "#documents-1-1", f"documents-upload-open-{lang}-part")
    # every text the progress region shows, from before the click (kept in sessionStorage: the page is
    # loaded again when the upload is done), and whether the button was disabled meanwhile
    page.evaluate("""() => {
        const status = document.querySelector('#documents-1-1-progress-text');
        const button = document.querySelector('#documents-1-1-upload');
        const seen = [];
        new MutationObserver(() => {
            seen.push([status.textContent, button.disabled]);
            sessionStorage.setItem('seen', JSON.stringify(seen));
        }).observe(status, {childList: true, characterData: true, subtree: true});
    }""")
    # (the upload slowed to about 8 MB a second, so that it is seen under way)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                  "uploadThroughput": 8 * 1024 * 1024})
    page.locator("#documents-1-1-upload").click()
    expect(page.locator("#documents-1-1-progress-text")).to_have_text(re.compile(text["progress"]))
    expect(page.locator("#documents-1-1-upload")).to_be_disabled()
    part(page, "#documents-1-1 details:has(#documents-1-1-file)", f"documents-uploading-{lang}-part")
    listed = page.locator("#documents-1-1 .hsb-documents__list")
    expect(listed).to_contain_text("Annual report", timeout=60_000)
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                  "uploadThroughput": -1})
    expect(page).to_have_url(re.compile(rf"{re.escape(scoring)}#documents-1-1$"))
    seen = json.loads(page.evaluate("() => sessionStorage.getItem('seen')") or "[]")
    progress = [(said, disabled) for said, disabled in seen if re.fullmatch(text["progress"], said)]
    assert progress and all(disabled for _said, disabled in progress), seen
    assert any(not said.endswith("(0%)") for said, _disabled in progress), seen  # (it moved)
    document_id = int(listed.locator("li").first.get_attribute("data-document"))
    screenshot(page, f"documents-uploaded-{lang}")
    part(page, "#documents-1-1", f"documents-uploaded-{lang}-part")

    # a .pdf holding a web page: refused at the field and in the summary
    disguised = tmp_path / "minutes.pdf"
    disguised.write_bytes(HTML)
    choose(page, disguised, "Minutes")
    page.locator("#documents-1-1-upload").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text(text["problem"])
    expect(summary).to_contain_text(f"1.1: {text['refused']}")
    expect(page.locator("#documents-1-1-file-error")).to_contain_text(text["refused"])
    expect(page).to_have_title(re.compile(rf"^{re.escape(text['error'])} "))
    expect(summary).to_be_focused()  # as GOV.UK's script does
    summary.get_by_role("link", name=f"1.1: {text['refused']}").click()
    expect(page.locator("#documents-1-1-file")).to_be_focused()
    expect(listed.locator("li")).to_have_count(1)
    axe_check(page)  # with the error shown
    screenshot(page, f"documents-refused-{lang}")
    part(page, ".govuk-error-summary", f"documents-refused-{lang}-summary")
    part(page, "#documents-1-1", f"documents-refused-{lang}-part")

    # linked to 1.2 as well (the same document), then removed from 1.2 again
    open_details(page, "#documents-1-2-linking")
    expect(page.locator("#documents-1-2-linking summary")).to_contain_text(text["link"])
    page.select_option("#documents-1-2-document_id", str(document_id))
    part(page, "#documents-1-2", f"documents-link-{lang}-part")
    page.locator("#documents-1-2-link").click()
    expect(page.locator("#documents-1-2 .hsb-documents__list")).to_contain_text("Annual report")
    axe_check(page)
    page.locator("#documents-1-2").scroll_into_view_if_needed()
    screenshot(page, f"documents-linked-{lang}")
    part(page, "#documents-1-2", f"documents-linked-{lang}-part")
    page.locator(f"#documents-1-2-unlink-{document_id}").click()
    expect(page.locator("#documents-1-2 .hsb-documents__list")).to_have_count(0)
    expect(page.locator(f"#documents-1-2-unlink-{document_id}")).to_have_count(0)
    expect(page.locator(f"#documents-1-1-unlink-{document_id}")).to_contain_text(text["remove"])
    # its only link now: removing asks first (it would go to the bin); Cancel changes nothing
    page.locator(f"#documents-1-1-unlink-{document_id}").click()
    expect(page.locator("#confirm-unlink")).to_be_visible()
    axe_check(page)
    screenshot(page, f"documents-unlink-ask-{lang}")
    page.locator(".govuk-button-group a").click()
    expect(page.locator("#documents-1-1 .hsb-documents__list")).to_contain_text("Annual report")

    # the board manager sees it on the statement page and downloads the same bytes
    page.context.clear_cookies()
    browser_login(page, base_url, t.board.email)
    page.goto(f"{base_url}/language/{lang}?next=/areas/{t.area.id}/audits/{t.audit.id}/statements/1.1")
    card = page.locator(f"#agency-{police.id}")
    expect(card).to_contain_text("Annual report")
    with page.expect_download() as caught:
        card.get_by_role("link", name="Annual report").click()
    assert caught.value.suggested_filename == "annual-report.pdf"
    assert open(caught.value.path(), "rb").read() == big.read_bytes()
    page.goto(f"{base_url}/areas/{t.area.id}/audits/{t.audit.id}/moderation")
    on_grid = page.locator(f"[data-document='{document_id}']").first  # (beside Police's evidence for 1.1)
    expect(on_grid).to_contain_text("Annual report")
    with page.expect_download() as caught:
        on_grid.get_by_role("link").click()
    assert open(caught.value.path(), "rb").read() == big.read_bytes()
    axe_check(page)

    # nobody else gets it
    content = f"{base_url}/documents/{document_id}/content"
    for user in [t.training, t.other.board] + ([t.school] if t.school else []):
        page.context.clear_cookies()
        browser_login(page, base_url, user.email)
        assert page.request.get(content).status == 404, user.email
