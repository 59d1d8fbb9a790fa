"""Issue 16, in a browser, in English and in Welsh: the owner of an action marks it Done attaching a PDF
(first a ``.pdf`` holding a web page, refused at the field with the error summary, nothing saved), and the
board manager sees the completion document on the action's page, downloads it, and adds another document
in the "Documents" section. axe on each page; screenshots in test-artifacts/ (``action-documents-*``)."""

import re
from datetime import date, timedelta

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from playwright.sync_api import expect

from hsbtrack.actions.models import Action
from hsbtrack.extensions import db
from hsbtrack.storage import EXTENSION, LocalStorage
from hsbtrack.testing_browser import axe_check, browser_login, screenshot
from tests.actions.pages_support import PageScene

pytestmark = pytest.mark.browser
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
HTML = b"<!DOCTYPE html><html><body>not a pdf</body></html>"


@pytest.fixture()
def scene(app, world, tmp_path):
    before = app.extensions.get(EXTENSION)
    app.extensions[EXTENSION] = LocalStorage(tmp_path / "documents")
    s = PageScene(world)
    s.item = s.action(title="Publish the referral pathway", due_on=date.today() + timedelta(days=30))
    yield s
    app.extensions[EXTENSION] = before


def text(app, lang, message, **values):
    """``message`` as the page shows it in ``lang``."""
    with app.test_request_context(), force_locale("en_GB" if lang == "en" else lang):
        return _(message, **values)


def file(name, data, kind="application/pdf"):
    return [{"name": name, "mimeType": kind, "buffer": data}]


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_the_owner_marks_an_action_done_with_a_pdf_and_the_board_sees_it(page, base_url, scene, app, lang):
    s = scene
    action_url = f"/areas/{s.area.id}/actions/{s.item.id}"
    browser_login(page, base_url, s.owner.email)
    page.goto(f"{base_url}/language/{lang}?next={action_url}/edit")

    # Done, a file that is not a PDF and a wrong progress: both errors at once, nothing saved
    page.locator('input[name="status"][value="done"]').check()
    page.fill("#progress", "150")
    page.set_input_files("#completion_file", files=file("sign-off.pdf", HTML))
    page.fill("#completion_title", "Pathway sign-off letter")
    with page.expect_navigation():
        page.locator("#submit").click()
    refused = text(app, lang, "The file is not a %(kind)s: it holds a web page", kind="PDF")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text(refused)
    expect(summary).to_contain_text(text(app, lang, "Progress must be a whole number from 0 to 100"))
    expect(page.locator("#completion_file-error")).to_contain_text(refused)
    expect(page).to_have_title(re.compile("^" + re.escape(text(app, lang, "Error:"))))
    axe_check(page)
    screenshot(page, f"action-documents-refused-{lang}")
    db.session.expire_all()
    assert db.session.get(Action, s.item.id).status == "not_started"
    summary.locator("a", has_text=refused).click()  # the summary's link takes the reader to the field
    expect(page.locator("#completion_file")).to_be_focused()

    # the PDF this time, no text: done, with the document as its completion evidence
    page.fill("#progress", "100")
    page.set_input_files("#completion_file", files=file("sign-off.pdf", PDF))
    with page.expect_navigation():
        page.locator("#submit").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(text(app, lang, "The action has been saved"))
    expect(page.locator(".hsb-action-status").first).to_have_text(text(app, lang, "Done"))
    page.get_by_role("button", name=text(app, lang, "Sign out")).click()

    # the board manager sees it under "Completion evidence", downloads it, and adds another document
    page.goto(f"{base_url}/language/en?next=/login")  # (browser_login reads the English sign-in page)
    browser_login(page, base_url, s.board.email)
    page.goto(f"{base_url}/language/{lang}?next={action_url}")
    completion = page.locator("#completion-documents")
    expect(completion).to_contain_text("Pathway sign-off letter")
    expect(completion).to_contain_text(text(app, lang, "version %(n)d", n=1))
    expect(page.locator('#history-table tr[data-field="completion_document"]')).to_contain_text(
        text(app, lang, "Completion document added"))
    with page.expect_download() as download:
        completion.get_by_role("link", name="Pathway sign-off letter").click()
    assert download.value.suggested_filename == "sign-off.pdf"
    page.evaluate("document.activeElement.blur()")  # (a focused link's yellow is the focus style, not its colour)
    axe_check(page)
    screenshot(page, f"action-documents-board-{lang}")

    page.locator("#document-upload summary").click()
    page.set_input_files("#document-file", files=file("minutes.pdf", PDF))
    page.fill("#document-title", "Partnership meeting minutes")
    page.fill("#document-effective_on-day", "3")
    page.fill("#document-effective_on-month", "3")
    page.fill("#document-effective_on-year", "2026")
    axe_check(page)
    with page.expect_navigation():
        page.locator("#document-upload-button").click()
    listed = page.locator("#action-documents")
    expect(listed).to_contain_text("Partnership meeting minutes")
    expect(listed).to_contain_text(text(app, lang, "Effective %(date)s",
                                        date="3 March 2026" if lang == "en" else "3 Mawrth 2026"))
    page.locator("#documents").scroll_into_view_if_needed()
    axe_check(page)
    screenshot(page, f"action-documents-section-{lang}")

    # the board paper names the completion document
    page.goto(f"{base_url}/areas/{s.area.id}/actions/board-paper")
    expect(page.locator("[data-completion-documents]")).to_contain_text("Pathway sign-off letter")
    axe_check(page)
