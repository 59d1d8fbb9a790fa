"""The offline return workbook (issue 21): download an agency's return as XLSX, fill it in with openpyxl
as a person would in Excel, upload it, check the preview, save — with every bad cell reported by sheet
and cell, nothing saved before "Save these changes", conflicts with answers changed online after the
download listed and not overwritten, and another return's workbook refused."""

import io
import re

import pytest
from openpyxl import Workbook, load_workbook

from tests.conftest import OPENED_EARLIER, api_headers, csrf_token, login

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Scene:
    def __init__(self, world):
        from hsbtrack.audits import services

        self.services = services
        self.area = world.area("Riverside", agencies=("Police", "Health"))
        self.police = world.agency(self.area, "Police")
        self.health = world.agency(self.area, "Health")
        self.board = world.user("board@example.org", self.area, "board_manager")
        self.lead = world.user("lead@example.org", self.area, "agency_lead", agency=self.police)
        self.health_lead = world.user("health@example.org", self.area, "agency_lead", agency=self.health)
        self.audit = services.open_audit(self.area, user=self.board, opened_at=OPENED_EARLIER)
        services.save_response(self.audit, self.police.id, "1.1", score=2, evidence="Old evidence", assurance="QA",
                               user=self.lead)
        services.save_response(self.audit, self.police.id, "2.3", score=1, evidence="Thin", user=self.lead)

    def base(self, agency=None):
        agency = agency or self.police
        return f"/areas/{self.area.id}/audits/{self.audit.id}/agencies/{agency.id}/offline"

    def answer(self, code, agency=None):
        from hsbtrack.extensions import db

        db.session.expire_all()
        row = self.services.responses_for_agency(self.audit, (agency or self.police).id).get(code)
        return (row.score, row.evidence, row.assurance) if row else None


@pytest.fixture()
def scene(world):
    return Scene(world)


def _download(client, scene, agency=None) -> bytes:
    response = client.get(scene.base(agency) + "/workbook.xlsx")
    assert response.status_code == 200, response.status_code
    assert response.mimetype == XLSX
    assert "attachment" in response.headers["Content-Disposition"]
    return response.get_data()


def _row_of(ws, code):
    for row in range(1, ws.max_row + 1):
        if ws.cell(row=row, column=1).value == code:
            return row
    raise AssertionError(f"{code} not on {ws.title}")


def _fill(data: bytes, edits: dict) -> bytes:
    """``edits``: {(sheet, code): {"score": v, "evidence": v, "assurance": v}} typed into the answer cells."""
    book = load_workbook(io.BytesIO(data))
    columns = {"score": 3, "evidence": 4, "assurance": 5}
    for (sheet, code), values in edits.items():
        ws = book[sheet]
        row = _row_of(ws, code)
        for name, value in values.items():
            ws.cell(row=row, column=columns[name]).value = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(client, scene, data, agency=None, name="return.xlsx"):
    token = csrf_token(client, scene.base(agency))
    return client.post(scene.base(agency), data={"csrf_token": token, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def _history(code):
    from sqlalchemy import select

    from hsbtrack.extensions import db
    from hsbtrack.history.models import HistoryEntry

    return list(db.session.scalars(select(HistoryEntry).where(HistoryEntry.entity == "response",
                                                              HistoryEntry.code == code)))


def test_the_workbook_holds_the_return_the_scale_a_drop_down_and_protection(client, scene):
    login(client, scene.lead)
    book = load_workbook(io.BytesIO(_download(client, scene)))
    assert book.sheetnames[:6] == ["Instructions", "Domain 1", "Domain 2", "Domain 3", "Domain 4", "Domain 5"]
    assert book["hsbtrack"].sheet_state == "veryHidden"
    assert book.security.lockStructure
    ws = book["Domain 1"]
    row = _row_of(ws, "1.1")
    assert [ws.cell(row=row, column=c).value for c in (3, 4, 5, 6)] == [2, "Old evidence", "QA", 1]
    assert ws.cell(row=row, column=2).value.startswith("We capture accurate data")
    assert ws.protection.sheet and not ws.cell(row=row, column=3).protection.locked
    assert ws.cell(row=row, column=2).protection.locked  # the statement text cannot be typed over
    heading = _row_of(ws, "1.6")
    assert ws.cell(row=heading, column=3).protection.locked  # a heading is not scored
    validation = ws.data_validations.dataValidation[0]
    assert validation.type == "list" and validation.formula1 == '"0,1,2,3,4"'
    assert f"C{row}" in str(validation.sqref)
    instructions = " ".join(str(c.value) for r in book["Instructions"].iter_rows() for c in r if c.value)
    assert "Not at all/never/no evidence for this" in instructions
    assert "Fill in offline" in instructions


def test_the_workbook_is_in_the_readers_language(client, scene):
    from hsbtrack.extensions import db

    scene.lead.locale = "cy"
    db.session.commit()
    login(client, scene.lead)
    client.get("/language/cy")
    book = load_workbook(io.BytesIO(_download(client, scene)))
    assert book.sheetnames[0] != "Instructions"
    assert "Domain 1" not in book.sheetnames


def test_round_trip_preview_then_save(client, scene):
    login(client, scene.lead)
    data = _fill(_download(client, scene), {
        ("Domain 1", "1.1"): {"score": 3, "evidence": "New evidence from the team"},
        ("Domain 2", "2.3"): {"score": "4", "assurance": "Audited quarterly"},
        ("Domain 5", "5.2"): {"score": 0},
    })
    response = _upload(client, scene, data)
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    # nothing is saved before the confirmation
    assert scene.answer("1.1") == (2, "Old evidence", "QA")
    assert scene.answer("5.2") is None
    for code in ("1.1", "2.3", "5.2"):
        assert f'data-code="{code}"' in page
    assert "New evidence from the team" in page and "Old evidence" in page
    assert "3 changes to save" in page
    assert "Save these changes" in page
    token = csrf_token(client, preview_url)
    saved = client.post(preview_url, data={"csrf_token": token})
    assert saved.status_code == 302
    assert scene.answer("1.1") == (3, "New evidence from the team", "QA")
    assert scene.answer("2.3") == (4, "Thin", "Audited quarterly")
    assert scene.answer("5.2") == (0, "", "")
    entries = {(e.field, str(e.new_value), e.user_id) for e in _history("1.1")}
    assert {("score", "3", scene.lead.id), ("evidence", "New evidence from the team", scene.lead.id)} <= entries
    assert any(e.field == "score" and str(e.new_value) == "0" for e in _history("5.2"))
    # the preview is gone once saved
    again = client.get(preview_url)
    assert again.status_code == 302 and "offline" in again.headers["Location"]


def test_a_bad_cell_is_named_by_sheet_and_cell_and_nothing_is_saved(client, scene):
    login(client, scene.lead)
    data = _download(client, scene)
    row = _row_of(load_workbook(io.BytesIO(data))["Domain 2"], "2.3")
    data = _fill(data, {("Domain 2", "2.3"): {"score": 5}, ("Domain 1", "1.1"): {"score": 4}})
    response = _upload(client, scene, data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f"Domain 2, C{row}: 5 is not a score from 0 to 4" in page
    assert 'govuk-error-summary' in page and 'govuk-form-group--error' in page
    assert scene.answer("1.1") == (2, "Old evidence", "QA")
    assert scene.answer("2.3")[0] == 1


def test_every_bad_cell_is_reported_at_once(client, scene):
    login(client, scene.lead)
    data = _download(client, scene)
    data = _fill(data, {("Domain 1", "1.2"): {"score": 7}, ("Domain 3", "3.1"): {"score": "two"},
                        ("Domain 4", "4.2"): {"score": 2.5}, ("Domain 5", "5.1"): {"evidence": "x" * 20_001}})
    response = _upload(client, scene, data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    problems = re.findall(r"Domain \d, [A-F]\d+: ", page)
    sheets = {p.split(",")[0] for p in problems}
    assert sheets == {"Domain 1", "Domain 3", "Domain 4", "Domain 5"}
    assert "two is not a score from 0 to 4" in page and "2.5 is not a score from 0 to 4" in page
    assert "The workbook has 4 problems" in page
    assert scene.answer("1.2") is None


def test_an_answer_changed_online_after_the_download_is_a_conflict_and_not_overwritten(client, scene):
    login(client, scene.lead)
    data = _download(client, scene)
    # a colleague changes 1.1 online after the download
    scene.services.save_response(scene.audit, scene.police.id, "1.1", score=1, evidence="Colleague's evidence",
                                 user=scene.board)
    data = _fill(data, {("Domain 1", "1.1"): {"score": 4, "evidence": "Mine"},
                        ("Domain 1", "1.2"): {"score": 3}})
    response = _upload(client, scene, data)
    preview_url = response.headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    conflicts = page.split('data-conflicts', 1)[1]
    assert 'data-code="1.1"' in conflicts and "Colleague&#39;s evidence" in conflicts and "Mine" in conflicts
    assert "1 change to save" in page
    client.post(preview_url, data={"csrf_token": csrf_token(client, preview_url)})
    assert scene.answer("1.1") == (1, "Colleague's evidence", "")  # not overwritten
    assert scene.answer("1.2") == (3, "", "")


def test_a_change_online_between_preview_and_save_is_not_overwritten(client, scene):
    login(client, scene.lead)
    data = _fill(_download(client, scene), {("Domain 1", "1.1"): {"score": 4}})
    preview_url = _upload(client, scene, data).headers["Location"]
    token = csrf_token(client, preview_url)
    scene.services.save_response(scene.audit, scene.police.id, "1.1", score=0, user=scene.board)
    response = client.post(preview_url, data={"csrf_token": token}, follow_redirects=True)
    assert "Not saved, because they were changed online after the download: 1.1" in response.get_data(as_text=True)
    assert scene.answer("1.1")[0] == 0


def test_a_workbook_of_another_agency_is_refused(client, scene, app):
    login(client, scene.health_lead)
    health_book = _fill(_download(client, scene, scene.health), {("Domain 1", "1.1"): {"score": 4}})
    board = app.test_client()
    login(board, scene.board)  # (the board may score for either agency)
    response = _upload(board, scene, health_book, agency=scene.police)
    assert response.status_code == 422
    assert "This workbook is the return of another audit or another agency" in response.get_data(as_text=True)
    assert scene.answer("1.1") == (2, "Old evidence", "QA")


def test_content_that_is_not_a_workbook_is_refused_whatever_its_name(client, scene):
    login(client, scene.lead)
    for body in (b"%PDF-1.4 not a workbook", b"PK\x03\x04 broken zip"):
        response = _upload(client, scene, body, name="return.xlsx")
        assert response.status_code == 422
        assert "The file must be the Excel workbook (.xlsx) downloaded from this page" in response.get_data(as_text=True)
    other = Workbook()
    out = io.BytesIO()
    other.save(out)
    response = _upload(client, scene, out.getvalue())
    assert response.status_code == 422
    assert "was not downloaded from the “Fill in offline” page" in response.get_data(as_text=True)


def test_another_agencys_lead_is_refused_as_on_the_scoring_pages(client, scene, world):
    """Another agency's lead reads the audit but may not score for Police: 403, as its scoring pages answer
    (tests/audits/test_scoring_pages.py); someone of another area: 404."""
    login(client, scene.health_lead)
    scoring_page = f"/areas/{scene.area.id}/audits/{scene.audit.id}/agencies/{scene.police.id}/domains/1"
    assert client.get(scoring_page).status_code == 403
    assert client.get(scene.base(scene.police)).status_code == 403
    assert client.get(scene.base(scene.police) + "/workbook.xlsx").status_code == 403
    assert client.get(scene.base(scene.police) + "/not-a-token").status_code == 403
    headers = api_headers(scene.health_lead)
    url = f"/api/v1/audits/{scene.audit.id}/agencies/{scene.police.id}/workbook"
    assert client.get(url, headers=headers).status_code == 403
    assert client.post(url, headers=headers, data={"file": (io.BytesIO(b"x"), "a.xlsx")},
                       content_type="multipart/form-data").status_code == 403
    other = world.area("Zebrafield", agencies=("Zebra Police",))
    stranger = world.user("lead@zebrafield.example", other, "agency_lead", agency=other.agencies[0])
    headers = api_headers(stranger)
    assert client.get(url, headers=headers).status_code == 404
    assert scene.answer("1.1") == (2, "Old evidence", "QA")


def test_a_previewed_upload_is_only_its_uploaders(client, scene, app):
    login(client, scene.lead)
    data = _fill(_download(client, scene), {("Domain 1", "1.1"): {"score": 4}})
    preview_url = _upload(client, scene, data).headers["Location"]
    board = app.test_client()
    login(board, scene.board)
    response = board.get(preview_url)
    assert response.status_code == 302  # not theirs: "upload the workbook again"
    assert scene.answer("1.1")[0] == 2


def test_the_api_previews_then_saves_and_reports_cells(client, scene):
    headers = api_headers(scene.lead)
    url = f"/api/v1/audits/{scene.audit.id}/agencies/{scene.police.id}/workbook"
    response = client.get(url, headers=headers)
    assert response.status_code == 200 and response.mimetype == XLSX
    data = _fill(response.get_data(), {("Domain 1", "1.1"): {"score": 0, "evidence": "API"}})
    preview = client.post(url, headers=headers, data={"file": (io.BytesIO(data), "r.xlsx")},
                          content_type="multipart/form-data")
    assert preview.status_code == 200, preview.get_json()
    body = preview.get_json()
    assert body["saved"] is False and [c["code"] for c in body["changes"]] == ["1.1"]
    assert body["changes"][0]["old"]["score"] == 2 and body["changes"][0]["new"]["score"] == 0
    assert scene.answer("1.1")[0] == 2
    saved = client.post(f"{url}?token={body['token']}", headers=headers)
    assert saved.status_code == 200 and saved.get_json()["saved_codes"] == ["1.1"]
    assert scene.answer("1.1") == (0, "API", "QA")
    # at once, with ?apply=1
    data = _fill(client.get(url, headers=headers).get_data(), {("Domain 1", "1.2"): {"score": 2}})
    applied = client.post(f"{url}?apply=1", headers=headers, data={"file": (io.BytesIO(data), "r.xlsx")},
                          content_type="multipart/form-data")
    assert applied.status_code == 200 and applied.get_json()["saved"] is True
    assert scene.answer("1.2")[0] == 2
    # a bad cell: 422 naming it
    data = _fill(client.get(url, headers=headers).get_data(), {("Domain 2", "2.2"): {"score": 9}})
    bad = client.post(url, headers=headers, data={"file": (io.BytesIO(data), "r.xlsx")},
                      content_type="multipart/form-data")
    assert bad.status_code == 422
    fields = bad.get_json()["error"]["fields"]
    assert any(k.startswith("Domain 2!C") and "9 is not a score from 0 to 4" in v for k, v in fields.items())
