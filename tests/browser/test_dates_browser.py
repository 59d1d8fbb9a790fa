"""Finding 10 of issue 15, in a browser: the scoring page's "date completed" is the GOV.UK day, month and
year boxes (no native date picker), a date that is not real is refused next to the field (and autosave
does not send it), and dates read as people say them: "10 March 2026", "10 Mawrth 2026". In English
and Welsh, axe on each page; screenshots in test-artifacts/."""

import re
from datetime import date, datetime

import pytest
from playwright.sync_api import expect

from hsbtrack.audits import services
from hsbtrack.extensions import db
from hsbtrack.testing_browser import ARTIFACTS, axe_check, browser_login, screenshot
from tests.audits.moderation_helpers import make_audit

pytestmark = pytest.mark.browser


@pytest.fixture()
def scene(world):
    t = make_audit(world)
    t.audit.opened_at = datetime(2026, 3, 1, 9, 0)
    db.session.commit()
    return t


def fill_date(page, day, month, year):
    page.fill("#date_completed-day", day)
    page.fill("#date_completed-month", month)
    page.fill("#date_completed-year", year)


def saved_date(t):
    db.session.expire_all()
    row = services.domain_responses_for_agency(services.get_audit(t.audit.id), t.lead_agency.id).get(1)
    return row.date_completed if row else None


def test_date_completed_is_three_gov_uk_boxes_with_errors_beside_them(page, base_url, scene):
    t = scene
    t.lead_agency = t.agencies["Police"]
    url = f"{base_url}/areas/{t.area.id}/audits/{t.audit.id}/agencies/{t.lead_agency.id}/domains/1"
    browser_login(page, base_url, t.lead.email)
    page.goto(url)

    # Three labelled boxes in a fieldset named by the field; no browser date picker anywhere.
    fieldset = page.locator("fieldset:has(#date_completed-day)")
    expect(fieldset.locator("legend")).to_have_text("Date completed")
    for box, label in (("day", "Day"), ("month", "Month"), ("year", "Year")):
        expect(fieldset.get_by_label(label, exact=True)).to_have_attribute("id", f"date_completed-{box}")
        expect(page.locator(f"#date_completed-{box}")).to_have_attribute("inputmode", "numeric")
    expect(page.locator('input[type="date"]')).to_have_count(0)
    expect(page.locator("#date_completed-hint")).to_have_text("For example, 27 3 2026")

    # Not a real date: autosave does not send it and says why; Save shows the error beside the boxes.
    fill_date(page, "31", "2", "2026")
    expect(page.locator("#status-domain")).to_contain_text("the date must be a real date, like 27 3 2026")
    assert saved_date(t) is None
    page.locator("#save").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Date completed must be a real date, like 31 3 2027")
    error = fieldset.locator("#date_completed-error")
    expect(error).to_contain_text("Date completed must be a real date, like 31 3 2027")
    expect(page.locator(".govuk-form-group--error:has(#date_completed-day)")).to_have_count(1)
    expect(page.locator("#date_completed-day")).to_have_value("31")  # what was typed stays
    expect(page.locator("#date_completed-day")).to_have_class(re.compile("govuk-input--error"))
    page.locator(".govuk-error-summary a", has_text="Date completed").click()
    expect(page.locator("#date_completed-day")).to_be_focused()
    axe_check(page)
    screenshot(page, "dates-score-error")
    page.locator("#domain-fields").screenshot(path=str(ARTIFACTS / "dates-field-error.png"))

    # A real date: saved as you type (autosave), and by the Save button.
    fill_date(page, "10", "3", "2026")
    expect(page.locator("#status-domain")).to_contain_text("Saved")
    expect(page.locator("form[data-autosave-form]")).to_have_attribute("data-autosave-pending", "0")
    expect(page.locator("#status-domain")).to_contain_text("Saved")
    assert saved_date(t) == date(2026, 3, 10)
    page.locator("#save").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Domain 1 is saved")
    expect(page.locator("#date_completed-month")).to_have_value("3")
    assert saved_date(t) == date(2026, 3, 10)
    screenshot(page, "dates-score")

    # Welsh: the same boxes, the error in Welsh beside them.
    page.goto(f"{base_url}/language/cy?next=/areas/{t.area.id}/audits/{t.audit.id}/agencies/{t.lead_agency.id}"
              f"/domains/1")
    expect(page.locator("fieldset:has(#date_completed-day)").get_by_label("Diwrnod", exact=True)).to_have_attribute("id", "date_completed-day")
    fill_date(page, "10", "13", "2026")
    page.locator("#save").click()
    expect(page.locator("#date_completed-error")).to_contain_text("rhowch ddyddiad go iawn, fel 31 3 2027")
    axe_check(page)
    screenshot(page, "dates-score-error-cy")
    page.locator("#domain-fields").screenshot(path=str(ARTIFACTS / "dates-field-error-cy.png"))

    # Once the audit is closed the page shows the date as people say it, in each language.
    services.close_audit(services.get_audit(t.audit.id), user=t.board, completed_on=date(2026, 3, 31),
                         override_reason="closed as the test sets it up")
    page.goto(url)
    row = page.locator(".govuk-summary-list__row", has_text="Dyddiad")
    expect(row).to_contain_text("10 Mawrth 2026")
    screenshot(page, "dates-closed-cy")
    page.locator("#domain-fields").screenshot(path=str(ARTIFACTS / "dates-field-closed-cy.png"))
    page.goto(f"{base_url}/language/en?next=/areas/{t.area.id}/audits/{t.audit.id}/agencies/{t.lead_agency.id}"
              f"/domains/1")
    expect(page.locator(".govuk-summary-list__row", has_text="Date completed")).to_contain_text("10 March 2026")
    expect(page.locator("body")).not_to_contain_text("2026-03-10")
    axe_check(page)
    screenshot(page, "dates-closed")
    page.locator("#domain-fields").screenshot(path=str(ARTIFACTS / "dates-field-closed.png"))
