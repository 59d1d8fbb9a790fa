"""The screenshots of the user guides (docs/guides/*.md), taken from the real pages with the demo data.

Each shot asserts what the guide says the page shows, so a guide's picture cannot silently go stale
or show an error page. With ``HSBTRACK_GUIDE_SHOTS=1`` (``make guide-screenshots``) the PNGs are
written to ``docs/guides/img/`` (commit them); otherwise to ``test-artifacts/guide/``.
"""

import os

import pytest

from hsbtrack.testing_browser import ROOT, TIMEOUT_MS, browser_login

pytestmark = pytest.mark.browser

OUT = ROOT / "docs" / "guides" / "img" if os.environ.get("HSBTRACK_GUIDE_SHOTS") == "1" else ROOT / "test-artifacts" / "guide"
WIDTH = 1280


@pytest.fixture()
def demo(ctx):
    """The demo partnership of ``hsbtrack demo`` (core and the four plugins), and where things are."""
    from hsbtrack_regional.models import RegionalRound
    from hsbtrack_schools.models import Round, School
    from hsbtrack_scotland.models import CarmCase
    from sqlalchemy import select

    from hsbtrack.actions.models import Action
    from hsbtrack.areas.demo import DEMO_PASSWORD, load_demo
    from hsbtrack.areas.models import Area, Region
    from hsbtrack.audits.models import Audit
    from hsbtrack.extensions import db

    assert load_demo()
    db.session.commit()
    area = db.session.scalar(select(Area).where(Area.name == "Riverside Safeguarding Partnership"))
    audits = db.session.scalars(select(Audit).where(Audit.area_id == area.id).order_by(Audit.id)).all()
    glenmore = db.session.scalar(select(Area).where(Area.name == "Glenmore Child Protection Committee"))
    region = db.session.scalar(select(Region).join(RegionalRound, RegionalRound.region_id == Region.id))
    school = db.session.scalar(select(School).where(School.area_id == area.id).order_by(School.id))
    return {
        "password": DEMO_PASSWORD,
        "area": area.id,
        "t1": audits[0].id,
        "t2": audits[1].id,
        "agencies": {a.name: a.id for a in area.agencies},
        "action": db.session.scalar(select(Action.id).where(Action.area_id == area.id).order_by(Action.id)),
        "glenmore": glenmore.id,
        "case": db.session.scalar(select(CarmCase.id).where(CarmCase.area_id == glenmore.id).order_by(CarmCase.id)),
        "region": region.id,
        "round": db.session.scalar(select(RegionalRound.id).where(RegionalRound.region_id == region.id)),
        "school": school.id,
        "school_round": db.session.scalar(select(Round.id).where(Round.school_id == school.id).order_by(Round.id)),
    }


def shot(page, name, how="view"):
    """Save docs/guides/img/<name>.png (or test-artifacts/guide/), 1280px wide: ``"view"`` the top of
    the page, ``"full"`` the whole page, ``"at:<css>"`` the viewport scrolled to that element."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.png"
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    # the test suite's example plugin is not part of a real install: leave it out of the pictures
    page.evaluate("() => document.querySelectorAll('[data-plugin=\"example\"]').forEach(e => e.remove())")
    if how.startswith("at:"):
        target = page.locator(how[3:]).first
        assert target.count(), f"{name}: nothing matches {how[3:]!r} on {page.url}"
        target.evaluate("e => window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 16)")
    page.screenshot(path=str(path), full_page=how == "full", animations="disabled")
    return path


def h1(page):
    return page.locator("main h1").first.inner_text().strip()


@pytest.fixture()
def as_user(browser, live_server, demo):
    """Open a signed-in page for a demo login: ``as_user("board@example.org")``."""
    contexts = []

    def open_page(email):
        context = browser.new_context(bypass_csp=True, viewport={"width": WIDTH, "height": 800}, locale="en-GB",
                                      base_url=live_server.url)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        browser_login(page, live_server.url, email, demo["password"])
        return page

    live_server.errors.clear()
    yield open_page
    for context in contexts:
        context.close()
    assert not live_server.errors, live_server.errors


# (email, screenshot name, URL, words the <h1> holds, what else the page must show, how: "view", "full"
# or "at:<css>" to scroll to a part of the page). The order is the guides' order.
SHOTS = [
    # board manager
    ("board@example.org", "board-dashboard", "/areas/{area}/", "Riverside", ["Where the safeguarding partnership stands",
     "overdue actions"], "view"),
    ("board@example.org", "board-members", "/areas/{area}/members", "Members of", ["police@example.org", "Add a member"],
     "at:main h1"),
    ("board@example.org", "board-new-audit", "/areas/{area}/audits/new", "Open an audit", ["Police"], "view"),
    ("board@example.org", "board-audit", "/areas/{area}/audits/{t2}/", "Six-month re-audit (T2)",
     ["Education", "Not submitted"], "at:#agency-progress"),
    ("board@example.org", "board-moderation", "/areas/{area}/audits/{t2}/moderation", "Moderation", ["1.1"], "view"),
    ("board@example.org", "board-moderate-statement", "/areas/{area}/audits/{t2}/statements/1.1", "1.1",
     ["Police", "Change the agreed score"], "at:#partnership-score"),
    ("board@example.org", "board-overview", "/areas/{area}/audits/{t1}/overview", "", ["Domain"], "at:main h1"),
    ("board@example.org", "board-findings", "/areas/{area}/audits/{t1}/findings", "Findings and actions",
     ["add it to an action already open on its statement", "New action"], "at:main h1"),
    ("board@example.org", "board-action-plan", "/areas/{area}/actions/", "", ["Overdue"], "view"),
    ("board@example.org", "board-report", "/areas/{area}/audits/{t1}/report", "", ["Baseline audit (T1)"], "view"),
    ("board@example.org", "board-plugins", "/areas/{area}/plugins", "Plugins", ["training"], "view"),
    # agency lead
    ("police@example.org", "lead-audit", "/areas/{area}/audits/{t2}/", "Six-month re-audit (T2)",
     ["Score for Police", "0 of 46 scored"], "at:#agency-progress"),
    ("police@example.org", "lead-scoring", "/areas/{area}/audits/{t2}/agencies/{police}/domains/1", "Domain 1",
     ["In T1 (for reference)", "Evidence supporting this score"], "at:#statement-1-1"),
    ("police@example.org", "lead-my-actions", "/my-actions", "My actions", ["You own 1 action", "Post an update"], "view"),
    ("police@example.org", "lead-action", "/areas/{area}/actions/{action}", "", ["Progress updates"], "at:#updates"),
    # regional coordinator
    ("board@example.org", "region-home", "/regions/{region}/regional/", "Regional board", ["Conwy"], "view"),
    ("board@example.org", "region-round", "/regions/{region}/regional/rounds/{round}/", "", ["Gwynedd"], "view"),
    ("board@example.org", "region-actions", "/regions/{region}/regional/actions/", "", ["Regional HSB pathway"],
     "view"),
    ("board@example.org", "region-plugins", "/regions/{region}/plugins", "", ["regional"], "view"),
    # training lead
    ("training@example.org", "training-home", "/areas/{area}/training/", "", ["Tier"], "view"),
    ("training@example.org", "training-import", "/areas/{area}/training/import", "", ["CSV"], "view"),
    ("training@example.org", "training-coverage", "/areas/{area}/training/coverage", "", ["Police"], "view"),
    ("training@example.org", "training-new-session", "/areas/{area}/training/sessions/new", "", ["Course"], "view"),
    # school lead
    ("school@example.org", "school-home", "/areas/{area}/schools/", "", ["Riverside Academy"], "view"),
    ("school@example.org", "school-section", "/areas/{area}/schools/rounds/{school_round}/areas/structures", "",
     ["Red"], "view"),
    ("school@example.org", "school-scorecard", "/areas/{area}/schools/rounds/{school_round}/scorecard", "",
     ["Riverside Academy"], "view"),
    # case worker (Scotland)
    ("caseworker@example.org", "case-home", "/areas/{glenmore}/scotland/", "", ["GLN-2026-001"], "view"),
    ("caseworker@example.org", "case-detail", "/areas/{glenmore}/scotland/cases/{case}", "GLN-2026-001",
     ["Risk"], "view"),
    ("caseworker@example.org", "case-new-meeting", "/areas/{glenmore}/scotland/cases/{case}/meetings/new", "",
     ["Police"], "view"),
    # viewer
    ("viewer@example.org", "viewer-dashboard", "/areas/{area}/", "Riverside", ["Domain scores"], "view"),
]


def test_guide_screenshots_show_what_the_guides_say(as_user, demo):
    values = {**demo, "police": demo["agencies"]["Police"]}
    pages, taken, problems = {}, [], []
    for email, name, url, heading, texts, how in SHOTS:
        if email not in pages:
            pages[email] = as_user(email)
        page = pages[email]
        response = page.goto(url.format(**values))
        assert response.status == 200, f"{name}: {url} answered {response.status}"
        body = page.inner_text("main")
        if heading not in h1(page):
            problems.append(f"{name}: the heading is {h1(page)!r}")
        for text in texts:
            if text.lower() not in body.lower():
                problems.append(f"{name}: {text!r} is not on {page.url}: " + " / ".join(body.split("\n"))[:700])
        # (axe checks every page type in test_axe_every_page.py)
        path = shot(page, name, how)
        taken.append(path)
    assert not problems, "\n".join(problems)
    assert all(p.stat().st_size > 10_000 for p in taken)
