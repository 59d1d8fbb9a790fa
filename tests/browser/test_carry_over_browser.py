"""Issue 16, in a browser: a re-audit shows the previous cycle's document "To re-confirm" on the scoring
page; the agency lead says it is still current and it is linked to the new audit (the same file). In
English and Welsh, axe on each page; screenshots in test-artifacts/."""

import io

import pytest
from playwright.sync_api import expect

from hsbtrack.audits import services as audits
from hsbtrack.documents import carry_over, services
from hsbtrack.documents.models import DocumentVersion
from hsbtrack.extensions import db
from hsbtrack.storage import EXTENSION, LocalStorage
from hsbtrack.testing_browser import ARTIFACTS, axe_check, browser_login, screenshot
from tests.audits.moderation_helpers import make_audit
from tests.conftest import OPENED_EARLIER

pytestmark = pytest.mark.browser
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture()
def reaudit(app, world, tmp_path):
    before = app.extensions.get(EXTENSION)
    app.extensions[EXTENSION] = LocalStorage(tmp_path / "documents")
    t = make_audit(world)
    t.audit.opened_at = OPENED_EARLIER
    db.session.commit()
    t.document = services.upload_to_response(t.audit, t.agencies["Police"].id, "1.1", io.BytesIO(PDF), "policy.pdf",
                                             title="Safeguarding policy", user=t.lead)
    audits.close_audit(t.audit, user=t.board, override_reason="closed as the test sets it up")
    t.t2 = audits.open_audit(t.area, user=t.board)
    yield t
    app.extensions[EXTENSION] = before


def test_a_re_audit_shows_the_previous_document_to_reconfirm_and_still_current_links_it(page, base_url, reaudit):
    t = reaudit
    browser_login(page, base_url, t.lead.email)
    url = f"{base_url}/areas/{t.area.id}/audits/{t.t2.id}/agencies/{t.agencies['Police'].id}/domains/1"
    page.goto(url)
    item = page.locator(f'li[data-document="{t.document.id}"][data-status="to_reconfirm"]')
    expect(item).to_contain_text("To re-confirm")
    expect(item).to_contain_text("Safeguarding policy")
    item.scroll_into_view_if_needed()
    axe_check(page)
    screenshot(page, "carry-over-to-reconfirm")
    page.locator("#documents-1-1").screenshot(path=str(ARTIFACTS / "carry-over-to-reconfirm-block.png"))
    item.get_by_role("button", name="Still current").click()
    expect(page.locator('li[data-status="to_reconfirm"]')).to_have_count(0)
    linked = page.locator(f'#documents-1-1 li[data-document="{t.document.id}"]')
    expect(linked).to_contain_text("Safeguarding policy")
    linked.scroll_into_view_if_needed()
    screenshot(page, "carry-over-confirmed")
    assert db.session.query(DocumentVersion).count() == 1  # the same file, not a copy

    # in Welsh, on another document waiting (Police's first is confirmed), which is then removed
    plan = services.upload_to_response(t.t2, t.agencies["Police"].id, "1.2", io.BytesIO(PDF), "plan.pdf",
                                       title="Cynllun", user=t.lead)
    carry_over.find_link(t.t2, "1.2", plan).status = carry_over.TO_RECONFIRM
    db.session.commit()
    page.goto(f"{base_url}/language/cy?next={url.removeprefix(base_url)}")
    item = page.locator(f'li[data-document="{plan.id}"][data-status="to_reconfirm"]')
    expect(item).to_contain_text("I'w hailgadarnhau")
    expect(item.get_by_role("button", name="Yn dal yn gyfredol")).to_be_visible()
    item.scroll_into_view_if_needed()
    axe_check(page)
    screenshot(page, "carry-over-to-reconfirm-cy")
    page.locator("#documents-1-2").screenshot(path=str(ARTIFACTS / "carry-over-to-reconfirm-block-cy.png"))
    item.get_by_role("button", name="Tynnu o'r archwiliad hwn").click()
    expect(page.locator('li[data-status="to_reconfirm"]')).to_have_count(0)
