"""A baseline done elsewhere (issue 21): recorded by the board as a closed first cycle with agreed scores,
labelled "imported baseline" wherever it shows, compared against by the next cycle, scheduling no re-audit
unless asked, its date only a real date not in the future, its creation in the history."""

import html
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from hsbtrack.audits import baselines, services
from hsbtrack.audits.models import ScheduledAudit
from hsbtrack.errors import ConflictError, ServiceError
from hsbtrack.extensions import db
from hsbtrack.history.models import HistoryEntry
from tests.audits.test_overview import rows, table
from tests.conftest import api_headers, csrf_token, login

LABEL = "T1 (imported baseline)"


@pytest.fixture()
def scene(world):
    area = world.area("Riverside", agencies=("Police", "Health"))
    return type("Scene", (), {
        "area": area, "police": world.agency(area, "Police"),
        "board": world.user("board@example.org", area, "board_manager"),
        "viewer": world.user("viewer@example.org", area, "viewer"),
        "lead": world.user("lead@example.org", area, "agency_lead", agency=world.agency(area, "Police")),
    })()


def _page(scene):
    return f"/areas/{scene.area.id}/audits/imported-baseline"


def _form(client, scene, **values):
    data = {"csrf_token": csrf_token(client, _page(scene)), "completed_on": ["27", "3", "2024"],
            "title": "", "note": "On the NSPCC spreadsheet", **values}
    return client.post(_page(scene), data=data)


def test_the_board_records_one_on_the_page_and_it_is_labelled(client, scene):
    login(client, scene.board)
    assert 'id="imported-baseline"' in client.get(f"/areas/{scene.area.id}/audits/").get_data(as_text=True)
    response = _form(client, scene, **{"score-1.1": "1", "score-1.2": "3", "comment-1.2": "Agreed in March",
                                       "score-2.2": ""})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    audit = services.audits_for_area(scene.area.id)[0]
    assert audit.imported and audit.status == "closed" and audit.cycle == 1
    assert audit.completed_on == date(2024, 3, 27) and audit.import_note == "On the NSPCC spreadsheet"
    assert not audit.participants
    agreed = services.consolidated(audit).by_code
    assert (agreed["1.1"].agreed, agreed["1.2"].agreed, agreed["2.2"].agreed) == (1, 3, None)
    assert agreed["1.2"].justification == "Agreed in March" and not agreed["1.2"].stale
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert LABEL in detail and "On the NSPCC spreadsheet" in detail
    listing = client.get(f"/areas/{scene.area.id}/audits/").get_data(as_text=True)
    assert LABEL in listing
    assert 'id="imported-baseline"' not in listing  # only before the first cycle
    # its creation is in the history, with every agreed score, as the board manager
    entries = list(db.session.scalars(select(HistoryEntry).where(HistoryEntry.audit_id == audit.id)))
    assert {(e.entity, e.field) for e in entries} >= {("audit", "imported"), ("audit", "completed_on"),
                                                      ("agreed_score", "score"), ("agreed_score", "justification")}
    assert {e.user_id for e in entries} == {scene.board.id}
    # no re-audit scheduled (not asked)
    assert not db.session.scalars(select(ScheduledAudit)).all()
    # it cannot be reopened
    assert not services.may_reopen(audit)
    with pytest.raises(ConflictError):
        services.reopen_audit(audit, user=scene.board, reason="no")


def test_every_mistake_at_once_and_nothing_saved(client, scene):
    login(client, scene.board)
    future = date.today() + timedelta(days=3)
    response = _form(client, scene, completed_on=[str(future.day), str(future.month), str(future.year)],
                     **{"score-1.1": "5", "comment-1.2": "x" * 20_001})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "cannot be in the future" in page
    assert "1.1: Score must be a whole number from 0 to 4" in page
    assert "1.2: Must be 20000 characters or fewer" in page
    assert "govuk-error-summary" in page
    assert services.audits_for_area(scene.area.id) == []
    response = _form(client, scene, completed_on=["31", "2", "2024"])
    assert "must be a real date" in response.get_data(as_text=True)
    response = _form(client, scene)
    assert "Enter at least one agreed score" in response.get_data(as_text=True)
    assert services.audits_for_area(scene.area.id) == []


def test_only_as_the_first_cycle(client, scene):
    services.open_audit(scene.area, user=scene.board)
    login(client, scene.board)
    page = client.get(_page(scene)).get_data(as_text=True)
    assert 'id="baseline-not-allowed"' in page and 'id="baseline-form"' not in page
    with pytest.raises(ConflictError):
        baselines.create_imported_baseline(scene.area, completed_on="2024-03-27", scores={"1.1": 1}, user=scene.board)


def test_others_may_not_record_one(client, scene):
    login(client, scene.lead)
    assert client.get(_page(scene)).status_code == 403
    headers = api_headers(scene.viewer)
    response = client.post(f"/api/v1/areas/{scene.area.id}/imported-baselines", headers=headers,
                           json={"completed_on": "2024-03-27", "scores": {"1.1": 2}})
    assert response.status_code == 403
    assert services.audits_for_area(scene.area.id) == []


def test_the_api_records_one_and_schedules_re_audits_only_when_asked(client, scene, world):
    headers = api_headers(scene.board)
    url = f"/api/v1/areas/{scene.area.id}/imported-baselines"
    bad = client.post(url, headers=headers, json={"completed_on": "2999-01-01", "scores": {"1.1": 9, "9.9": 1}})
    assert bad.status_code == 422
    fields = bad.get_json()["error"]["fields"]
    assert {"completed_on", "score-1.1", "score-9.9"} <= set(fields)
    response = client.post(url, headers=headers, json={"completed_on": "2024-03-27", "scores": {"1.1": 2, "1.2": None},
                                                       "comments": {"1.1": "Paper tool"}, "schedule_reaudits": True})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["label"] == LABEL and body["imported"] is True and body["scores"] == {"1.1": 2}
    slots = {s.cycle: s.due_on for s in db.session.scalars(select(ScheduledAudit))}
    assert slots == {2: date(2024, 9, 27), 3: date(2025, 3, 27)}
    again = client.post(url, headers=headers, json={"completed_on": "2024-03-27", "scores": {"1.1": 2}})
    assert again.status_code == 409
    audit = client.get(f"/api/v1/audits/{body['id']}", headers=headers).get_json()
    assert audit["label"] == LABEL


def test_the_next_cycle_compares_against_it(client, scene):
    t1 = baselines.create_imported_baseline(scene.area, completed_on="2024-03-27", scores={"1.1": 1, "1.2": 3},
                                            user=scene.board)
    t2 = services.open_audit(scene.area, user=scene.board)
    assert (t2.cycle, t2.previous_id) == (2, t1.id)
    services.save_response(t2, scene.police.id, "1.1", score=3, user=scene.board)
    services.save_response(t2, scene.police.id, "1.2", score=3, user=scene.board)
    login(client, scene.viewer)
    page = client.get(f"/areas/{scene.area.id}/audits/compare?audits={t1.id},{t2.id}").get_data(as_text=True)
    domains = rows(table(page, "compare-domains"))
    assert domains[0][1] == LABEL
    statements = rows(table(page, "compare-domain-1"))
    assert statements[1][0] == "1.1" and statements[1][2:] == ["1", "3", "▲ up 2"]
    assert statements[2][0] == "1.2" and statements[2][2:] == ["3", "3", "= no change"]
    overview = client.get(f"/areas/{scene.area.id}/audits/{t2.id}/overview").get_data(as_text=True)
    assert LABEL in html.unescape(overview)
    # the graph's key names it too
    src = html.unescape(re.search(r'<img src="([^"]+domains\.svg[^"]*)"', overview).group(1))
    assert LABEL in client.get(src).get_data(as_text=True)
    # closing T2 schedules nothing either (it is not a baseline), and T1 was never scheduled from
    assert not db.session.scalars(select(ScheduledAudit)).all()


def test_the_service_checks_scores_and_comments_of_scored_statements_only(scene):
    with pytest.raises(ServiceError) as error:
        baselines.create_imported_baseline(scene.area, completed_on="2024-03-27", scores={"1.6": 2}, user=scene.board)
    assert "score-1.6" in error.value.fields


def test_its_own_pages_reports_and_exports_say_so(client, scene):
    import io
    import zipfile

    t1 = baselines.create_imported_baseline(scene.area, completed_on="2024-03-27", scores={"1.1": 1},
                                            comments={"1.1": "From the paper tool"}, user=scene.board)
    login(client, scene.board)
    base = f"/areas/{scene.area.id}/audits/{t1.id}"
    for path in ("/overview", "/report"):
        response = client.get(base + path)
        assert response.status_code == 200, path
        assert LABEL in html.unescape(response.get_data(as_text=True)), path
    export = client.get(base + "/export.xlsx")
    assert export.status_code == 200
    with zipfile.ZipFile(io.BytesIO(export.get_data())) as archive:
        xml = b"".join(archive.read(n) for n in archive.namelist() if n.endswith(".xml")).decode()
    assert LABEL in xml
    csv_text = client.get(base + "/export.csv").get_data(as_text=True)
    import csv

    row = next(r for r in csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff"))) if r["code"] == "1.1")
    assert (row["cycle"], row["evidence"], row["agreed"]) == (LABEL, "From the paper tool", "1")
