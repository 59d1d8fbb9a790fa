"""An agency lead completes and submits the agency's scoring with the keyboard alone, and can see
where the focus is at every step (WCAG 2.1.1 Keyboard, 2.4.7 Focus visible, 2.4.11 Focus not obscured).

No click, fill or check: sign in by typing, Tab to the agency's scoring link, choose every score of
domain 1 with Space and the arrow keys, type the evidence, assurance, comments and date, press
"Save and go to domain 2", then Tab to the agency's Submit button on the audit page and press Enter.
Domains 2-5 were scored beforehand (through the services), so the submission is of a whole agency.
At every stop the focused element must look different from the same element without focus
(screenshots of the element and its label compared) and be at least partly inside the viewport.
"""

import pytest

from hsbtrack.testing_browser import axe_check

pytestmark = pytest.mark.browser

FRAMEWORK = "nspcc-hsb-2019"
LEAD = "police@example.org"


def slug(code):
    return code.replace(".", "-")


@pytest.fixture()
def keyboard_scene(world):
    from hsbtrack.audits import services

    area = world.area("Riverside")
    board = world.user("board@example.org", area, "board_manager")
    police = world.agency(area, "Police")
    world.user(LEAD, area, "agency_lead", agency=police)
    audit = services.open_audit(area, FRAMEWORK, title="Baseline audit", agency_ids=[police.id], user=board)
    framework = services.framework_of(audit)
    for statement in framework.scored_statements:
        if statement.domain_number != 1:
            services.save_response(audit, police.id, statement.code, score=2, evidence="Case file audit", user=board)
    return {"area": area, "audit": audit, "police": police, "framework": framework}


_CLIP_JS = """() => {
    const e = document.activeElement;
    const parts = [e, ...(e.labels ? [...e.labels] : [])];
    const boxes = parts.map(p => p.getBoundingClientRect());
    const left = Math.min(...boxes.map(b => b.left)), top = Math.min(...boxes.map(b => b.top));
    const right = Math.max(...boxes.map(b => b.right)), bottom = Math.max(...boxes.map(b => b.bottom));
    return {id: e.id, tag: e.tagName, left, top, right, bottom,
            vw: document.documentElement.clientWidth, vh: document.documentElement.clientHeight};
}"""


def assert_focus_visible(page, expected_id=None):
    """The focused element (with its label) is in the viewport and looks different without focus."""
    box = page.evaluate(_CLIP_JS)
    where = f"{box['tag'].lower()}#{box['id']}"
    if expected_id is not None:
        assert box["id"] == expected_id, f"focus is on {where}, expected #{expected_id}"
    # 2.4.11 (minimum): not entirely hidden; the browser scrolls a focused element only into partial view
    assert box["top"] < box["vh"] - 10 and box["bottom"] > 10, f"focused {where} is outside the viewport: {box}"
    pad = 6  # GOV.UK's focus ring is drawn up to 5px outside the element
    clip = {"x": max(0, box["left"] - pad), "y": max(0, box["top"] - pad)}
    clip["width"] = min(box["vw"], box["right"] + pad) - clip["x"]
    clip["height"] = min(box["vh"], box["bottom"] + pad) - clip["y"]
    focused = page.screenshot(clip=clip, animations="disabled")
    page.evaluate("() => { window.__hsbFocused = document.activeElement; document.activeElement.blur(); }")
    unfocused = page.screenshot(clip=clip, animations="disabled")
    page.evaluate("() => window.__hsbFocused.focus()")
    if focused == unfocused:
        pytest.fail(f"no visible focus indicator on {where}", pytrace=False)
    return box["id"]


def tab_to(page, predicate_js, what, limit=80):
    """Press Tab until ``predicate_js(document.activeElement)`` holds; check the focus at each stop."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => ({predicate_js})(document.activeElement)"):
            assert_focus_visible(page)
            return
    pytest.fail(f"Tab never reached {what}")


def test_an_agency_lead_scores_and_submits_with_the_keyboard_alone(page, base_url, keyboard_scene):
    scene = keyboard_scene
    area, audit, police = scene["area"], scene["audit"], scene["police"]

    # sign in: Tab past the skip link and the header to the email field, type, Enter
    page.goto(f"{base_url}/login")
    tab_to(page, "e => e.id === 'email'", "the email field")
    page.keyboard.type(LEAD)
    page.keyboard.press("Tab")
    assert_focus_visible(page, "password")
    from tests.conftest import PASSWORD

    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/login" not in page.url

    # the audit page: Tab to "Score for Police" and follow it
    page.goto(f"{base_url}/areas/{area.id}/audits/{audit.id}/")
    tab_to(page, "e => e.tagName === 'A' && e.textContent.trim() === 'Score for Police'", "the scoring link")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/domains/1"), page.url

    # domain 1: every statement scored, with evidence and assurance, by keyboard
    codes = [s.code for s in scene["framework"].domain(1).scored_statements]
    tab_to(page, f"e => e.id === 'score-{slug(codes[0])}-0'", "the first statement's radios")
    scores = {code: (n * 3) % 5 for n, code in enumerate(codes)}
    for code in codes:
        assert_focus_visible(page, f"score-{slug(code)}-0")
        page.keyboard.press("Space")
        for _ in range(scores[code]):
            page.keyboard.press("ArrowDown")
        assert_focus_visible(page, f"score-{slug(code)}-{scores[code]}")
        assert page.is_checked(f"#score-{slug(code)}-{scores[code]}")
        page.keyboard.press("Tab")
        assert_focus_visible(page, f"evidence-{slug(code)}")
        page.keyboard.type(f"Keyboard evidence {code}")
        page.keyboard.press("Tab")
        assert_focus_visible(page)
        page.keyboard.type("Supervision records")
        page.keyboard.press("Tab")
        # the statement's documents: "Add a document to 1.1" (a closed GOV.UK details), then the next one
        assert page.evaluate("() => document.activeElement.innerText") == f"Add a document to {code}"
        assert_focus_visible(page)
        page.keyboard.press("Tab")
    assert_focus_visible(page, "comments")
    page.keyboard.type("Scored with the keyboard")
    page.keyboard.press("Tab")
    # the GOV.UK day, month and year boxes, in the UK order whatever the machine's locale
    for box, value in (("day", "31"), ("month", "3"), ("year", "2026")):
        assert_focus_visible(page, f"date_completed-{box}")
        page.keyboard.type(value)
        page.keyboard.press("Tab")
    page.keyboard.press("Shift+Tab")
    assert page.input_value("#date_completed-year") == "2026"
    tab_to(page, "e => e.id === 'save-next'", "the Save and go to domain 2 button", limit=5)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/domains/2"), page.url
    assert page.inner_text("[data-progress-scored]") == "46"

    # back on the audit page: Tab to Submit, press Enter
    page.goto(f"{base_url}/areas/{area.id}/audits/{audit.id}/")
    tab_to(page, f"e => e.id === 'submit-{police.id}'", "the Submit button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    # the confirmation page: Tab to "Submit the return", press Enter
    tab_to(page, "e => e.id === 'confirm-submit'", "the Submit the return button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Police has submitted its scores" in page.inner_text("body")
    axe_check(page)

    from hsbtrack.audits import services
    from hsbtrack.extensions import db

    db.session.expire_all()
    saved = services.responses_for_agency(services.get_audit(audit.id), police.id)
    assert {code: saved[code].score for code in codes} == scores
    assert all(saved[code].evidence == f"Keyboard evidence {code}" for code in codes)
    assert all(p.submitted_at is not None for p in services.get_audit(audit.id).participants)
    domain = services.domain_responses_for_agency(services.get_audit(audit.id), police.id)[1]
    assert domain.comments == "Scored with the keyboard"
    assert str(domain.date_completed) == "2026-03-31"
