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


# -- the evidence library (documents; issue 16): agency-lead.md and board-manager.md ----------------


def test_guide_screenshots_of_the_evidence_library(as_user, demo):
    """The demo's documents: Police confirmed its pathway in T2 (1.1), Children's social care's quality audit
    waits "To re-confirm" (4.1a), the partnership's protocol is on 1.1 and 5.1."""
    area, t1, t2, agencies = demo["area"], demo["t1"], demo["t2"], demo["agencies"]
    problems = []

    def check(page, name, texts):
        body = page.inner_text("main")
        problems.extend(f"{name}: {text!r} is not on {page.url}" for text in texts if text not in body)

    # the agency lead's scoring page: a document on 1.1, the upload form open
    police = as_user("police@example.org")
    police.goto(f"/areas/{area}/audits/{t2}/agencies/{agencies['Police']}/domains/1")
    police.locator("#documents-1-1 summary", has_text="Add a document to 1.1").click()
    check(police, "lead-documents", ["Documents for 1.1", "HSB referral pathway", "Also evidence for",
                                     "50 MB or smaller", "Effective date (optional)", "Upload the document"])
    shot(police, "lead-documents", "at:#documents-1-1")

    # a re-audit: the baseline's document waiting to be re-confirmed, with the three choices
    CSC = "Children's social care"
    social = as_user("social@example.org")
    social.goto(f"/areas/{area}/audits/{t2}/agencies/{agencies[CSC]}/domains/4")
    reconfirm = social.locator("[data-status=to_reconfirm]").first
    block = reconfirm.locator("xpath=ancestor::div[contains(@class, 'hsb-documents')]").get_attribute("id")
    reconfirm.locator("summary", has_text="Replace with a new version").click()
    check(social, "lead-reconfirm", ["To re-confirm", "AIM3 assessment quality audit",
                                        "is it still current for this audit?", "Still current",
                                        "Remove from this audit", "New version of"])
    shot(social, "lead-reconfirm", f"at:#{block}")

    # the board manager: documents on the moderation grid, the partnership's on a statement, the index
    board = as_user("board@example.org")
    board.goto(f"/areas/{area}/audits/{t2}/moderation")
    row = board.locator("tr[data-code='1.1']")
    if "HSB referral pathway" not in row.inner_text():
        problems.append("board-moderation-documents: Police's document is not in the row of 1.1")
    shot(board, "board-moderation-documents", "at:#domain-1")
    board.goto(f"/areas/{area}/audits/{t2}/statements/1.1")
    check(board, "board-partnership-documents", ["Multi-agency HSB protocol", "To re-confirm", "Still current",
                                                 "Add a document to 1.1"])
    shot(board, "board-partnership-documents", "at:#partnership-documents")
    board.goto(f"/areas/{area}/audits/{t1}/")
    with board.expect_navigation():
        board.locator("a#evidence-index").click()  # (the audit page's "Evidence index" button)
    check(board, "board-evidence-index", ["Evidence index", "Download the evidence index", "HSB referral pathway",
                                          "Multi-agency HSB protocol", "No documents"])
    shot(board, "board-evidence-index", "at:main .govuk-caption-l")
    assert not problems, "\n".join(problems)


# -- signing in: two factors and single sign-on (issue 17): signing-in.md and signing-in.cy.md ---------

SIGN_IN = {  # what each page says, in each language (the Welsh from the catalogue)
    "en": {"setup": "Set up two-factor authentication", "turn_on": "Turn on two-factor authentication",
           "codes": "Two-factor authentication is on", "kept": "I have kept my recovery codes",
           "code": "Enter your code", "cannot": "I cannot use my authenticator app",
           "sso": "Sign in with Riverside Council", "refused": "You cannot sign in to hsbtrack yet"},
    "cy": {"setup": "Gosod dilysu dau ffactor", "turn_on": "Troi dilysu dau ffactor ymlaen",
           "codes": "Mae dilysu dau ffactor ymlaen", "kept": "Rwyf wedi cadw fy nghodau adfer",
           "code": "Rhowch eich cod", "cannot": "Ni allaf ddefnyddio fy ap dilysu",
           "sso": "Mewngofnodi gyda Riverside Council", "refused": "Ni allwch fewngofnodi i hsbtrack eto"},
}


@pytest.fixture()
def two_factor_required(app, monkeypatch):
    monkeypatch.setitem(app.config, "HSBTRACK_TWO_FACTOR_REQUIRED_ROLES", frozenset({"admin", "board_manager"}))


@pytest.mark.parametrize("language", ["en", "cy"])
def test_guide_screenshots_of_signing_in(browser, live_server, demo, two_factor_required, oidc_provider, language):
    """A board manager's first sign-in (two factors required for the role): setting up with the QR code,
    the recovery codes, the code at the next sign-in; the sign-in page with an organisation's button, and
    the page for someone the partnership never invited. The app is opened as ``localhost``, as the test
    provider's redirect URIs are."""
    import pyotp
    from playwright.sync_api import expect
    from sqlalchemy import select

    from hsbtrack.auth import sso
    from hsbtrack.auth.models import User
    from hsbtrack.extensions import db

    words = SIGN_IN[language]
    db.session.scalar(select(User).where(User.email == "board@example.org")).locale = language  # (their account's)
    db.session.commit()
    sso.save_provider({"slug": "council", "label": "Riverside Council", "issuer": oidc_provider["issuer"],
                       "client_id": oidc_provider["client_id"], "client_secret": oidc_provider["client_secret"],
                       "allowed_domains": "council.example.gov.uk", "enabled": True})
    base = live_server.url.replace("127.0.0.1", "localhost")
    live_server.errors.clear()

    def fresh_page():
        context = browser.new_context(bypass_csp=True, viewport={"width": WIDTH, "height": 800}, locale="en-GB")
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        page.goto(f"{base}/language/{language}?next=/login")
        return context, page

    def password_step(page):
        page.fill("#email", "board@example.org")
        page.fill("#password", demo["password"])
        with page.expect_navigation():
            page.locator("form:has(#password) button[type=submit], form:has(#password) input[type=submit]").click()

    context, page = fresh_page()
    try:
        expect(page.get_by_role("button", name=words["sso"])).to_be_visible()
        shot(page, f"signing-in-sso-{language}", "at:main h1")
        password_step(page)
        expect(page.locator("main h1")).to_have_text(words["setup"])
        expect(page.get_by_test_id("qr-code").locator("svg")).to_be_visible()
        shot(page, f"signing-in-setup-{language}", "at:main h1")
        key = page.get_by_test_id("setup-key").inner_text().replace(" ", "")
        page.fill("#code", pyotp.TOTP(key).now())
        page.get_by_role("button", name=words["turn_on"]).click()
        expect(page.locator(".govuk-panel__title")).to_have_text(words["codes"])
        expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
        shot(page, f"signing-in-recovery-codes-{language}", "view")
        page.get_by_role("link", name=words["kept"]).click()
        assert "/login" not in page.url
    finally:
        context.close()

    context, page = fresh_page()  # the next sign-in asks for the code
    try:
        password_step(page)
        expect(page.locator("main h1")).to_have_text(words["code"])
        page.locator("summary", has_text=words["cannot"]).click()
        shot(page, f"signing-in-code-{language}", "at:main h1")

        page.goto(f"{base}/login")  # someone the partnership never invited, through the provider
        page.get_by_role("button", name=words["sso"]).click()
        page.fill("#login", "stranger")
        page.fill("#password", oidc_provider["password"])
        with page.expect_navigation(url=lambda url: not url.startswith(oidc_provider["issuer"])):
            page.get_by_role("button", name="Sign in at the provider").click()
        expect(page.locator("main h1")).to_have_text(words["refused"])
        shot(page, f"signing-in-refused-{language}", "at:main h1")
    finally:
        context.close()
    assert not live_server.errors, live_server.errors
