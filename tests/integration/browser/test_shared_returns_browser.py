"""Issue 20 in a browser: the North Wales Police lead answers the regional round once, on the shared
return page; every one of the six authorities' audits shows the answers, marked as from the shared
return; an exception for Wrexham on 1.1 changes only Wrexham's agreed and lowest score. In English and
Welsh, axe on each page; screenshots in test-artifacts/.

The scenario is the regional plugin's North Wales demo (``hsbtrack_regional.demo``): skipped where the
core runs alone."""

import importlib
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from hsbtrack.areas.demo import DEMO_PASSWORD
from hsbtrack.areas.models import Agency
from hsbtrack.audits import services as audits
from hsbtrack.extensions import db
from hsbtrack.organisations import services as organisations
from hsbtrack.testing_browser import axe_check, browser_login, screenshot

# (the package exports a function named ``demo``: the module is had by its full name)
north_wales = importlib.import_module("hsbtrack_regional.demo")
regional = importlib.import_module("hsbtrack_regional.services")

pytestmark = pytest.mark.browser

ANSWERS = {"1.1": ("3", "One force-wide HSB policy, reviewed in 2025"), "1.2": ("2", "Training for custody staff"),
           "1.3": ("4", "")}


@pytest.fixture()
def round_open(world):
    admin = world.user("admin@example.org", admin=True)
    region, round_ = north_wales.build(finished=())  # all six audits open
    made = north_wales.link_partners(region, round_, answer=False)
    audits_by_area = {m.area.name: m.audit for m in regional.round_status(round_)}
    police = {name: db.session.scalar(select(Agency).where(Agency.area_id == audit.area_id,
                                                           Agency.name == "North Wales Police"))
              for name, audit in audits_by_area.items()}
    return admin, made["North Wales Police"], audits_by_area, police, (region, round_)


def test_the_police_lead_answers_once_for_six_authorities(page, base_url, round_open, tmp_path):
    admin, shared, audits_by_area, police, (region, round_) = round_open
    assert len(audits_by_area) == 6
    browser_login(page, base_url, north_wales.PARTNER_LEADS["North Wales Police"], DEMO_PASSWORD)
    # the lead finds the organisation from their home page
    page.goto(f"{base_url}/")
    page.locator("#my-organisations + ul").get_by_role("link", name="North Wales Police").click()
    expect(page.locator("h1")).to_have_text("North Wales Police")
    page.get_by_role("link", name=shared.title).click()
    expect(page.locator("#return-areas li")).to_have_count(6)
    for code, (score, evidence) in ANSWERS.items():
        anchor = code.replace(".", "-")
        block = page.locator(f"#statement-{anchor}")
        block.locator(f'label[for="{anchor}-score-{score}"]').click()
        block.locator(f"[id=\"{anchor}-evidence\"]").fill(evidence)
        block.get_by_role("button", name=f"Save {code} for every area").click()
        expect(page.locator(".govuk-notification-banner")).to_contain_text(
            f"Your answer to {code} was saved for every linked audit")
    expect(page.locator("#shared-progress-text")).to_contain_text("3 of 46 scored")
    # a document behind the answer to 1.1, attached once
    policy = tmp_path / "force-hsb-policy.pdf"
    policy.write_bytes(b"%PDF-1.4\n% North Wales Police HSB policy\n")
    documents = page.locator("#shared-documents-1-1")
    documents.locator("summary").click()
    documents.locator("#shared-documents-1-1-file").set_input_files(str(policy))
    documents.locator("#shared-documents-1-1-title").fill("Force HSB policy")
    documents.get_by_role("button", name="Upload the document").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "The document is behind the answer to 1.1 in every linked open audit")
    expect(page.locator("#shared-documents-1-1 .hsb-documents__item")).to_contain_text("Force HSB policy")
    axe_check(page)
    page.locator("#statement-1-1").scroll_into_view_if_needed()
    screenshot(page, "shared-return")

    # every authority's audit has the answers, from the shared return
    for name, audit in audits_by_area.items():
        rows = audits.responses_for_agency(audit, police[name].id)
        assert {code: (r.score, r.evidence, r.source) for code, r in rows.items()} == {
            code: (int(score), evidence, "shared") for code, (score, evidence) in ANSWERS.items()}, name

    # an exception for Wrexham on 1.1: its own score, evidence and reason
    block = page.locator("#statement-1-1")
    block.locator("summary", has_text="Add an exception").click()
    block.get_by_role("link", name="Wrexham – 1.1").click()
    expect(page.locator("h1")).to_have_text("Exception for Wrexham on 1.1")
    page.get_by_role("button", name="Save the exception").click()  # no reason: refused
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Say why this area's answer differs from the shared answer")
    expect(page).to_have_title(re.compile(r"^Error: Exception for Wrexham on 1\.1"))
    page.locator('label[for="score-1"]').click()
    page.fill("#evidence", "Wrexham's custody suite has no HSB pathway yet")
    page.fill("#reason", "Wrexham custody is run under a separate contract")
    axe_check(page)
    screenshot(page, "shared-return-exception")
    page.get_by_role("button", name="Save the exception").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The exception for Wrexham on 1.1 was saved")
    expect(page.locator("#statement-1-1 .hsb-exceptions")).to_contain_text("Wrexham: score 1")

    # only Wrexham's lowest and agreed score moved
    for name, audit in audits_by_area.items():
        result = audits.consolidated(audit).by_code["1.1"]
        assert result.agency_scores[police[name].id] == (1 if name == "Wrexham" else 3), name
        if name == "Wrexham":
            assert (result.lowest, result.agreed) == (1, 1)
        else:
            assert result.lowest != 1 or result.agreed != 1, name  # (other agencies have not scored)

    # each authority's grid, as an administrator: the Police column from the shared return, Wrexham's exception
    page.context.clear_cookies()
    browser_login(page, base_url, admin.email)
    for name, audit in audits_by_area.items():
        page.goto(f"{base_url}/areas/{audit.area_id}/audits/{audit.id}/moderation")
        cell = page.locator(f'tr[data-code="1.1"] td[data-agency="{police[name].id}"]')
        expect(cell).to_contain_text("1" if name == "Wrexham" else "3")
        expect(cell).to_have_attribute("data-source", "exception" if name == "Wrexham" else "shared")
        expect(page.locator(f'tr[data-code="1.2"] td[data-agency="{police[name].id}"]')).to_contain_text("2")
        if name == "Wrexham":
            expect(page.locator('tr[data-code="1.1"] td[data-col="lowest"]')).to_have_text("1")
            expect(page.locator('tr[data-code="1.1"] td[data-col="agreed"]')).to_contain_text("1")
            axe_check(page)
            page.locator('tr[data-code="1.1"]').scroll_into_view_if_needed()
            screenshot(page, "shared-return-grid-wrexham")
        else:
            expect(page.locator('tr[data-code="1.1"] td[data-col="lowest"]')).to_have_text("3")
        # the policy behind the Police answer to 1.1, in every authority's grid
        expect(page.locator(f'tr[data-code="1.1"] td[data-agency="{police[name].id}"]')).to_contain_text(
            "Force HSB policy")
    # the regional roll-up: the organisation once, and each authority's figures its own audit's
    page.goto(f"{base_url}/regions/{region.id}/regional/rounds/{round_.id}/")
    partners = page.locator("#round-partners")
    expect(partners.locator("tbody tr", has_text="North Wales Police")).to_have_count(1)
    row = partners.locator("tbody tr", has_text="North Wales Police")
    expect(row.locator('[data-col="areas"]')).to_have_text("6 of 6")
    expect(row.locator('[data-col="answered"]')).to_have_text("3 of 46")
    expect(row.locator('[data-col="exceptions"]')).to_contain_text("Wrexham: 1.1")
    names = page.locator("#statement-rollup thead th").all_inner_texts()[1:1 + len(audits_by_area)]
    cells = page.locator("#statement-rollup tbody tr", has=page.locator("abbr", has_text=re.compile(r"^1\.1$")))
    shown = cells.locator("td.hsb-heat").all_inner_texts()
    for label, text in zip(names, shown, strict=True):
        name = next(n for n in audits_by_area if label.strip().startswith(n))
        agreed = audits.consolidated(audits_by_area[name]).by_code["1.1"].agreed
        assert text.replace("no score", "").strip() == (str(agreed) if agreed is not None else "–"), name
    axe_check(page)
    page.locator("#round-partners").scroll_into_view_if_needed()
    screenshot(page, "shared-return-rollup")
    # the audit page says where the Police answers come from
    wrexham = audits_by_area["Wrexham"]
    page.goto(f"{base_url}/areas/{wrexham.area_id}/audits/{wrexham.id}/")
    row = page.locator(f"#agency-{police['Wrexham'].id}")
    expect(row).to_contain_text("From the shared return")
    expect(row).to_contain_text("2 answers from its organisation's shared return; 1 exception for this area")
    axe_check(page)
    screenshot(page, "shared-return-audit-page")


def test_the_shared_return_in_welsh(page, base_url, round_open):
    _admin, shared, audits_by_area, police, _round = round_open
    lead = organisations.members(shared.organisation)[0].user
    organisations.save_shared_response(shared, "1.1", score=3, evidence="Polisi", user=lead)
    wrexham = audits_by_area["Wrexham"]
    browser_login(page, base_url, lead.email, DEMO_PASSWORD)
    page.goto(f"{base_url}/language/cy?next=/shared-returns/{shared.id}")
    expect(page.locator("html")).to_have_attribute("lang", "cy")
    expect(page.locator("#statement-1-1").get_by_role("button", name="Cadw 1.1 ar gyfer pob ardal")).to_be_visible()
    expect(page.locator("#shared-progress-text")).to_contain_text("1 o 46")
    axe_check(page)
    screenshot(page, "shared-return-cy")
    page.goto(f"{base_url}/shared-returns/{shared.id}/statements/1.1/areas/{wrexham.area_id}/exception")
    expect(page.locator("h1")).to_contain_text("Eithriad ar gyfer")
    page.get_by_role("button", name="Cadw'r eithriad").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    expect(page).to_have_title(re.compile(r"^Gwall: "))
    axe_check(page)
    screenshot(page, "shared-return-exception-cy")
    page.goto(f"{base_url}/areas/{wrexham.area_id}/audits/{wrexham.id}/")
    expect(page.locator(f"#agency-{police['Wrexham'].id}")).to_contain_text("O'r ffurflen a rennir")
    axe_check(page)
