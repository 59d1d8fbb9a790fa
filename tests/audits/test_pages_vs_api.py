"""Cross-check: three agencies score a whole audit through the HTML scoring pages in one area, and the
same scores through the JSON API in another; both give the same consolidated result (the agreed
score is the lowest unless moderated with a justification), and on both paths an agency lead can
score only for their own agency and a bad score changes nothing."""

import pytest
from sqlalchemy import func, select

from tests.conftest import api_headers, login, post_form

AGENCIES = ("Police", "Health", "Education")
EVIDENCE = "{agency}: evidence for {code} (case file audit, March)"
ASSURANCE = "Quarterly multi-agency QA of {code}"


def planned_score(agency_index: int, position: int) -> int:
    """Scores that differ between agencies, with spreads of 0 to 4 (so some disagreements)."""
    return (position * 7 + agency_index * 3 + (position % 3) * agency_index) % 5


class Side:
    """One area with its three agencies, their leads and a board manager, and an open audit."""

    def __init__(self, world, name):
        from hsbtrack.audits import services

        self.area = world.area(name, agencies=AGENCIES)
        self.agencies = [world.agency(self.area, a) for a in AGENCIES]
        slug = name.lower()
        self.board = world.user(f"board@{slug}.example", self.area, "board_manager")
        self.leads = [world.user(f"{a.name.lower()}@{slug}.example", self.area, "agency_lead", agency=a)
                      for a in self.agencies]
        self.audit = services.open_audit(self.area, user=self.board)
        self.framework = services.framework_of(self.audit)

    def plan(self):
        """``[(agency_index, domain, [(code, score, evidence, assurance), ...])]``."""
        position = {s.code: p for p, s in enumerate(self.framework.scored_statements)}
        plan = []
        for index, agency in enumerate(self.agencies):
            for domain in self.framework.domains:
                rows = [(s.code, planned_score(index, position[s.code]),
                         EVIDENCE.format(agency=agency.name, code=s.code), ASSURANCE.format(code=s.code))
                        for s in domain.scored_statements]
                plan.append((index, domain, rows))
        return plan


@pytest.fixture()
def sides(world):
    return Side(world, "Riverside"), Side(world, "Lakeside")


def _scoring_path(side, agency, number):
    return f"/areas/{side.area.id}/audits/{side.audit.id}/agencies/{agency.id}/domains/{number}"


def _form_for(rows, number):
    data = {"comments": f"Domain {number} comments", "date_completed": "2026-03-31", "domain_version": "0",
            "action": "save"}
    for code, score, evidence, assurance in rows:
        data.update({f"score-{code}": str(score), f"evidence-{code}": evidence, f"assurance-{code}": assurance,
                     f"version-{code}": "0"})
    return data


def score_through_pages(app, side):
    for index, domain, rows in side.plan():
        agency, lead = side.agencies[index], side.leads[index]
        client = app.test_client()
        login(client, lead)
        path = _scoring_path(side, agency, domain.number)
        response = post_form(client, path, _form_for(rows, domain.number))
        assert response.status_code == 302, response.get_data(as_text=True)[:1500]


def score_through_api(app, side):
    client = app.test_client()
    for index, domain, rows in side.plan():
        agency, headers = side.agencies[index], api_headers(side.leads[index])
        for code, score, evidence, assurance in rows:
            response = client.put(f"/api/v1/audits/{side.audit.id}/responses/{agency.id}/{code}",
                                  json={"score": score, "evidence": evidence, "assurance": assurance, "version": 0},
                                  headers=headers)
            assert response.status_code == 200, response.get_json()
        response = client.put(f"/api/v1/audits/{side.audit.id}/domain-responses/{agency.id}/{domain.number}",
                              json={"comments": f"Domain {domain.number} comments", "date_completed": "2026-03-31"},
                              headers=headers)
        assert response.status_code == 200, response.get_json()


def consolidated_by_name(app, side):
    """``GET /audits/<id>/scores`` with agency ids replaced by agency names (ids differ between areas)."""
    body = app.test_client().get(f"/api/v1/audits/{side.audit.id}/scores", headers=api_headers(side.board))
    assert body.status_code == 200
    data = body.get_json()
    names = {str(a.id): a.name for a in side.agencies}
    for statement in data["statements"]:
        statement["agency_scores"] = {names[k]: v for k, v in statement["agency_scores"].items()}
        statement.pop("version")
    return data


def responses_by_name(app, side):
    rows = app.test_client().get(f"/api/v1/audits/{side.audit.id}/responses",
                                 headers=api_headers(side.board)).get_json()
    names = {a.id: a.name for a in side.agencies}
    return sorted((names[r["agency_id"]], r["code"], r["score"], r["evidence"], r["assurance"]) for r in rows)


def response_count():
    from hsbtrack.audits.models import Response
    from hsbtrack.extensions import db

    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Response))


def test_pages_and_api_give_the_same_consolidated_result(app, sides):
    pages, api = sides
    score_through_pages(app, pages)
    score_through_api(app, api)

    from_pages, from_api = consolidated_by_name(app, pages), consolidated_by_name(app, api)
    assert len(from_pages["statements"]) == 46
    assert from_pages == from_api
    assert responses_by_name(app, pages) == responses_by_name(app, api)
    assert len(responses_by_name(app, pages)) == 46 * 3

    # The framework's rule: the agreed score is the lowest agency score when nobody has moderated.
    position = {s.code: p for p, s in enumerate(pages.framework.scored_statements)}
    disagreements = 0
    for statement in from_pages["statements"]:
        expected = {name: planned_score(i, position[statement["code"]]) for i, name in enumerate(AGENCIES)}
        assert statement["agency_scores"] == expected
        assert statement["agreed"] == statement["lowest"] == min(expected.values())
        assert statement["spread"] == max(expected.values()) - min(expected.values())
        assert statement["disagreement"] == (statement["spread"] >= 2)
        assert not statement["moderated"] and statement["justification"] == ""
        disagreements += statement["disagreement"]
    assert 0 < disagreements < 46  # the data exercises both cases

    # Both agencies' domain comments arrived the same way.
    for side in sides:
        comments = app.test_client().get(f"/api/v1/audits/{side.audit.id}/domain-responses",
                                         headers=api_headers(side.board)).get_json()
        assert len(comments) == 3 * 5
        assert {c["date_completed"] for c in comments} == {"2026-03-31"}

    # Moderation on both paths (the moderation page, the API): still the same, and the agreed score
    # is above the lowest only with a justification.
    code = next(s["code"] for s in from_pages["statements"] if s["lowest"] is not None and s["lowest"] < 3)
    raised = from_pages["statements"][[s["code"] for s in from_pages["statements"]].index(code)]["lowest"] + 1
    client = app.test_client()
    login(client, pages.board)
    statement_page = f"/areas/{pages.area.id}/audits/{pages.audit.id}/statements/{code}"
    refused = post_form(client, f"{statement_page}/agreed", {"score": str(raised), "justification": "",
                                                             "version": ""}, page=statement_page)
    assert refused.status_code == 422
    refused_api = app.test_client().put(f"/api/v1/audits/{api.audit.id}/scores/{code}", json={"score": raised},
                                        headers=api_headers(api.board))
    assert refused_api.status_code == 422 and "justification" in refused_api.get_json()["error"]["fields"]
    assert consolidated_by_name(app, pages) == consolidated_by_name(app, api) == from_pages

    why = "Agreed at the moderation meeting: the lower score reflected a pathway replaced in March"
    saved = post_form(client, f"{statement_page}/agreed", {"score": str(raised), "justification": why,
                                                           "version": ""}, page=statement_page)
    assert saved.status_code == 302, saved.get_data(as_text=True)[:1000]
    saved_api = app.test_client().put(f"/api/v1/audits/{api.audit.id}/scores/{code}",
                                      json={"score": raised, "justification": why}, headers=api_headers(api.board))
    assert saved_api.status_code == 200
    after_pages, after_api = consolidated_by_name(app, pages), consolidated_by_name(app, api)
    assert after_pages == after_api
    moderated = [s for s in after_pages["statements"] if s["moderated"]]
    assert [(s["code"], s["agreed"], s["justification"]) for s in moderated] == [(code, raised, why)]
    assert moderated[0]["agreed"] > moderated[0]["lowest"]


def test_agency_lead_scores_only_for_own_agency_on_both_paths(app, sides):
    pages, api = sides
    police_lead = 0
    health = pages.agencies[1]
    rows = next(rows for index, domain, rows in pages.plan() if index == 1 and domain.number == 1)

    # Pages: the police lead cannot open or post the health scoring page.
    client = app.test_client()
    login(client, pages.leads[police_lead])
    path = _scoring_path(pages, health, 1)
    assert client.get(path).status_code == 403
    own_page = _scoring_path(pages, pages.agencies[police_lead], 1)
    response = post_form(client, path, _form_for(rows, 1), page=own_page)
    assert response.status_code == 403
    assert response_count() == 0

    # API: the same lead's counterpart cannot PUT for health, whatever the body.
    headers = api_headers(api.leads[police_lead])
    api_client = app.test_client()
    for body in ({"score": 2, "evidence": "x"}, {"score": 9}):
        response = api_client.put(f"/api/v1/audits/{api.audit.id}/responses/{api.agencies[1].id}/1.1", json=body,
                                  headers=headers)
        assert response.status_code == 403
        assert response.get_json()["error"]["code"] == "forbidden"
    assert response_count() == 0

    # Each may score for their own agency.
    own_rows = next(rows for index, domain, rows in pages.plan() if index == police_lead and domain.number == 1)
    assert post_form(client, own_page, _form_for(own_rows, 1)).status_code == 302
    assert api_client.put(f"/api/v1/audits/{api.audit.id}/responses/{api.agencies[police_lead].id}/1.1",
                          json={"score": 2}, headers=headers).status_code == 200


@pytest.mark.parametrize("bad", ["5", "-1", "2.5", "x"])
def test_bad_scores_change_nothing_on_both_paths(app, sides, bad):
    pages, api = sides
    rows = next(rows for index, domain, rows in pages.plan() if index == 0 and domain.number == 1)
    client = app.test_client()
    login(client, pages.leads[0])
    form = _form_for(rows, 1)
    form[f"score-{rows[3][0]}"] = bad  # one bad score among eight good ones: nothing is saved
    response = post_form(client, _scoring_path(pages, pages.agencies[0], 1), form)
    assert response.status_code in (200, 422)
    assert "Score must be a whole number from 0 to 4" in response.get_data(as_text=True)
    assert response_count() == 0

    value = {"5": 5, "-1": -1, "2.5": 2.5, "x": "x"}[bad]
    response = app.test_client().put(f"/api/v1/audits/{api.audit.id}/responses/{api.agencies[0].id}/1.1",
                                     json={"score": value, "evidence": "e"}, headers=api_headers(api.leads[0]))
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"]["score"] == "Score must be a whole number from 0 to 4"
    assert response_count() == 0
