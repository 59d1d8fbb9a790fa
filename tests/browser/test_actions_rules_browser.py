"""Findings 5, 6 and 7 of issue 15, in a browser, in English and in Welsh:

- a board manager submits the new-action form with a long title, no owner and a date in the past and
  sees every error at once, in the summary and next to the fields; then records the action late with
  the checkbox;
- Done without completion evidence is refused with the message;
- the findings page lists each finding once, shows the open action already on a statement (from T1)
  and adds the finding to it ("Add to this action");
- the open-audit form with a too-long title and no agency shows both errors at once.

axe on each page; screenshots in test-artifacts/ (``actions_rules_*``).
"""

from datetime import date, timedelta

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from playwright.sync_api import expect

from hsbtrack.testing_browser import axe_check, browser_login, screenshot
from tests.actions.pages_support import PageScene

pytestmark = pytest.mark.browser

PAST = date.today() - timedelta(days=40)
# T2's scores: eight findings, 1.1 among them (Police, Health)
T2_SCORES = {"1.1": (0, 3), "1.2": (1, 1), "1.3": (1, 2), "1.4": (2, 4), "1.5": (0, 0), "2.2": (1, 1),
             "2.3": (0, 1), "3.1": (1, 3), "3.2": (4, 4)}
LATE = "The due date is in the past: enter today or a later date, or say that the action is being recorded late " \
       "(from an earlier plan)"
EVIDENCE = "Describe the completion evidence before marking the action done: what shows it is done"


@pytest.fixture()
def scene(world):
    s = PageScene(world)
    # an action from T1's findings on 1.1, still open when T2 finds 1.1 again
    s.t1_action = s.actions.accept_findings(s.audit, ["1.1"], owner=s.owner, due_on=date.today() + timedelta(days=45),
                                            title=None, user=s.board,
                                            titles={"1.1": "Agree a continuum of responses across agencies"})[0]
    s.t2 = s.open_t2(T2_SCORES)
    return s


def text(app, lang, message, **values):
    """``message`` as the page shows it in ``lang``."""
    with app.test_request_context(), force_locale("en_GB" if lang == "en" else lang):
        return _(message, **values)


def fill_date(page, field, day):
    page.fill(f"#{field}-day", str(day.day))
    page.fill(f"#{field}-month", str(day.month))
    page.fill(f"#{field}-year", str(day.year))


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_actions_that_a_board_would_accept(page, base_url, scene, app, lang):
    s = scene
    browser_login(page, base_url, s.board.email)
    new_url = f"/areas/{s.area.id}/actions/new"
    page.goto(f"{base_url}/language/{lang}?next={new_url}")

    # 1. a long title, no owner, a date in the past: three errors at once
    expect(page.locator('input[type="date"]')).to_have_count(0)  # GOV.UK day/month/year boxes only
    page.fill("#title", "Review the pathway " * 20)
    page.locator("#statement-1-2").check()
    fill_date(page, "due_on", PAST)
    with page.expect_navigation():
        page.locator("#submit").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text(text(app, lang, "The title must be 300 characters or fewer"))
    expect(summary).to_contain_text(text(app, lang, "The owner must be someone who can see the action plan of %(area)s",
                                         area=s.area.display_name))
    expect(summary).to_contain_text(text(app, lang, LATE))
    expect(summary.locator("li")).to_have_count(3)
    expect(page.locator("#title-error")).to_contain_text(text(app, lang, "The title must be 300 characters or fewer"))
    expect(page.locator("#owner-error")).to_be_visible()
    expect(page.locator("#due_on-error")).to_contain_text(text(app, lang, LATE))
    axe_check(page)
    screenshot(page, f"actions_rules_new_errors_{lang}")

    # 2. recorded late, from the earlier paper plan
    page.fill("#title", "Review the referral pathway")
    page.locator("#owner").select_option(str(s.owner.id))
    page.locator("#record_overdue").check()
    with page.expect_navigation():
        page.locator("#submit").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Review the referral pathway")
    action_url = page.url.split("?")[0]
    expect(page.locator("[data-overdue]").first).to_be_visible()

    # 3. Done without completion evidence: refused, with the message next to the field
    page.goto(f"{action_url}/edit")
    page.locator('input[name="status"][value="done"]').check()
    with page.expect_navigation():
        page.locator("#submit").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(text(app, lang, EVIDENCE))
    expect(page.locator("#completion_evidence-error")).to_contain_text(text(app, lang, EVIDENCE))
    axe_check(page)
    screenshot(page, f"actions_rules_done_without_evidence_{lang}")
    page.fill("#completion_evidence", "Pathway agreed at the partnership meeting of 3 March; published")
    with page.expect_navigation():
        page.locator("#submit").click()
    expect(page.locator(".govuk-error-summary")).to_have_count(0)

    # 4. the findings of T2: one list; T1's open action beside 1.1, and "Add to this action"
    page.goto(f"{base_url}/areas/{s.area.id}/audits/{s.t2.id}/findings")
    findings = page.locator("ol#findings > li.hsb-finding")
    expect(findings).to_have_count(8)
    expect(page.locator("table")).to_have_count(0)
    expect(page.locator('[data-code="1.1"]')).to_have_count(1)
    one_one = page.locator('li[data-code="1.1"]')
    expect(one_one.locator(f'[data-open-action="{s.t1_action.id}"]')).to_contain_text(
        "Agree a continuum of responses across agencies")
    expect(one_one.locator("[data-from]")).to_contain_text("T1")
    expect(one_one.locator('label[for="codes-1-1"]')).to_contain_text(text(app, lang, "New action"))
    # the draft title: the domain and the statement's first clause
    page.locator('li[data-code="1.2"] input[name="codes"]').check()
    draft = page.locator('input[name="title-1.2"]').input_value()
    assert draft.endswith("HSB in our…") and ":" in draft and "1.2" not in draft, draft
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 7000, height  # was over 10,000 px with the findings listed twice
    axe_check(page)
    screenshot(page, f"actions_rules_findings_{lang}")
    with page.expect_navigation():
        one_one.locator(f'[data-link-action="{s.t1_action.id}"]').click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        text(app, lang, "%(code)s has been added to “%(title)s”", code="1.1",
             title="Agree a continuum of responses across agencies"))
    expect(page.locator('li[data-code="1.1"] [data-action-link]')).to_have_text(
        "Agree a continuum of responses across agencies")
    screenshot(page, f"actions_rules_findings_added_{lang}")


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_open_audit_form_shows_every_error_at_once(page, base_url, world, app, lang):
    s = PageScene(world)
    browser_login(page, base_url, s.board.email)
    page.goto(f"{base_url}/language/{lang}?next=/areas/{s.area.id}/audits/new")
    page.fill("#title", "A baseline audit of the partnership's harmful sexual behaviour arrangements " * 4)
    for box in page.locator('input[name="agency_ids"]').all():
        box.uncheck()
    with page.expect_navigation():
        page.locator("#submit").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary.locator("li")).to_have_count(2)
    expect(summary).to_contain_text(text(app, lang, "Title must be %(n)d characters or fewer", n=200))
    expect(summary).to_contain_text(text(app, lang, "Choose at least one agency to take part"))
    expect(page.locator("#title-error")).to_be_visible()
    expect(page.locator("#agency_ids-error")).to_be_visible()
    axe_check(page)
    screenshot(page, f"actions_rules_open_audit_errors_{lang}")
