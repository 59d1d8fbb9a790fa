"""Documents on actions: attaching (the owner or the board), reading (whoever sees the action: its plan and
its wall), marking an action done with a completion document (all or nothing, every error at once), the
history of the action and of the document, the action's page, the board paper and the API."""

import io
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from hsbtrack.actions import documents as action_documents
from hsbtrack.actions.models import Action
from hsbtrack.areas.roles import Perm
from hsbtrack.documents.models import Document, DocumentVersion
from hsbtrack.errors import ForbiddenError, ServiceError
from hsbtrack.extensions import db
from hsbtrack.history.models import HistoryEntry
from hsbtrack.storage import EXTENSION, LocalStorage
from tests.actions.pages_support import PageScene, error_next_to, text_of
from tests.conftest import api_headers, count_queries, csrf_token, login

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")
HTML = b"<!DOCTYPE html><html><head><title>Report</title></head><body><script>alert(1)</script></body></html>"
REFUSED = "The file is not a PDF: it holds a web page"


@pytest.fixture(autouse=True)
def store(app, tmp_path):
    """The real local-disk backend, in a folder of this test's own."""
    before = app.extensions.get(EXTENSION)
    app.extensions[EXTENSION] = LocalStorage(tmp_path / "documents")
    yield app.extensions[EXTENSION]
    app.extensions[EXTENSION] = before


@pytest.fixture()
def scene(world):
    scene = PageScene(world)
    scene.item = scene.action(agency_id=scene.police.id, audit=scene.audit)
    return scene


def stored(store) -> int:
    return len(list(store.keys()))


def counts() -> tuple[int, int, int]:
    return (db.session.scalar(select(func.count(Document.id))),
            db.session.scalar(select(func.count(DocumentVersion.id))),
            db.session.scalar(select(func.count(HistoryEntry.id))))


def reload(action) -> Action:
    db.session.expire_all()
    return db.session.get(Action, action.id)


def action_url(scene, action=None, suffix=""):
    return f"/areas/{scene.area.id}/actions/{(action or scene.item).id}{suffix}"


def edit_post(client, scene, data, files=None, action=None):
    url = action_url(scene, action, "/edit")
    token = csrf_token(client, url)
    payload = {"csrf_token": token, "version": str(reload(action or scene.item).version), **data}
    if files:
        payload.update(files)
    return client.post(url, data=payload, content_type="multipart/form-data")


def owner_done(**overrides):
    return {"status": "done", "progress": "100", "completion_evidence": "", **overrides}


# -- the commands ------------------------------------------------------------------------------


def test_the_owner_attaches_a_document_linked_to_the_action_its_audit_and_agency(scene, store):
    document = action_documents.upload_to_action(scene.item, io.BytesIO(PDF), "minutes.pdf", title="Minutes",
                                                 effective_on="2026-03-10", user=scene.owner)
    assert (document.kind, document.agency_id, document.title, document.effective_on) == (
        "action", scene.police.id, "Minutes", date(2026, 3, 10))
    link = document.links[0]
    assert (link.action_id, link.audit_id, link.purpose) == (scene.item.id, scene.audit.id, None)
    assert stored(store) == 1
    assert action_documents.documents_for_action(scene.item) == {None: [document], "completion": []}


def test_a_reader_who_is_neither_owner_nor_board_cannot_attach(scene, store):
    with pytest.raises(ForbiddenError):
        action_documents.upload_to_action(scene.item, io.BytesIO(PDF), "x.pdf", user=scene.viewer)
    assert counts()[0] == 0 and stored(store) == 0


def test_an_unknown_purpose_is_refused_at_its_field(scene):
    with pytest.raises(ServiceError) as raised:
        action_documents.upload_to_action(scene.item, io.BytesIO(PDF), "x.pdf", purpose="other", user=scene.board)
    assert set(raised.value.fields) == {"purpose"}


def test_the_history_of_the_action_and_of_the_document_say_it_was_added(scene):
    document = action_documents.upload_to_action(scene.item, io.BytesIO(PDF), "m.pdf", title="Minutes",
                                                 user=scene.owner)
    on_action = db.session.scalars(select(HistoryEntry).where(
        HistoryEntry.entity == "action", HistoryEntry.entity_id == scene.item.id, HistoryEntry.field == "document"))
    assert [(e.new_value, e.user_id) for e in on_action] == [("Minutes", scene.owner.id)]
    on_document = {e.field: e.new_value for e in db.session.scalars(select(HistoryEntry).where(
        HistoryEntry.entity == "document", HistoryEntry.entity_id == document.id))}
    assert on_document["document"] == "Minutes" and on_document["linked_to"] == f"action {scene.item.id}"


def test_done_with_a_completion_document_and_no_text_is_done(scene):
    action_documents.update_action(scene.item, {"status": "done", "completion_evidence": ""},
                                   upload=action_documents.Upload(io.BytesIO(PDF), "sign-off.pdf"), user=scene.owner)
    action = reload(scene.item)
    assert action.status == "done" and action.progress == 100 and action.completed_on is not None
    docs = action_documents.documents_for_action(action)
    assert [d.title for d in docs["completion"]] == ["sign-off"] and docs[None] == []


def test_a_done_actions_only_completion_evidence_cannot_go_to_the_bin(client, scene):
    action_documents.update_action(scene.item, {"status": "done", "completion_evidence": ""},
                                   upload=action_documents.Upload(io.BytesIO(PDF), "sign-off.pdf"), user=scene.owner)
    document = action_documents.documents_for_action(reload(scene.item))["completion"][0]
    owner = api_headers(scene.owner)
    refused = client.delete(f"/api/v1/documents/{document.id}", headers=owner)
    assert refused.status_code == 409 and "evidence that the action was completed" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Document, document.id).deleted_at is None
    # with the completion written down as well, the document may go
    action_documents.update_action(reload(scene.item), {"completion_evidence": "Signed off at the March board"},
                                   user=scene.owner)
    assert client.delete(f"/api/v1/documents/{document.id}", headers=owner).status_code == 204


def test_done_without_text_later_is_fine_once_a_completion_document_is_attached(scene):
    action_documents.upload_to_action(scene.item, io.BytesIO(PDF), "s.pdf", purpose="completion", user=scene.owner)
    scene.actions.update_action(scene.item, {"status": "done"}, user=scene.owner)
    assert reload(scene.item).status == "done"


def test_done_without_any_evidence_is_still_refused(scene):
    action_documents.upload_to_action(scene.item, io.BytesIO(PDF), "other.pdf", user=scene.owner)  # not completion
    with pytest.raises(ServiceError) as raised:
        scene.actions.update_action(scene.item, {"status": "done"}, user=scene.owner)
    assert set(raised.value.fields) == {"completion_evidence"}


def test_a_refused_file_saves_no_change_and_a_refused_change_stores_no_file(scene, store):
    before = counts()
    with pytest.raises(ServiceError) as raised:
        action_documents.update_action(scene.item, {"status": "done"},
                                       upload=action_documents.Upload(io.BytesIO(HTML), "s.pdf"), user=scene.owner)
    assert raised.value.fields == {"file": REFUSED}
    assert reload(scene.item).status == "not_started" and counts() == before and stored(store) == 0
    # the change refused (a bad progress) and the file good: nothing stored, the field's error
    with pytest.raises(ServiceError) as raised:
        action_documents.update_action(scene.item, {"status": "done", "progress": "200"},
                                       upload=action_documents.Upload(io.BytesIO(PDF), "s.pdf"), user=scene.owner)
    assert set(raised.value.fields) == {"progress"}
    assert counts() == before and stored(store) == 0
    # both wrong: both errors at once, nothing anywhere
    with pytest.raises(ServiceError) as raised:
        action_documents.update_action(scene.item, {"status": "done", "progress": "200"},
                                       upload=action_documents.Upload(io.BytesIO(HTML), "s.pdf"), user=scene.owner)
    assert raised.value.fields["file"] == REFUSED and "progress" in raised.value.fields
    assert counts() == before and stored(store) == 0 and reload(scene.item).status == "not_started"


# -- who reads ----------------------------------------------------------------------------------


def test_the_viewer_downloads_the_board_of_another_area_gets_404(client, scene):
    document = action_documents.upload_to_action(scene.item, io.BytesIO(PDF), "m.pdf", user=scene.owner)
    login(client, scene.viewer)
    content = client.get(f"/documents/{document.id}/content")
    assert content.status_code == 200 and content.data == PDF
    assert content.headers["Content-Disposition"].startswith("attachment")
    assert client.get(f"/api/v1/documents/{document.id}", headers=api_headers(scene.viewer)).status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    login(client, scene.outsider)
    assert client.get(f"/documents/{document.id}/content").status_code == 404
    assert client.get(f"/api/v1/documents/{document.id}", headers=api_headers(scene.outsider)).status_code == 404


def test_a_walled_actions_document_is_404_outside_the_wall(client, scene):
    walled = scene.action(title="Walled", owner=scene.board, restricted_to=Perm.EDIT_ACTIONS)
    document = action_documents.upload_to_action(walled, io.BytesIO(PDF), "w.pdf", user=scene.board)
    for user in (scene.viewer, scene.owner):  # they read the plan, but not behind this wall
        login(client, user)
        assert client.get(f"/documents/{document.id}/content").status_code == 404
        assert client.get(f"/api/v1/documents/{document.id}", headers=api_headers(user)).status_code == 404
        assert client.get(f"/api/v1/actions/{walled.id}/documents", headers=api_headers(user)).status_code == 404
        client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    login(client, scene.board)
    assert client.get(f"/documents/{document.id}/content").status_code == 200


def test_the_viewer_cannot_add_a_new_version_or_bin_it_the_owner_can(client, scene):
    document = action_documents.upload_to_action(scene.item, io.BytesIO(PDF), "m.pdf", user=scene.owner)
    viewer = api_headers(scene.viewer)
    assert client.post(f"/api/v1/documents/{document.id}/versions", headers=viewer, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(PDF), "v2.pdf")}).status_code == 403
    assert client.delete(f"/api/v1/documents/{document.id}", headers=viewer).status_code == 403
    owner = api_headers(scene.owner)
    assert client.post(f"/api/v1/documents/{document.id}/versions", headers=owner, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(PDF + b"%2"), "v2.pdf")}).status_code == 201


# -- the pages ----------------------------------------------------------------------------------


def test_the_owner_marks_the_action_done_with_a_pdf_and_the_board_sees_it(client, scene, store):
    login(client, scene.owner)
    answer = edit_post(client, scene, owner_done(), {"completion_file": (io.BytesIO(PDF), "sign-off.pdf"),
                                                     "completion_title": "Board sign-off"})
    assert answer.status_code == 302, text_of(answer)[:2000]
    assert reload(scene.item).status == "done" and stored(store) == 1
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    login(client, scene.board)
    page = client.get(action_url(scene))
    html = page.get_data(as_text=True)
    document = action_documents.documents_for_action(scene.item)["completion"][0]
    completion = re.search(r'<ul class="govuk-list hsb-documents__list" id="completion-documents">(.*?)</ul>', html, re.S)
    assert completion and f'href="/documents/{document.id}/content"' in completion.group(1)
    assert "Board sign-off" in completion.group(1) and "version 1" in completion.group(1)
    text = text_of(page)
    assert "Completion document added" in text and "Board sign-off" in text
    assert client.get(f"/documents/{document.id}/content").data == PDF


def test_a_refused_file_and_a_wrong_field_show_both_errors_and_save_nothing(client, scene, store):
    login(client, scene.owner)
    before = counts()
    answer = edit_post(client, scene, owner_done(progress="200"), {"completion_file": (io.BytesIO(HTML), "s.pdf")})
    assert answer.status_code == 422
    assert error_next_to(answer, "completion_file") == f"Error: {REFUSED}"
    assert "Progress must be a whole number" in error_next_to(answer, "progress")
    summary = re.search(r'class="govuk-error-summary".*?</ul>', answer.get_data(as_text=True), re.S).group(0)
    assert 'href="#completion_file"' in summary and 'href="#progress"' in summary
    assert text_of(answer).startswith("Error:") or "<title>Error:" in answer.get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in answer.get_data(as_text=True)
    assert counts() == before and stored(store) == 0 and reload(scene.item).status == "not_started"


def test_the_board_edit_form_takes_a_completion_document_too(client, scene):
    login(client, scene.board)
    form = client.get(action_url(scene, suffix="/edit")).get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in form and 'name="completion_file"' in form
    data = {"title": scene.item.title, "description": "", "owner": str(scene.owner.id), "agency_id": "",
            "priority": "medium", "statements": ["1.1"], "progress": "0", "completion_evidence": "",
            "status": "done", "due_on": [str(d) for d in (scene.item.due_on.day, scene.item.due_on.month,
                                                          scene.item.due_on.year)]}
    answer = edit_post(client, scene, data, {"completion_file": (io.BytesIO(PDF), "done.pdf")})
    assert answer.status_code == 302, text_of(answer)[:1500]
    assert reload(scene.item).status == "done"


def test_the_documents_section_uploads_and_shows_errors_with_the_summary(client, scene, store):
    login(client, scene.owner)
    url = action_url(scene, suffix="/documents")
    page = client.get(action_url(scene)).get_data(as_text=True)
    token = re.search(r'name="document-csrf_token"[^>]*value="([^"]+)"', page).group(1)
    refused = client.post(url, content_type="multipart/form-data", data={
        "document-csrf_token": token, "document-file": (io.BytesIO(HTML), "r.pdf"), "document-title": "Report"})
    assert refused.status_code == 422
    assert error_next_to(refused, "document-file") == f"Error: {REFUSED}"
    assert 'href="#document-file"' in refused.get_data(as_text=True)
    assert "<title>Error:" in refused.get_data(as_text=True)
    assert counts()[0] == 0 and stored(store) == 0
    bad_date = client.post(url, content_type="multipart/form-data", data={
        "document-csrf_token": token, "document-effective_on": ["31", "2", "2026"]})
    assert bad_date.status_code == 422
    assert "must be a real date" in error_next_to(bad_date, "document-effective_on")
    assert error_next_to(bad_date, "document-file") == "Error: Choose a file to upload"
    added = client.post(url, content_type="multipart/form-data", data={
        "document-csrf_token": token, "document-file": (io.BytesIO(PDF), "r.pdf"), "document-title": "Report",
        "document-effective_on": ["10", "3", "2026"]})
    assert added.status_code == 302
    html = client.get(action_url(scene)).get_data(as_text=True)
    listed = re.search(r'id="action-documents">(.*?)</ul>', html, re.S).group(1)
    assert "Report" in listed and "10 March 2026" in listed


def test_the_viewer_sees_the_documents_but_no_upload_form_and_cannot_post(client, scene):
    action_documents.upload_to_action(scene.item, io.BytesIO(PDF), "m.pdf", title="Minutes", user=scene.owner)
    login(client, scene.viewer)
    html = client.get(action_url(scene)).get_data(as_text=True)
    assert "Minutes" in html and 'id="document-form"' not in html
    token = csrf_token(client, "/account")
    answer = client.post(action_url(scene, suffix="/documents"), content_type="multipart/form-data",
                         data={"csrf_token": token, "document-csrf_token": token,
                               "document-file": (io.BytesIO(PDF), "x.pdf")})
    assert answer.status_code == 403


def test_the_action_page_runs_as_many_queries_with_ten_documents_as_with_one(app, client, scene):
    login(client, scene.board)
    action_documents.upload_to_action(scene.item, io.BytesIO(PDF), "c.pdf", purpose="completion", user=scene.owner)
    client.get(action_url(scene))

    def measure():
        db.session.expire_all()  # (the same start both times: nothing known before the request)
        with count_queries(app) as n:
            assert client.get(action_url(scene)).status_code == 200
        return n()

    few = measure()
    for i in range(9):
        action_documents.upload_to_action(scene.item, io.BytesIO(PDF), f"d{i}.pdf",
                                          purpose="completion" if i % 2 else None, user=scene.owner)
    assert measure() == few


def test_the_board_paper_lists_completion_documents_by_title(client, scene):
    action_documents.update_action(scene.item, {"status": "done"}, user=scene.owner,
                                   upload=action_documents.Upload(io.BytesIO(PDF), "s.pdf", title="Sign-off letter"))
    login(client, scene.board)
    text = text_of(client.get(f"/areas/{scene.area.id}/actions/board-paper"))
    assert "Completion evidence: Sign-off letter" in text


# -- the API ------------------------------------------------------------------------------------


def test_the_api_uploads_and_lists_an_actions_documents(client, scene):
    base = f"/api/v1/actions/{scene.item.id}/documents"
    owner = api_headers(scene.owner)
    created = client.post(base, headers=owner, content_type="multipart/form-data", data={
        "file": (io.BytesIO(PDF), "sign-off.pdf"), "title": "Sign-off", "effective_on": "2026-03-10",
        "purpose": "completion"})
    assert created.status_code == 201, created.get_data(as_text=True)
    body = created.get_json()
    assert {k: body[k] for k in ("title", "filename", "content_type", "effective_on", "version", "purpose")} == {
        "title": "Sign-off", "filename": "sign-off.pdf", "content_type": "application/pdf",
        "effective_on": "2026-03-10", "version": 1, "purpose": "completion"}
    other = client.post(base, headers=owner, content_type="multipart/form-data",
                        data={"file": (io.BytesIO(PDF), "notes.pdf")})
    assert other.status_code == 201 and other.get_json()["purpose"] is None
    listed = client.get(base, headers=api_headers(scene.viewer)).get_json()
    assert [(d["title"], d["purpose"]) for d in listed] == [("Sign-off", "completion"), ("notes", None)]
    # done with it and no text, through PATCH
    patched = client.patch(f"/api/v1/actions/{scene.item.id}", headers=owner, json={"status": "done"})
    assert patched.status_code == 200 and patched.get_json()["status"] == "done"


def test_the_api_refuses_the_viewer_with_403_another_area_with_404_and_a_bad_file_with_422(client, scene):
    base = f"/api/v1/actions/{scene.item.id}/documents"
    viewer = client.post(base, headers=api_headers(scene.viewer), content_type="multipart/form-data",
                         data={"file": (io.BytesIO(PDF), "x.pdf")})
    assert viewer.status_code == 403
    outsider = client.post(base, headers=api_headers(scene.outsider), content_type="multipart/form-data",
                           data={"file": (io.BytesIO(PDF), "x.pdf")})
    assert outsider.status_code == 404
    assert client.get(base, headers=api_headers(scene.outsider)).status_code == 404
    bad = client.post(base, headers=api_headers(scene.owner), content_type="multipart/form-data",
                      data={"file": (io.BytesIO(HTML), "x.pdf"), "effective_on": "2026-02-31"})
    assert bad.status_code == 422 and "effective_on" in bad.get_json()["error"]["fields"]
    bad = client.post(base, headers=api_headers(scene.owner), content_type="multipart/form-data",
                      data={"file": (io.BytesIO(HTML), "x.pdf")})
    assert bad.status_code == 422 and bad.get_json()["error"]["fields"] == {"file": REFUSED}
    assert counts()[0] == 0


def test_the_openapi_document_shows_the_upload_and_the_list(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    operations = paths["/api/v1/actions/{action_id}/documents"]
    assert set(operations) >= {"post", "get"}
    body = operations["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert body  # (a reference to the upload's schema, with the purpose)

