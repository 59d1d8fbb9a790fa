"""The job page in a browser (issue 18, "Long work off the request"): the board manager presses "Download
as PDF" on the demo's board report, lands on the job page, and watches it go from waiting to being made
to ready without reloading (the page's script fetches it again every two seconds; the status sentence is
a live region, announced as it changes); the link gives the PDF. In English and Welsh, axe on each state;
screenshots in test-artifacts/."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from hsbtrack.areas.demo import DEMO_PASSWORD, load_demo
from hsbtrack.audits.models import Audit
from hsbtrack.extensions import db
from hsbtrack.jobs import services as jobs
from hsbtrack.testing_browser import axe_check, browser_login, screenshot

pytestmark = pytest.mark.browser
RUNNER = "browser-test:1:job"


@pytest.fixture()
def demo(ctx):
    load_demo()
    return db.session.scalar(select(Audit).where(Audit.area_id == 1).order_by(Audit.cycle.desc()))


def _status(page):
    region = page.locator("#job-status-text")
    expect(region).to_have_attribute("role", "status")
    expect(region).to_have_attribute("aria-live", "polite")
    return region


def _start(page, base_url, audit, button):
    page.goto(f"{base_url}/areas/{audit.area_id}/audits/{audit.id}/report")
    page.get_by_role("button", name=button, exact=True).click()
    expect(page).to_have_url(re.compile(r"/jobs/\d+$"))
    page.evaluate("() => { window.hsbSamePage = true; }")  # gone if the page reloads
    return int(page.url.rsplit("/", 1)[1])


def _download(page):
    link = page.get_by_test_id("job-download")
    with page.expect_download() as download:
        link.click()
    path = download.value.path()
    with open(path, "rb") as data:
        return data.read(5), download.value.suggested_filename


def test_the_board_report_as_pdf_is_made_while_the_job_page_watches(page, base_url, demo, app):
    browser_login(page, base_url, "board@example.org", DEMO_PASSWORD)
    job_id = _start(page, base_url, demo, "Download as PDF")
    expect(page.locator("h1")).to_contain_text("Board report as PDF")
    expect(_status(page)).to_have_text("Waiting to start")
    expect(page.get_by_role("progressbar", name="Progress")).to_be_visible()
    expect(page.get_by_role("link", name="Back to the board report")).to_be_visible()
    expect(page.get_by_test_id("job-download")).to_have_count(0)
    axe_check(page)
    screenshot(page, "job-queued")

    # the runner takes the job (as the core.jobs scan does) and reports how far it is
    job = jobs.claim_next(RUNNER)
    assert job is not None and job.id == job_id
    jobs.progress_reporter(job.id, RUNNER)(40, "Laying out the pages")
    expect(_status(page)).to_have_text("Being made: 40% done")
    expect(page.get_by_role("progressbar", name="Progress")).to_have_attribute("value", "40")
    expect(page.locator("#job-status-detail")).to_contain_text("Laying out the pages")
    axe_check(page)
    screenshot(page, "job-running")

    # ...and makes the PDF: the page turns to "Ready" with the link, without a reload
    assert jobs.run_claimed(app, job, RUNNER) == "done"
    db.session.remove()
    expect(_status(page)).to_have_text("Ready", timeout=20_000)
    expect(page.get_by_role("progressbar")).to_have_count(0)
    link = page.get_by_role("link", name=re.compile(r"^Download board_report_.*\.pdf$"))
    expect(link).to_be_visible()
    expect(page.locator("#job-status-detail")).to_contain_text("Only you can download it")
    assert page.evaluate("() => window.hsbSamePage === true")
    axe_check(page)
    screenshot(page, "job-done")
    head, name = _download(page)
    assert head == b"%PDF-" and name.endswith(".pdf")


def test_the_job_page_in_welsh(page, base_url, demo, app):
    browser_login(page, base_url, "board@example.org", DEMO_PASSWORD)
    report = f"/areas/{demo.area_id}/audits/{demo.id}/report"
    page.goto(f"{base_url}/language/cy?next={report}")
    job_id = _start(page, base_url, demo, "Lawrlwytho fel PDF")
    expect(page.locator("html")).to_have_attribute("lang", "cy")
    expect(_status(page)).to_have_text("Yn aros i ddechrau")
    expect(page.get_by_role("progressbar", name="Cynnydd")).to_be_visible()
    expect(page.locator("#job-status-detail")).to_contain_text("Gallwch adael y dudalen hon")
    axe_check(page)
    screenshot(page, "job-queued-cy")

    job = jobs.claim_next(RUNNER)
    assert job is not None and job.id == job_id
    jobs.progress_reporter(job.id, RUNNER)(40)
    expect(_status(page)).to_have_text("Wrthi'n cael ei gwneud: 40% wedi'i wneud")
    screenshot(page, "job-running-cy")
    assert jobs.run_claimed(app, job, RUNNER) == "done"
    db.session.remove()
    expect(_status(page)).to_have_text("Yn barod", timeout=20_000)
    expect(page.get_by_test_id("job-download")).to_contain_text("Lawrlwytho ")
    expect(page.locator("#job-status-detail")).to_contain_text("Dim ond chi sy'n gallu ei lawrlwytho")
    assert page.evaluate("() => window.hsbSamePage === true")
    axe_check(page)
    screenshot(page, "job-done-cy")
    head, _name = _download(page)
    assert head == b"%PDF-"
