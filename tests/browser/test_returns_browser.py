"""Finding 4 of issue 15, in a browser: agencies are prompted and the board can chase. An agency lead
lands on a task panel ("Score for Police: 2 of 46 left, due …"), scores the last statements, goes from
the end of domain 5 to a confirmation page that lists what has no evidence, and submits; the board
manager sees the returns tracker, sends a reminder, and a second one is refused politely. In English
and Welsh, axe on each page; screenshots in test-artifacts/."""

from datetime import timedelta

import pytest
from babel.dates import format_date
from playwright.sync_api import expect

from hsbtrack.audits import services
from hsbtrack.timeutil import local_today

pytestmark = pytest.mark.browser

AGENCIES = ("Police", "Health", "Education", "Youth justice")


@pytest.fixture()
def returns_world(world):
    from types import SimpleNamespace

    area = world.area("Riverside", agencies=AGENCIES)
    agencies = {a.name: a for a in area.agencies}
    board = world.user("board@riverside.example.org", area, "board_manager")
    leads = {
        "Police": world.user("police@riverside.example.org", area, "agency_lead", agency=agencies["Police"]),
        "Health": world.user("iechyd@riverside.example.org", area, "agency_lead", agency=agencies["Health"],
                             locale="cy"),
        "Education": world.user("education@riverside.example.org", area, "agency_lead",
                                agency=agencies["Education"]),
        "Youth justice": world.user("youth@riverside.example.org", area, "agency_lead",
                                    agency=agencies["Youth justice"]),
    }
    due = local_today() + timedelta(days=14)
    audit = services.open_audit(area, user=board, return_due_on=due)
    codes = [s.code for s in services.framework_of(audit).scored_statements]
    for name in ("Police", "Health"):  # everything but the last two statements of domain 5, with evidence
        for code in codes[:-2]:
            services.save_response(audit, agencies[name].id, code, score=2, evidence="Case file audit, March",
                                   user=leads[name])
    return SimpleNamespace(area=area, agencies=agencies, board=board, leads=leads, audit=audit, due=due,
                           last=codes[-2:])


def score_and_submit(page, base_url, t, agency, english):
    """From the task panel to a submitted return, through the end of domain 5 and the confirmation."""
    from hsbtrack.testing_browser import axe_check, browser_login, screenshot

    lang = "en" if english else "cy"
    browser_login(page, base_url, t.leads[agency].email)
    if not english:  # (the lead chose Welsh on their account; the switch keeps the page where it is)
        page.goto(f"{base_url}/language/cy?next=/areas/{t.area.id}/")
    else:
        page.goto(f"{base_url}/areas/{t.area.id}/")
    panel = page.locator("#return-tasks")
    if english:
        expect(panel).to_contain_text(f"Score for {agency}: 2 of 46 left, due "
                                      f"{format_date(t.due, 'd MMMM yyyy', locale='en')}")
    else:
        expect(panel).to_contain_text(f"Sgorio ar ran {agency}: 2 o 46 ar ôl")
    expect(panel).not_to_contain_text("Education")  # only the agency they lead
    axe_check(page)
    screenshot(page, f"returns-task-panel-{lang}")

    panel.get_by_role("link").first.click()  # starts at the first domain with blanks: domain 5
    expect(page.locator("h1")).to_contain_text("5")
    for code in t.last:
        slug = code.replace(".", "-")
        page.locator(f"#score-{slug}-3").check()
    button = page.locator("#save-submit")
    expect(button).to_have_text("Save and check before submitting" if english else "Cadw a gwirio cyn cyflwyno")
    screenshot(page, f"returns-end-of-domain-5-{lang}")
    button.click()

    expect(page.locator("h1")).to_have_text(f"Submit the return of {agency}" if english
                                            else f"Cyflwyno ffurflen {agency}")
    expect(page.locator("#without-evidence")).to_contain_text(
        "2 statements are scored without evidence" if english else "dau ddatganiad wedi'u sgorio heb dystiolaeth")
    expect(page.locator("#blank")).to_have_count(0)
    axe_check(page)
    screenshot(page, f"returns-submit-confirmation-{lang}")
    page.locator("#confirm-submit").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        f"{agency} has submitted its scores" if english else agency)
    page.goto(f"{base_url}/areas/{t.area.id}/")
    expect(page.locator("#return-tasks")).to_have_count(0)


def chase(page, base_url, t, agency, english):
    """The board's tracker: send a reminder, then a second one the same day, refused politely."""
    from hsbtrack.testing_browser import axe_check, screenshot

    lang = "en" if english else "cy"
    tracker = f"/areas/{t.area.id}/audits/{t.audit.id}/returns"
    page.goto(f"{base_url}{tracker}" if english else f"{base_url}/language/cy?next={tracker}")
    row = page.locator(f"#return-{t.agencies[agency].id}")
    expect(row).to_contain_text("0 of 46" if english else "0 o 46")
    axe_check(page)
    row.locator(f"#remind-{t.agencies[agency].id}").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        f"A reminder has been sent to the agency leads of {agency}" if english
        else f"Anfonwyd nodyn atgoffa at arweinwyr asiantaeth {agency}")
    screenshot(page, f"returns-tracker-{lang}")
    page.locator(f"#remind-{t.agencies[agency].id}").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text(f"{agency} was reminded on" if english else f"Cafodd {agency} ei atgoffa ar")
    expect(summary).to_contain_text("You can send another reminder from" if english
                                    else "Gallwch anfon nodyn atgoffa arall")
    axe_check(page)
    screenshot(page, f"returns-tracker-second-reminder-{lang}")


def test_agency_leads_are_prompted_and_submit_in_english(page, base_url, returns_world):
    score_and_submit(page, base_url, returns_world, "Police", english=True)


def test_agency_leads_are_prompted_and_submit_in_welsh(page, base_url, returns_world):
    score_and_submit(page, base_url, returns_world, "Health", english=False)


def test_the_board_chases_returns_in_english_and_welsh(page, base_url, returns_world):
    from hsbtrack.testing_browser import browser_login

    t = returns_world
    browser_login(page, base_url, t.board.email)
    page.goto(f"{base_url}/areas/{t.area.id}/audits/{t.audit.id}/")
    expect(page.locator("#return-due")).to_have_text(format_date(t.due, "d MMMM yyyy", locale="en"))
    page.locator("#returns-tracker").click()
    expect(page.locator("h1")).to_have_text("Returns")
    chase(page, base_url, t, "Education", english=True)
    chase(page, base_url, t, "Youth justice", english=False)
