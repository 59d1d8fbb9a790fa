"""The demo reads like a real partnership in the browser, in English and Welsh (issue 15, finding 10):
the baseline opened before it was completed, the re-audit after it, nothing dated in the future;
evidence that sounds like evidence, written by several people, not "X: updated evidence"."""

import re
from datetime import datetime

import pytest
from playwright.sync_api import expect

from hsbtrack.testing_browser import axe_check, browser_login, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture()
def demo(ctx):
    from sqlalchemy import select

    from hsbtrack.areas.demo import DEMO_PASSWORD, load_demo
    from hsbtrack.areas.models import Area
    from hsbtrack.audits.models import Audit
    from hsbtrack.extensions import db

    assert load_demo()
    db.session.commit()
    area = db.session.scalar(select(Area).where(Area.name == "Riverside Safeguarding Partnership"))
    t1 = db.session.scalar(select(Audit.id).where(Audit.area_id == area.id, Audit.cycle == 1))
    return {"password": DEMO_PASSWORD, "area": area.id, "t1": t1}


def _row_dates(page, label):
    """(opened, completed) texts of the audits list's row for ``label`` (T1, T2)."""
    row = page.locator("table tbody tr", has_text=label).first
    cells = row.locator("td").all_inner_texts()
    return [c.strip() for c in cells if re.fullmatch(r"\d{1,2} \S+ \d{4}|–", c.strip())]


def test_the_demo_reads_like_a_real_partnership(page, base_url, demo):
    browser_login(page, base_url, "board@example.org", demo["password"])
    page.goto(f"{base_url}/areas/{demo['area']}/audits/")
    opened_t1, completed_t1 = _row_dates(page, "T1")
    opened_t2, completed_t2 = _row_dates(page, "T2")
    day = lambda text: datetime.strptime(text, "%d %b %Y").date()  # noqa: E731
    assert day(opened_t1) < day(completed_t1) <= day(opened_t2) <= datetime.now().date()
    assert completed_t2 == "–"  # T2 is under way
    screenshot(page, "demo-audits-en")

    # A statement of T1: each agency's evidence is its own, written by different people.
    page.goto(f"{base_url}/areas/{demo['area']}/audits/{demo['t1']}/statements/2.2")
    cards = page.locator(".hsb-agency-response")
    expect(cards.first).to_be_visible()
    texts = [c.inner_text() for c in cards.all()]
    evidence = {re.search(r"Evidence\s+(.+)", t).group(1) for t in texts}
    assert len(evidence) == len(texts) >= 3 and not [e for e in evidence if "updated evidence" in e], evidence
    authors = {re.search(r"\d{4}, \d\d:\d\d by (.+)", t).group(1).strip() for t in texts}
    assert len(authors) >= 3, authors
    axe_check(page)
    screenshot(page, "demo-statement-en")

    # In Welsh: the same dates, with Welsh month names.
    page.goto(f"{base_url}/language/cy?next=/areas/{demo['area']}/audits/")
    welsh_opened, welsh_completed = _row_dates(page, "T1")
    assert welsh_opened.split()[0] == opened_t1.split()[0] and welsh_opened.split()[2] == opened_t1.split()[2]
    months_cy = ("Ion", "Chwef", "Maw", "Ebr", "Mai", "Meh", "Gorff", "Awst", "Medi", "Hyd", "Tach", "Rhag")
    assert welsh_opened.split()[1].startswith(months_cy) and welsh_completed.split()[1].startswith(months_cy)
    axe_check(page)
    screenshot(page, "demo-audits-cy")
