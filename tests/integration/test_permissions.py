"""The permission model, as the people of one area meet it: who reads what, who scores for whom,
how the API authenticates, the role table and the download log.

The route-by-route proof (every URL as every role) is tests/integration/test_access_matrix.py; these are the
rules behind it, each shown the way a user would notice it."""

import re
from pathlib import Path

import pytest

from tests.conftest import api_headers, csrf_token, login

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def area_world(world):
    """Riverside with Police, Health and Education; an open audit in which Police and Health have
    scored 1.1 with evidence only they and the board may read."""
    from hsbtrack.audits.services import open_audit, save_response

    area = world.area("Riverside")
    police, health = world.agency(area, "Police"), world.agency(area, "Health")
    people = {
        "board": world.user("board@example.org", area, "board_manager"),
        "police_lead": world.user("police.lead@example.org", area, "agency_lead", agency=police),
        "health_lead": world.user("health.lead@example.org", area, "agency_lead", agency=health),
        "viewer": world.user("viewer@example.org", area, "viewer"),
        "training": world.user("training@example.org", area, "training_lead"),
    }
    audit = open_audit(area)
    save_response(audit, police.id, "1.1", score=2, evidence="POLICE-EVIDENCE-TEXT", assurance="")
    save_response(audit, health.id, "1.1", score=3, evidence="HEALTH-EVIDENCE-TEXT", assurance="")
    return area, audit, police, health, people


def test_an_agency_lead_scores_only_through_its_agency_lead_membership(client, world, area_world):
    """A Police agency lead who also holds a viewer membership tagged Health cannot write Health's
    responses (the old rule took agency ids from every membership)."""
    from hsbtrack.areas.services import add_area_member

    area, audit, police, health, people = area_world
    add_area_member(area, people["police_lead"].email, "viewer", health.id)
    headers = api_headers(people["police_lead"])
    url = f"/api/v1/audits/{audit.id}/responses/{{agency}}/1.2"
    refused = client.put(url.format(agency=health.id), json={"score": 1}, headers=headers)
    assert refused.status_code == 403, refused.get_data(as_text=True)
    assert refused.get_json()["error"]["code"] == "forbidden"
    allowed = client.put(url.format(agency=police.id), json={"score": 1}, headers=headers)
    assert allowed.status_code == 200, allowed.get_data(as_text=True)
    # and the scoring page of Health is refused as well; Police's opens
    login(client, people["police_lead"])
    base = f"/areas/{area.id}/audits/{audit.id}/agencies"
    assert client.get(f"{base}/{health.id}/domains/1").status_code == 403
    assert client.get(f"{base}/{police.id}/domains/1").status_code == 200


def test_an_agency_lead_reads_its_own_evidence_never_another_agencys(client, area_world):
    area, audit, police, health, people = area_world
    headers = api_headers(people["police_lead"])
    body = client.get(f"/api/v1/audits/{audit.id}/responses", headers=headers).get_data(as_text=True)
    assert "POLICE-EVIDENCE-TEXT" in body and "HEALTH-EVIDENCE-TEXT" not in body
    assert client.get(f"/api/v1/audits/{audit.id}/responses?agency_id={health.id}", headers=headers).status_code == 404
    login(client, people["police_lead"])
    page = client.get(f"/areas/{area.id}/audits/{audit.id}/statements/1.1").get_data(as_text=True)
    assert "POLICE-EVIDENCE-TEXT" in page and "HEALTH-EVIDENCE-TEXT" not in page
    # the agreed score (the lowest, 2) is theirs to read
    scores = client.get(f"/api/v1/audits/{audit.id}/scores", headers=headers).get_json()
    assert next(s for s in scores["statements"] if s["code"] == "1.1")["agreed"] == 2
    # every agency's evidence at once (moderation grid, exports) is the board's
    assert client.get(f"/areas/{area.id}/audits/{audit.id}/moderation").status_code == 404
    assert client.get(f"/api/v1/audits/{audit.id}/export.csv", headers=headers).status_code == 404


def test_an_area_may_share_evidence_between_agencies_once_all_have_submitted(client, area_world, world):
    from hsbtrack.audits.models import AuditAgency
    from hsbtrack.extensions import db
    from hsbtrack.timeutil import utcnow

    area, audit, police, health, people = area_world
    headers = api_headers(people["police_lead"])
    url = f"/api/v1/audits/{audit.id}/responses"
    area.settings = {**(area.settings or {}), "share_evidence_after_submission": True}
    db.session.commit()
    assert "HEALTH-EVIDENCE-TEXT" not in client.get(url, headers=headers).get_data(as_text=True)  # not all submitted
    for row in db.session.scalars(db.select(AuditAgency).where(AuditAgency.audit_id == audit.id)):
        row.submitted_at = utcnow()
    db.session.commit()
    assert "HEALTH-EVIDENCE-TEXT" in client.get(url, headers=headers).get_data(as_text=True)
    area.settings = {**area.settings, "share_evidence_after_submission": False}
    db.session.commit()
    assert "HEALTH-EVIDENCE-TEXT" not in client.get(url, headers=headers).get_data(as_text=True)


def test_a_training_lead_reads_agreed_scores_not_evidence_nor_the_plan(client, area_world):
    area, audit, _police, _health, people = area_world
    login(client, people["training"])
    assert client.get(f"/areas/{area.id}/audits/{audit.id}/overview").status_code == 200
    for path in (f"/areas/{area.id}/audits/{audit.id}/moderation", f"/areas/{area.id}/audits/{audit.id}/export.csv",
                 f"/areas/{area.id}/actions/", f"/areas/{area.id}/members"):
        response = client.get(path)
        assert response.status_code == 404, path
    statement = client.get(f"/areas/{area.id}/audits/{audit.id}/statements/1.1").get_data(as_text=True)
    assert "EVIDENCE-TEXT" not in statement


def test_members_and_their_addresses_only_for_those_who_manage_members(client, area_world):
    area, _audit, _police, _health, people = area_world
    for who in ("viewer", "police_lead", "training"):
        login(client, people[who])
        assert client.get(f"/areas/{area.id}/members").status_code == 404, who
        assert client.get(f"/api/v1/areas/{area.id}/members", headers=api_headers(people[who])).status_code == 404
        assert f"/areas/{area.id}/members" not in client.get(f"/areas/{area.id}/").get_data(as_text=True)  # no menu link
        client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    login(client, people["board"])
    page = client.get(f"/areas/{area.id}/members").get_data(as_text=True)
    assert "viewer@example.org" in page


def test_a_viewer_reads_the_dashboard_scores_and_plan_but_no_evidence(client, area_world):
    area, audit, _police, _health, people = area_world
    login(client, people["viewer"])
    dashboard = client.get(f"/areas/{area.id}/").get_data(as_text=True)
    assert "Action plan" in dashboard
    assert client.get(f"/areas/{area.id}/actions/").status_code == 200
    assert client.get(f"/areas/{area.id}/audits/{audit.id}/overview").status_code == 200
    statement = client.get(f"/areas/{area.id}/audits/{audit.id}/statements/1.1").get_data(as_text=True)
    assert "EVIDENCE-TEXT" not in statement
    # a write the viewer may read about answers 403, not 404
    response = client.post(f"/areas/{area.id}/audits/{audit.id}/statements/1.1/agreed",
                           data={"csrf_token": csrf_token(client, "/account"), "score": "4"})
    assert response.status_code == 403


# -- the API: token, or session with the CSRF header ----------------------------------------------


def test_the_api_takes_the_session_only_with_the_csrf_header(client, area_world):
    area, _audit, _police, _health, people = area_world
    login(client, people["board"])
    url = f"/api/v1/areas/{area.id}/audits"
    refused = client.get(url)
    assert refused.status_code == 401
    assert "X-CSRFToken" in refused.get_json()["error"]["message"]
    assert client.get(url, headers={"X-CSRFToken": "not-the-token"}).status_code == 401
    token = csrf_token(client, "/account")
    assert client.get(url, headers={"X-CSRFToken": token}).status_code == 200
    # writes too, with the same permission rules as a token
    response = client.post(f"/api/v1/areas/{area.id}/agencies", json={"name": "Probation"},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 201, response.get_data(as_text=True)


def test_the_roles_are_served_with_their_permissions(client, area_world):
    _area, _audit, _police, _health, people = area_world
    roles = client.get("/api/v1/roles", headers=api_headers(people["viewer"])).get_json()
    by_id = {r["id"]: r for r in roles}
    assert {"admin", "board_manager", "agency_lead", "viewer", "training_lead", "regional_coordinator",
            "case_worker", "school_lead"} <= set(by_id)
    assert "audit.responses.read" in by_id["board_manager"]["permissions"]
    assert "audit.responses.read" not in by_id["viewer"]["permissions"]
    assert "actions.read" not in by_id["school_lead"]["permissions"]
    assert "audit.read" not in by_id["case_worker"]["permissions"]


def test_the_role_table_in_the_docs_is_the_one_in_force():
    """docs/security.md carries the table `hsbtrack roles` prints (first-party plugins, no test plugin)."""
    from hsbtrack import create_app
    from hsbtrack.permissions import role_table_markdown
    from tests.conftest import app_config

    app = create_app(config=app_config())
    with app.app_context():
        table = role_table_markdown()
    docs = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- role-table:start -->\n(.*?)\n<!-- role-table:end -->", docs, re.S)
    assert block, "docs/security.md has lost its role table markers"
    assert block.group(1).strip() == table.strip(), "run `hsbtrack roles` and paste its table into docs/security.md"


def test_a_role_naming_an_undeclared_permission_stops_the_app():
    from hsbtrack import create_app
    from hsbtrack.areas.roles import Role
    from hsbtrack.plugins import hookimpl
    from tests.conftest import app_config

    class Typo:
        @staticmethod
        @hookimpl
        def hsbtrack_roles():
            return [Role("typo_role", "Typo", permissions=frozenset({"audit.raed"}))]

    with pytest.raises(RuntimeError, match="undeclared permissions"):
        create_app(config=app_config(), plugins={"typo": Typo})


# -- the download log -------------------------------------------------------------------------


def test_every_export_and_report_is_in_the_download_log(client, area_world, world):
    area, audit, _police, _health, people = area_world
    admin = world.user("admin@example.org", admin=True)
    login(client, people["board"])
    assert client.get(f"/areas/{area.id}/audits/{audit.id}/export.csv").status_code == 200
    assert client.get(f"/areas/{area.id}/audits/{audit.id}/report").status_code == 200
    assert client.get(f"/api/v1/audits/{audit.id}/export.xlsx", headers=api_headers(people["board"])).status_code == 200
    assert client.get(f"/areas/{area.id}/audits/{audit.id}/overview").status_code == 200  # a page, not a paper
    assert client.get("/admin/downloads").status_code == 404  # admins only

    from hsbtrack.downloads.services import recent

    entries = recent()
    assert [(e.user.email, e.kind, e.via, e.area_id) for e in reversed(entries)] == [
        ("board@example.org", "exports.csv_file", "page", area.id),
        ("board@example.org", "audit.report", "page", area.id),
        ("board@example.org", "api_audits.export_xlsx", "api", area.id),
    ]
    assert entries[0].filename.endswith(".xlsx")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    login(client, admin)
    page = client.get("/admin/downloads").get_data(as_text=True)
    assert page.count("board@example.org") == 3 and "api_audits.export_xlsx" in page
