"""Three agency leads score a whole audit (5 domains, 46 statements) through the pages in Chromium:

* Police, with JavaScript: domain 1 with the keyboard only (Tab, Space and arrow keys on the radios,
  typing the evidence), domain 2 with the mouse, domains 3-5 filled by a script (quick); all saved
  as they go (autosave), no button pressed;
* Health, without JavaScript: domain 1 clicked, domains 2-5 filled by a script (quick), each posted
  with the "Save and go to domain n" button;
* Education, with JavaScript, answers filled by a script: on domains 1-2 the button is pressed while
  the autosaves are under way (the page waits for them before it posts), on 3-5 only the button saves.

Each lead submits; the consolidated result must then be what the framework says: the agreed score of
every statement is the lowest agency score. axe checks the audit home and the scoring page.
"""

import re

import pytest

from hsbtrack.testing_browser import TIMEOUT_MS, axe_check, browser_login, screenshot

pytestmark = pytest.mark.browser

FRAMEWORK = "nspcc-hsb-2019"
LEADS = {"Police": "police@example.org", "Health": "health@example.org", "Education": "education@example.org"}


def slug(code):
    return code.replace(".", "-")


def planned_score(agency_index, position):
    """A spread of scores, different per agency, so that the lowest is not always the same agency's."""
    return (position * 7 + agency_index * 3 + position // 5) % 5


@pytest.fixture()
def audit_scene(world):
    from hsbtrack.audits import services

    area = world.area("Riverside")
    board = world.user("board@example.org", area, "board_manager")
    agencies = {name: world.agency(area, name) for name in LEADS}
    for name, email in LEADS.items():
        world.user(email, area, "agency_lead", agency=agencies[name])
    audit = services.open_audit(area, FRAMEWORK, title="Baseline audit", user=board)
    framework = services.framework_of(audit)
    codes = [s.code for s in framework.scored_statements]
    plan = {name: {code: planned_score(i, p) for p, code in enumerate(codes)} for i, name in enumerate(LEADS)}
    return {"area": area, "audit": audit, "agencies": agencies, "framework": framework, "plan": plan}


def scoring_url(base_url, scene, agency, number):
    return (f"{base_url}/areas/{scene['area'].id}/audits/{scene['audit'].id}/agencies/"
            f"{scene['agencies'][agency].id}/domains/{number}")


def wait_for_autosave(page):
    try:
        page.wait_for_selector('form[data-autosave-pending="0"]', state="attached")
    except Exception:
        statuses = page.evaluate("""() => [document.querySelector('form').dataset.autosavePending,
            ...[...document.querySelectorAll('[data-save-status]')].map(e => e.id + ': ' + e.textContent)]""")
        pytest.fail(f"autosave did not finish: {statuses}")


def sign_out(page):
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()


def keyboard_domain(page, scene, agency, number):
    """Score one domain with the keyboard only: no clicks, no filling."""
    domain = scene["framework"].domain(number)
    codes = [s.code for s in domain.scored_statements]
    first = f"score-{slug(codes[0])}-0"
    for _ in range(60):  # Tab from the top of the page into the first radio group
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement && document.activeElement.id") == first:
            break
    else:
        pytest.fail("Tab never reached the first statement's radios")
    for code in codes:
        score = scene["plan"][agency][code]
        focused = page.evaluate("() => document.activeElement.id")
        assert focused == f"score-{slug(code)}-0", f"expected the radios of {code}, focus is on {focused}"
        page.keyboard.press("Space")  # choose 0 ...
        for _ in range(score):
            page.keyboard.press("ArrowDown")  # ... and move down to the score
        assert page.is_checked(f"#score-{slug(code)}-{score}")
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.id") == f"evidence-{slug(code)}"
        page.keyboard.type(f"{agency} evidence {code}")
        page.keyboard.press("Tab")
        page.keyboard.type("Quarterly case audit")
        page.keyboard.press("Tab")
        # the statement's documents: "Add a document to 1.1" (a closed GOV.UK details), then the next one
        assert page.evaluate("() => document.activeElement.innerText") == f"Add a document to {code}"
        page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "comments"
    page.keyboard.type(f"{agency} finished domain {number} by keyboard")
    wait_for_autosave(page)
    for code in codes:
        assert page.inner_text(f"#status-{slug(code)}").startswith("Saved")


def click_domain(page, scene, agency, number):
    """Click every score and type every evidence box, as a person would with a mouse."""
    for statement in scene["framework"].domain(number).scored_statements:
        code = statement.code
        page.check(f"#score-{slug(code)}-{scene['plan'][agency][code]}")
        page.fill(f"#evidence-{slug(code)}", f"{agency} evidence {code}")


def fill_domain_quickly(page, scene, agency, number, events=True):
    """The same in one script call (fast); with ``events`` the page hears the changes (autosave)."""
    answers = [(s.code, scene["plan"][agency][s.code], f"{agency} evidence {s.code}")
               for s in scene["framework"].domain(number).scored_statements]
    page.evaluate(
        """([answers, events]) => {
            for (const [code, score, evidence] of answers) {
                const id = code.replaceAll(".", "-");
                const radio = document.getElementById(`score-${id}-${score}`);
                radio.checked = true;
                if (events) radio.dispatchEvent(new Event("change", {bubbles: true}));
                const box = document.getElementById(`evidence-${id}`);
                box.value = evidence;
                if (events) box.dispatchEvent(new Event("input", {bubbles: true}));
            }
        }""",
        [answers, events],
    )


def fill_without_javascript(page, scene, agency, number):
    assert page.locator("form[data-autosave-form]").count() == 1
    assert page.locator("form[data-autosave-pending]").count() == 0, "autosave.js ran: JavaScript is on"
    if number == 1:
        click_domain(page, scene, agency, number)
    else:
        fill_domain_quickly(page, scene, agency, number, events=False)


def score_whole_audit_with_autosave(page, base_url, scene, agency):
    """Police: keyboard for domain 1, clicks for the rest; autosave only (no Save button)."""
    page.goto(scoring_url(base_url, scene, agency, 1))
    keyboard_domain(page, scene, agency, 1)
    # progress updated on the page, without a reload
    assert page.inner_text("[data-progress-scored]") == "10"
    assert re.search(r"10 of 10 scored", page.inner_text('[data-domain-progress="1"]'))
    axe_check(page)
    screenshot(page, "scoring_domain1_keyboard_autosaved")
    page.goto(scoring_url(base_url, scene, agency, 2))
    click_domain(page, scene, agency, 2)
    wait_for_autosave(page)
    for number in range(3, 6):
        page.goto(scoring_url(base_url, scene, agency, number))
        fill_domain_quickly(page, scene, agency, number)
        wait_for_autosave(page)
        assert page.locator(".hsb-save-status--saved").count() == len(
            scene["framework"].domain(number).scored_statements)
    assert page.inner_text("[data-progress-scored]") == "46"


def score_whole_audit_with_buttons(page, base_url, scene, agency, fill):
    """Health (no JavaScript) and Education (JavaScript on): the Save buttons post each domain."""
    page.goto(scoring_url(base_url, scene, agency, 1))
    for number in range(1, 6):
        assert page.url.endswith(f"/domains/{number}"), page.url
        fill(page, scene, agency, number)
        page.fill("#comments", f"{agency} comments on domain {number}")
        page.fill("#date_completed-day", "31")  # the GOV.UK day, month and year boxes
        page.fill("#date_completed-month", "3")
        page.fill("#date_completed-year", "2026")
        with page.expect_navigation():
            page.locator("#save-next").click()
    assert page.url.endswith(f"/audits/{scene['audit'].id}/#agency-{scene['agencies'][agency].id}")


def submit(page, scene, agency):
    with page.expect_navigation():
        page.locator(f"#submit-{scene['agencies'][agency].id}").click()
    # a confirmation page first: what is blank or has no evidence, then "Submit the return"
    assert page.url.endswith(f"/agencies/{scene['agencies'][agency].id}/submit"), page.url
    with page.expect_navigation():
        page.locator("#confirm-submit").click()
    assert f"{agency} has submitted its scores" in page.inner_text("body")


def test_three_agencies_score_a_whole_audit_and_the_lowest_score_is_agreed(browser, page, base_url, audit_scene):
    scene = audit_scene
    home = f"{base_url}/areas/{scene['area'].id}/audits/{scene['audit'].id}/"

    # Police: JavaScript on, keyboard and autosave
    browser_login(page, base_url, LEADS["Police"])
    score_whole_audit_with_autosave(page, base_url, scene, "Police")
    page.goto(home)
    submit(page, scene, "Police")
    sign_out(page)

    # Health: without JavaScript, one form post per domain
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900},
                                  locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    try:
        nojs = context.new_page()
        browser_login(nojs, base_url, LEADS["Health"])
        score_whole_audit_with_buttons(nojs, base_url, scene, "Health", fill_without_javascript)
        submit(nojs, scene, "Health")
    finally:
        context.close()

    # Education: JavaScript on, the buttons clicked straight after the changes
    browser_login(page, base_url, LEADS["Education"])
    # domains 1-2: autosave starts and the button is clicked at once; 3-5: only the button saves
    score_whole_audit_with_buttons(
        page, base_url, scene, "Education",
        lambda page, scene, agency, number: fill_domain_quickly(page, scene, agency, number, events=number <= 2))
    submit(page, scene, "Education")
    assert page.locator(".govuk-tag--green").count() == 3
    axe_check(page)
    screenshot(page, "audit_home_all_submitted")

    # What the pages saved is what each lead chose, and the agreed score is the lowest
    from hsbtrack.audits import services
    from hsbtrack.extensions import db

    db.session.expire_all()
    audit = services.get_audit(scene["audit"].id)
    ids = {name: agency.id for name, agency in scene["agencies"].items()}
    matrix = services.scores_matrix(audit)
    expected = {code: {ids[name]: scene["plan"][name][code] for name in LEADS}
                for code in scene["plan"]["Police"]}
    assert matrix == expected
    result = services.consolidated(audit)
    assert len(result.statements) == 46
    for statement in result.statements:
        lowest = min(expected[statement.code].values())
        assert (statement.lowest, statement.agreed, statement.moderated) == (lowest, lowest, False), statement
    for name in LEADS:
        answers = services.responses_for_agency(audit, ids[name])
        assert all(answers[code].evidence == f"{name} evidence {code}" for code in expected)
    comments = services.domain_responses_for_agency(audit, ids["Police"])
    assert comments[1].comments == "Police finished domain 1 by keyboard"
    assert all(p.submitted_at is not None for p in audit.participants)


def test_a_reaudit_scoring_page_shows_the_previous_cycle_and_is_accessible(page, base_url, audit_scene):
    from datetime import date, datetime

    from hsbtrack.audits import services

    scene = audit_scene
    t1 = scene["audit"]
    police = scene["agencies"]["Police"]
    for code in [s.code for s in scene["framework"].domain(3).scored_statements]:
        services.save_response(t1, police.id, code, score=2, evidence=f"T1 evidence for {code}",
                               assurance="Annual audit")
    t1.opened_at = datetime(2025, 12, 1, 9, 0)  # (the baseline ran before it was completed)
    services.close_audit(t1, completed_on=date(2026, 1, 31), override_reason="closed as the test sets it up")
    t2 = services.open_audit(scene["area"], FRAMEWORK)
    browser_login(page, base_url, LEADS["Police"])
    page.goto(f"{base_url}/areas/{scene['area'].id}/audits/{t2.id}/agencies/{police.id}/domains/3")
    assert page.locator('[data-previous="3.1"]').inner_text().count("T1 evidence for 3.1") == 1
    page.check("#score-3-1-3")
    wait_for_autosave(page)
    assert page.inner_text("#status-3-1").startswith("Saved")
    axe_check(page)
    screenshot(page, "scoring_reaudit_domain3")
