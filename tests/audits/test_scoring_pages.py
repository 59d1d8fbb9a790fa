"""The audit pages: opening an audit, the audit home, scoring a domain (form and autosave endpoints),
conflicts, permissions, re-audits, submitting, closing, and query counts that do not grow."""

import re
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from tests.conftest import OPENED_EARLIER, count_queries, csrf_token, login, post_form

FRAMEWORK = "nspcc-hsb-2019"


# -- helpers --------------------------------------------------------------------------------------


@pytest.fixture()
def scene(world):
    area = world.area("Riverside")
    police, health, education = (world.agency(area, n) for n in ("Police", "Health", "Education"))
    board = world.user("board@example.org", area, "board_manager")
    police_lead = world.user("police@example.org", area, "agency_lead", agency=police)
    health_lead = world.user("health@example.org", area, "agency_lead", agency=health)
    viewer = world.user("viewer@example.org", area, "viewer")
    other_area = world.area("Elsewhere", agencies=("Elsewhere Police",))
    outsider = world.user("outsider@example.org", other_area, "board_manager")
    return SimpleNamespace(area=area, police=police, health=health, education=education, board=board,
                           police_lead=police_lead, health_lead=health_lead, viewer=viewer, outsider=outsider)


def open_audit(scene, agencies=None, **kwargs):
    from hsbtrack.audits import services

    ids = [a.id for a in (agencies or (scene.police, scene.health, scene.education))]
    return services.open_audit(scene.area, FRAMEWORK, agency_ids=ids, user=scene.board, opened_at=OPENED_EARLIER, **kwargs)


def framework():
    from hsbtrack.audits import services

    return services.catalogue().get(FRAMEWORK)


def domain_codes(number):
    return [s.code for s in framework().domain(number).scored_statements]


def score_url(area_id, audit_id, agency_id, number=1):
    return f"/areas/{area_id}/audits/{audit_id}/agencies/{agency_id}/domains/{number}"


def response_url(area_id, audit_id, agency_id, code):
    """Where the scoring page's autosave sends one answer: the API, with the page's session."""
    return f"/api/v1/audits/{audit_id}/responses/{agency_id}/{code}"


def comments_url(audit_id, agency_id, number=1):
    return f"/api/v1/audits/{audit_id}/domain-responses/{agency_id}/{number}"


def domain_form(number, scores, evidence="Case audit", versions=None, **extra):
    data = {}
    for code in domain_codes(number):
        if code in scores:
            data[f"score-{code}"] = str(scores[code])
        data[f"evidence-{code}"] = f"{evidence} {code}"
        data[f"assurance-{code}"] = f"Assurance {code}"
        data[f"version-{code}"] = str((versions or {}).get(code, 0))
    data.update(extra)
    return data


def responses(audit, agency):
    from hsbtrack.audits import services
    from hsbtrack.extensions import db

    db.session.expire_all()
    return services.responses_for_agency(audit, agency.id)


def all_rows():
    """Every answer and history entry, to prove a refused request changed nothing."""
    from hsbtrack.audits.models import DomainResponse, Response
    from hsbtrack.extensions import db
    from hsbtrack.history.models import HistoryEntry

    db.session.expire_all()
    return (
        sorted((r.audit_id, r.agency_id, r.code, r.score, r.evidence, r.assurance, r.version)
               for r in db.session.scalars(select(Response))),
        sorted((r.domain, r.comments, r.date_completed, r.version) for r in db.session.scalars(select(DomainResponse))),
        db.session.scalar(select(func.count()).select_from(HistoryEntry)),
    )


def json_headers(client, page):
    return {"X-CSRFToken": csrf_token(client, page), "Accept": "application/json"}


def text(response):
    return response.get_data(as_text=True)


def plain(response):
    """The page's text without tags or repeated spaces (messages may be split over lines)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text(response)))


# -- opening an audit -----------------------------------------------------------------------------


def test_board_manager_opens_an_audit_through_the_page(client, scene):
    from hsbtrack.audits.models import Audit
    from hsbtrack.extensions import db

    login(client, scene.board)
    page = client.get(f"/areas/{scene.area.id}/audits/new")
    assert page.status_code == 200
    html = text(page)
    # every agency ticked by default, the NSPCC framework chosen
    for agency in (scene.police, scene.health, scene.education):
        assert re.search(rf'<input[^>]*value="{agency.id}"[^>]*checked', html), agency.name
    assert re.search(rf'<option[^>]*value="{FRAMEWORK}"[^>]*selected', html)

    # no agency ticked: a message next to the field, and nothing created
    response = post_form(client, f"/areas/{scene.area.id}/audits/new",
                         {"framework": FRAMEWORK, "title": "Baseline"}, page=f"/areas/{scene.area.id}/audits/new")
    assert response.status_code == 200
    assert "Choose at least one agency to take part" in text(response)
    assert 'id="agency_ids-error"' in text(response)
    assert db.session.scalar(select(func.count()).select_from(Audit)) == 0

    # an unknown framework: refused too
    response = post_form(client, f"/areas/{scene.area.id}/audits/new",
                         {"framework": "nope", "agency_ids": [str(scene.police.id)]})
    assert response.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(Audit)) == 0

    response = post_form(client, f"/areas/{scene.area.id}/audits/new",
                         {"framework": FRAMEWORK, "title": "", "agency_ids": [str(scene.police.id), str(scene.health.id)]})
    assert response.status_code == 302
    audit = db.session.scalars(select(Audit)).one()
    assert response.headers["Location"].endswith(f"/areas/{scene.area.id}/audits/{audit.id}/")
    assert audit.cycle == 1 and audit.framework == FRAMEWORK
    assert sorted(p.agency_id for p in audit.participants) == sorted([scene.police.id, scene.health.id])

    home = client.get(f"/areas/{scene.area.id}/audits/{audit.id}/")
    assert home.status_code == 200
    assert "Police" in text(home) and "Health" in text(home) and "Education" not in text(home)
    assert "0 of 46 scored" in plain(home)


def test_only_board_managers_open_audits(client, scene):
    login(client, scene.police_lead)
    assert client.get(f"/areas/{scene.area.id}/audits/new").status_code == 403
    index = client.get(f"/areas/{scene.area.id}/audits/")
    assert index.status_code == 200
    assert "/audits/new" not in text(index)


def test_audit_list_shows_audits_and_the_schedule_after_closing(client, scene):
    from hsbtrack.audits import services

    audit = open_audit(scene)
    login(client, scene.board)
    index = client.get(f"/areas/{scene.area.id}/audits/")
    assert index.status_code == 200
    assert audit.title in text(index) and "T1" in text(index)
    # T1 is open: the next one of the same framework waits until it is closed
    assert "T1 of Harmful sexual behaviour framework is open" in text(index)

    home = f"/areas/{scene.area.id}/audits/{audit.id}/"
    page = client.get(home)
    assert "not submitted their scores" in plain(page)  # the audit page warns before the close check
    close = f"/areas/{scene.area.id}/audits/{audit.id}/close"
    response = post_form(client, close, {"completed_on": ["30", "2", "2026"], "override_reason": "Closing early"},
                         page=close)
    assert response.status_code == 422
    assert "Date completed must be a real date" in text(response)
    assert services.get_audit(audit.id).is_open

    response = post_form(client, close, {"completed_on": ["31", "1", "2026"],
                                         "override_reason": "The board agreed to close with the returns in"}, page=close)
    assert response.status_code == 302
    page = client.get(home)
    assert "T2 due on 31 July 2026" in plain(page)
    assert "T3 due on 31 January 2027" in plain(page)
    index = client.get(f"/areas/{scene.area.id}/audits/")
    assert 'data-due-on="2026-07-31"' in text(index) and 'data-due-on="2027-01-31"' in text(index)
    assert f"/areas/{scene.area.id}/audits/new" in text(index)
    assert "is open" not in text(index)


# -- scoring --------------------------------------------------------------------------------------


def test_scoring_a_domain_through_the_form_saves_every_item_and_its_history(client, scene):
    from hsbtrack.extensions import db
    from hsbtrack.history.models import HistoryEntry

    audit = open_audit(scene)
    login(client, scene.police_lead)
    url = score_url(scene.area.id, audit.id, scene.police.id, 1)
    page = client.get(url)
    assert page.status_code == 200
    html = text(page)
    # the printed tool: scoring key, 1.6 a heading (no radios), its children scored, both text boxes
    assert "Not at all/never/no evidence for this" in html
    assert 'name="score-1.6"' not in html and 'name="score-1.6a"' in html
    assert "Evidence supporting this score" in html
    assert "Assurance systems in place locally for QA/evidencing this statement" in html
    assert '<legend class="govuk-fieldset__legend' in html
    assert "0 of 10 scored" in plain(page)

    codes = domain_codes(1)
    scores = {code: i % 5 for i, code in enumerate(codes)}
    data = domain_form(1, scores, comments="Domain one is done", date_completed="2026-03-31", action="next")
    response = post_form(client, url, data)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(score_url(scene.area.id, audit.id, scene.police.id, 2))

    saved = responses(audit, scene.police)
    assert {c: r.score for c, r in saved.items()} == scores
    assert saved["1.6a"].evidence == "Case audit 1.6a" and saved["1.6a"].assurance == "Assurance 1.6a"
    history = db.session.scalars(select(HistoryEntry).where(HistoryEntry.entity == "response")).all()
    assert len(history) == 3 * len(codes)
    assert {h.user_id for h in history} == {scene.police_lead.id}
    from hsbtrack.audits import services

    domain = services.domain_responses_for_agency(audit, scene.police.id)[1]
    assert domain.comments == "Domain one is done" and domain.date_completed == date(2026, 3, 31)

    page = client.get(url)
    assert "10 of 10 scored" in plain(page)
    assert 'value="3" checked' in text(page)

    # saving again unchanged writes nothing
    before = all_rows()
    versions = {c: r.version for c, r in saved.items()}
    response = post_form(client, url, domain_form(1, scores, versions=versions, comments="Domain one is done",
                                                  date_completed="2026-03-31", domain_version="1", action="save"))
    assert response.status_code == 302
    assert all_rows() == before


def test_autosave_endpoint_saves_one_item_and_returns_the_new_version(client, scene):
    audit = open_audit(scene)
    login(client, scene.police_lead)
    page = score_url(scene.area.id, audit.id, scene.police.id, 1)
    headers = json_headers(client, page)
    url = response_url(scene.area.id, audit.id, scene.police.id, "1.2")

    # the page names the API as the place each answer goes
    assert f'data-autosave-url="{url}"' in text(client.get(page))
    response = client.put(url, json={"score": 2, "evidence": "Police audit", "assurance": "", "version": 0},
                          headers=headers)
    assert response.status_code == 200, text(response)
    body = response.get_json()
    assert body["version"] == 1
    assert body["updated_at"]
    assert body["progress"]["scored"] == 1 and body["progress"]["total"] == 46
    assert body["progress"]["domains"]["1"] == {"scored": 1, "total": 10}

    response = client.put(url, json={"score": 3, "version": 1}, headers=headers)
    assert response.status_code == 200
    assert response.get_json()["version"] == 2
    row = responses(audit, scene.police)["1.2"]
    assert (row.score, row.evidence, row.version) == (3, "Police audit", 2)  # evidence untouched

    # the domain's comments and date, the same way
    comments = comments_url(audit.id, scene.police.id)
    response = client.put(comments, json={"comments": "So far so good", "date_completed": "2026-04-01",
                                          "version": 0}, headers=headers)
    assert response.status_code == 200, text(response)
    assert response.get_json()["version"] == 1
    response = client.put(comments, json={"comments": "x", "date_completed": "31/04/2026", "version": 1},
                          headers=headers)
    assert response.status_code == 422
    assert "date_completed" in response.get_json()["error"]["fields"]

    # without the CSRF header: refused
    response = client.put(url, json={"score": 1, "version": 2})
    assert response.status_code == 401
    assert responses(audit, scene.police)["1.2"].score == 3


@pytest.mark.parametrize("bad", ["5", "-1", "2.5", "x"])
def test_a_score_outside_0_to_4_is_refused_and_nothing_changes(client, scene, bad):
    audit = open_audit(scene)
    login(client, scene.police_lead)
    url = score_url(scene.area.id, audit.id, scene.police.id, 1)
    from hsbtrack.audits import services

    services.save_response(audit, scene.police.id, "1.1", score=1, evidence="Before", user=scene.police_lead)
    before = all_rows()

    # the whole-domain form: message next to the statement, nothing saved (not even the good ones)
    scores = {code: 2 for code in domain_codes(1)}
    scores["1.3"] = bad
    response = post_form(client, url, domain_form(1, scores, versions={"1.1": 1}, comments="Should not save"))
    assert response.status_code == 200
    html = text(response)
    assert "Score must be a whole number from 0 to 4" in html
    assert 'id="score-1-3-error"' in html
    assert 'href="#score-1-3-0"' in html  # the error summary links to the statement
    assert all_rows() == before

    # the autosave endpoint: 422 with the field, nothing saved
    headers = json_headers(client, url)
    value = {"5": 5, "-1": -1, "2.5": 2.5, "x": "x"}[bad]
    response = client.put(response_url(scene.area.id, audit.id, scene.police.id, "1.1"),
                          json={"score": value, "evidence": "After", "version": 1}, headers=headers)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["fields"]["score"] == "Score must be a whole number from 0 to 4"
    assert error["message"]
    assert all_rows() == before


def test_an_agency_lead_scores_only_for_their_own_agency(client, scene):
    audit = open_audit(scene)
    before = all_rows()
    login(client, scene.police_lead)
    own = score_url(scene.area.id, audit.id, scene.police.id)
    assert client.get(own).status_code == 200
    headers = json_headers(client, own)

    health_page = score_url(scene.area.id, audit.id, scene.health.id)
    assert client.get(health_page).status_code == 403
    assert post_form(client, health_page, domain_form(1, {"1.1": 4}), page=own).status_code == 403
    response = client.put(response_url(scene.area.id, audit.id, scene.health.id, "1.1"),
                          json={"score": 4, "version": 0}, headers=headers)
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    response = client.put(comments_url(audit.id, scene.health.id), json={"comments": "x", "version": 0},
                          headers=headers)
    assert response.status_code == 403
    submit = post_form(client, f"/areas/{scene.area.id}/audits/{audit.id}/agencies/{scene.health.id}/submit", {},
                       page=own)
    assert submit.status_code == 403
    assert all_rows() == before

    # the audit home links only to the lead's own scoring page
    home = text(client.get(f"/areas/{scene.area.id}/audits/{audit.id}/"))
    assert "Score for Police" in home and "Score for Health" not in home

    # a viewer may not score at all; someone without a role in the area does not see the audit
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    login(client, scene.viewer)
    assert client.get(own).status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    login(client, scene.outsider)
    assert client.get(own).status_code == 404
    assert client.get(f"/areas/{scene.area.id}/audits/{audit.id}/").status_code == 404
    response = client.put(response_url(scene.area.id, audit.id, scene.police.id, "1.1"),
                          json={"score": 4, "version": 0},
                           headers={"X-CSRFToken": csrf_token(client, "/account")})
    assert response.status_code == 404
    assert all_rows() == before


def test_board_manager_scores_for_any_agency_but_not_for_agencies_outside_the_audit(client, scene):
    audit = open_audit(scene, agencies=[scene.police, scene.health])
    login(client, scene.board)
    assert client.get(score_url(scene.area.id, audit.id, scene.health.id)).status_code == 200
    assert client.get(score_url(scene.area.id, audit.id, scene.education.id)).status_code == 404
    assert client.get(score_url(scene.area.id, audit.id, scene.police.id, 6)).status_code == 404


def test_a_stale_version_is_a_conflict_and_nothing_is_overwritten(client, scene):
    from hsbtrack.audits import services

    audit = open_audit(scene)
    services.save_response(audit, scene.police.id, "1.1", score=1, evidence="Mine", user=scene.police_lead)
    # someone else changes it in the meantime (version 1 -> 2)
    services.save_response(audit, scene.police.id, "1.1", score=3, evidence="Theirs", user=scene.board)
    services.save_response(audit, scene.police.id, "1.2", score=0, evidence="Theirs too", user=scene.board)
    login(client, scene.police_lead)
    url = score_url(scene.area.id, audit.id, scene.police.id)
    headers = json_headers(client, url)
    before = all_rows()

    response = client.put(response_url(scene.area.id, audit.id, scene.police.id, "1.1"),
                          json={"score": 4, "evidence": "Mine, changed", "version": 1}, headers=headers)
    assert response.status_code == 409
    assert "Someone else" in response.get_json()["error"]["message"]
    # the client saw no answer (version 0) but one exists now: a conflict too
    response = client.put(response_url(scene.area.id, audit.id, scene.police.id, "1.2"),
                          json={"score": 4, "version": 0}, headers=headers)
    assert response.status_code == 409
    assert all_rows() == before

    # the form: the stale statement shows the conflict and keeps the other person's answer; the
    # other statements of the domain are saved
    data = domain_form(1, {"1.1": 4, "1.3": 2}, versions={"1.1": 1, "1.2": 1})
    data["evidence-1.2"] = "Theirs too"
    data["assurance-1.2"] = ""
    data["score-1.2"] = "0"
    response = post_form(client, url, data)
    assert response.status_code == 409
    page = plain(response)
    assert "Someone else saved an answer to 1.1" in page
    assert "Your answer (not saved)" in page and "Case audit 1.1" in page
    saved = responses(audit, scene.police)
    assert (saved["1.1"].score, saved["1.1"].evidence) == (3, "Theirs")
    assert (saved["1.2"].score, saved["1.2"].evidence) == (0, "Theirs too")  # unchanged: no conflict
    assert saved["1.3"].score == 2
    assert f'name="version-1.1" value="{saved["1.1"].version}"' in text(response)


def test_a_reaudit_shows_the_previous_score_and_evidence(client, scene):
    from hsbtrack.audits import services

    t1 = open_audit(scene)
    services.save_response(t1, scene.police.id, "1.4", score=3, evidence="The 2025 case file audit",
                           user=scene.board)
    services.close_audit(t1, user=scene.board, completed_on=date(2026, 1, 15), override_reason="closed as the test sets it up")
    t2 = open_audit(scene)
    assert t2.previous_id == t1.id

    login(client, scene.police_lead)
    page = client.get(score_url(scene.area.id, t2.id, scene.police.id, 1))
    assert page.status_code == 200
    html = text(page)
    block = html[html.index('data-previous="1.4"'):]
    block = block[:block.index("</div>")]
    assert "data-previous-score>3<" in block
    assert "The 2025 case file audit" in block
    assert "In T1 (for reference)" in html
    assert 'name="score-1.4"' in html and 'value="3" checked' not in html  # starts empty
    home = text(client.get(f"/areas/{scene.area.id}/audits/{t2.id}/"))
    assert f'href="/areas/{scene.area.id}/audits/{t1.id}/"' in home

    # the closed T1 is read-only
    page = client.get(score_url(scene.area.id, t1.id, scene.police.id, 1))
    assert page.status_code == 200
    assert 'type="radio"' not in text(page) and "This audit is closed" in text(page)
    response = post_form(client, score_url(scene.area.id, t1.id, scene.police.id, 1), domain_form(1, {"1.1": 4}),
                         page=score_url(scene.area.id, t2.id, scene.police.id, 1))
    assert response.status_code == 409
    headers = json_headers(client, score_url(scene.area.id, t2.id, scene.police.id, 1))
    response = client.put(response_url(scene.area.id, t1.id, scene.police.id, "1.1"),
                          json={"score": 4, "version": 0}, headers=headers)
    assert response.status_code == 409
    assert "closed" in response.get_json()["error"]["message"]


def test_submit_refuses_while_statements_are_blank_and_accepts_when_complete(client, scene):
    from hsbtrack.audits import services

    audit = open_audit(scene)
    for code in [s.code for s in framework().scored_statements][:-2]:
        services.save_response(audit, scene.police.id, code, score=2, user=scene.police_lead)
    login(client, scene.police_lead)
    home = f"/areas/{scene.area.id}/audits/{audit.id}/"
    submit = f"/areas/{scene.area.id}/audits/{audit.id}/agencies/{scene.police.id}/submit"
    # (issue 15, finding 4: submitting goes through a confirmation page, which lists what is blank)
    response = post_form(client, submit, {}, page=submit)
    assert response.status_code == 422
    assert "Score all 46 statements before submitting: 2 are still blank" in text(response)
    assert 'id="submit-error"' in text(response)
    assert services.participants(audit)[2][0].submitted_at is None  # Police, by name: Education, Health, Police

    for code in [s.code for s in framework().scored_statements][-2:]:
        services.save_response(audit, scene.police.id, code, score=1, user=scene.police_lead)
    response = post_form(client, submit, {}, page=submit)
    assert response.status_code == 302
    page = client.get(home)
    assert "Police has submitted its scores" in text(page)
    row = next(p for p, a in services.participants(audit) if a.id == scene.police.id)
    assert row.submitted_at is not None


# -- query counts ---------------------------------------------------------------------------------


def _build_area(world, name, agencies, cycles, board_email):
    """An area with ``agencies`` agencies and ``cycles`` audits (all but the last closed), every
    agency having scored every statement of every cycle."""
    from hsbtrack.audits import services
    from hsbtrack.audits.models import Response
    from hsbtrack.extensions import db

    area = world.area(name, agencies=[f"Agency {i}" for i in range(agencies)])
    board = world.user(board_email, area, "board_manager")
    codes = [s.code for s in framework().scored_statements]
    audit = None
    for cycle in range(cycles):
        if audit is not None:
            services.close_audit(audit, user=board, completed_on=date(2025, 1, 1) + timedelta(days=200 * cycle), override_reason="closed as the test sets it up")
        audit = services.open_audit(area, FRAMEWORK, user=board, opened_at=OPENED_EARLIER)
        db.session.add_all(Response(audit_id=audit.id, agency_id=a.id, code=code, score=(i + a.id) % 5,
                                    evidence=f"Evidence {code}", assurance="QA")
                           for a in area.agencies for i, code in enumerate(codes))
        db.session.commit()
    return area, audit, area.agencies[0]


def _count(app, client, url):
    client.get(url)  # warm up (first-request work does not count)
    with count_queries(app) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return queries()


def test_audit_home_and_scoring_page_run_the_same_number_of_queries_however_big(app, client, world):
    board = "board@example.org"
    small = _build_area(world, "Small", agencies=2, cycles=1, board_email=board)
    wide = _build_area(world, "Wide", agencies=8, cycles=1, board_email=board)
    long = _build_area(world, "Long", agencies=2, cycles=3, board_email=board)
    big = _build_area(world, "Big", agencies=8, cycles=3, board_email=board)
    login(client, board)
    counts = {}
    for label, (area, audit, agency) in {"small": small, "wide": wide, "long": long, "big": big}.items():
        counts[label] = (
            _count(app, client, f"/areas/{area.id}/audits/{audit.id}/"),
            _count(app, client, score_url(area.id, audit.id, agency.id, 4)),
            _count(app, client, f"/areas/{area.id}/audits/"),
        )
    assert counts["small"] == counts["wide"] == counts["long"] == counts["big"], counts
    home, scoring, index = counts["small"]
    # the scoring page also lists each statement's documents and those to re-confirm (issue 16): 16
    assert home <= 15 and scoring <= 16 and index <= 15, counts


def test_evidence_holding_a_nul_character_is_refused_at_the_statement_and_nothing_is_saved(client, scene):
    """PostgreSQL text cannot hold a NUL (it was a server error there): the scoring page says so at the
    statement, with every other statement's answer left unsaved."""
    audit = open_audit(scene)
    login(client, scene.police_lead)
    url = score_url(scene.area.id, audit.id, scene.police.id, 1)
    before = all_rows()
    data = domain_form(1, {code: 2 for code in domain_codes(1)})
    data["evidence-1.2"] = "Case\x00audit"
    response = post_form(client, url, data)
    assert response.status_code == 200
    html = text(response)
    assert "1.2: Text cannot contain the NUL character (0x00)" in html
    assert 'href="#evidence-1-2"' in html
    assert all_rows() == before
