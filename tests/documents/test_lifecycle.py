"""The documents' lifecycle: the bin (restore within 30 days, by service, page and API; purged after,
bytes and rows, by the scheduled job) and backups that carry every version's bytes, on local disk and
on a real S3-compatible server (SeaweedFS)."""

import hashlib
import io
import uuid
from datetime import timedelta

import pytest

from hsbtrack.backup import backup_database, documents_path, restore_database
from hsbtrack.documents import lifecycle, services
from hsbtrack.documents.models import Document, DocumentVersion
from hsbtrack.errors import ForbiddenError
from hsbtrack.extensions import db
from hsbtrack.history.models import HistoryEntry
from hsbtrack.scheduler.runner import scheduled_jobs
from hsbtrack.storage import EXTENSION, LocalStorage, make_storage, storage
from hsbtrack.testing import spare_database
from hsbtrack.timeutil import utcnow
from tests.audits.moderation_helpers import make_audit
from tests.conftest import api_headers, csrf_token, login, make_app
from tests.documents.test_documents import PDF, PNG, upload


@pytest.fixture()
def t(world):
    return make_audit(world)


@pytest.fixture()
def store(app, tmp_path):
    before = app.extensions.get(EXTENSION)
    app.extensions[EXTENSION] = LocalStorage(tmp_path / "documents")
    yield app.extensions[EXTENSION]
    app.extensions[EXTENSION] = before


def fields(document):
    return {(e.field, e.old_value, e.new_value) for e in
            db.session.query(HistoryEntry).filter_by(entity="document", entity_id=document.id)}


def test_a_deleted_document_is_restored_with_a_history_entry_by_who_may_delete_it(t, store):
    document = upload(t, title="Policy")
    services.delete_document(document, user=t.lead)
    assert services.documents_for_response(t.audit, t.agencies["Police"].id, "1.1") == []
    with pytest.raises(ForbiddenError):
        lifecycle.restore_document(document, user=t.viewer)
    lifecycle.restore_document(document, user=t.lead)
    assert document.deleted_at is None
    assert services.documents_for_response(t.audit, t.agencies["Police"].id, "1.1") == [document]
    restored = {(f, new) for f, _old, new in fields(document)}
    assert ("document", "Policy") in restored and ("deleted_at", None) in restored


def test_the_job_purges_what_has_been_in_the_bin_for_more_than_30_days_bytes_and_rows(app, t, store):
    old = upload(t, title="Old")
    services.add_version(old, io.BytesIO(PNG), "scan.png", user=t.lead)
    recent, kept = upload(t, title="Recent", code="1.2"), upload(t, title="Kept", code="1.3")
    old_keys = [v.storage_key for v in old.versions]
    services.delete_document(old, user=t.board)
    services.delete_document(recent, user=t.board)
    old.deleted_at = utcnow() - timedelta(days=31)
    recent.deleted_at = utcnow() - timedelta(days=29)
    db.session.commit()
    old_id = old.id
    job = next(j for j in scheduled_jobs(app) if j.name == "documents.purge_bin")
    assert job.func(app, utcnow()) == 1
    db.session.expire_all()
    assert db.session.get(Document, old_id) is None
    assert db.session.query(DocumentVersion).filter_by(document_id=old_id).count() == 0
    assert not any(store.exists(key) for key in old_keys)
    assert db.session.get(Document, recent.id) is not None and store.exists(recent.latest.storage_key)
    assert kept.deleted_at is None and store.exists(kept.latest.storage_key)
    purged = [(e.old_value, e.new_value) for e in
              db.session.query(HistoryEntry).filter_by(entity="document", entity_id=old_id, field="purged")]
    assert purged == [("Old", True)]
    assert job.func(app, utcnow()) == 0


def test_the_bin_page_lists_what_the_reader_may_read_and_restores(client, t, world, store):
    police = upload(t, title="Police policy")
    health = services.upload_to_response(t.audit, t.agencies["Health"].id, "1.1", io.BytesIO(PDF), "h.pdf",
                                         title="Health policy", user=t.board)
    services.delete_document(police, user=t.board)
    services.delete_document(health, user=t.board)
    url = f"/areas/{t.area.id}/documents/bin"
    login(client, t.lead)
    # the scoring page leads to the bin
    scoring = client.get(f"/areas/{t.area.id}/audits/{t.audit.id}/agencies/{t.agencies['Police'].id}/domains/1")
    assert f'href="{url}"' in scoring.get_data(as_text=True)
    page = client.get(url).get_data(as_text=True)
    assert "Police policy" in page and "Health policy" not in page
    response = client.post(f"{url}/{police.id}/restore", data={"csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "“Police policy” was restored" in page and "The bin is empty." in page
    db.session.expire_all()
    assert db.session.get(Document, police.id).deleted_at is None
    # the health document is not the lead's to restore
    assert client.post(f"{url}/{health.id}/restore",
                       data={"csrf_token": csrf_token(client, url)}).status_code == 403
    assert db.session.get(Document, health.id).deleted_at is not None


def test_the_api_restores_a_document_from_the_bin(client, t, store):
    document = upload(t, title="Policy")
    lead = api_headers(t.lead)
    assert client.delete(f"/api/v1/documents/{document.id}", headers=lead).status_code == 204
    assert client.get(f"/api/v1/documents/{document.id}", headers=lead).status_code == 404
    assert client.post(f"/api/v1/documents/{document.id}/restore",
                       headers=api_headers(t.viewer)).status_code in (403, 404)
    answer = client.post(f"/api/v1/documents/{document.id}/restore", headers=lead)
    assert answer.status_code == 200 and answer.get_json()["title"] == "Policy"
    assert client.get(f"/api/v1/documents/{document.id}/content", headers=lead).data == PDF


# -- backup and restore carry the documents ---------------------------------------------------


def _s3_settings(request, bucket=None):
    settings = dict(request.getfixturevalue("s3_server"))
    if bucket:
        import boto3

        boto3.client("s3", endpoint_url=settings["HSBTRACK_S3_ENDPOINT_URL"],
                     aws_access_key_id=settings["HSBTRACK_S3_ACCESS_KEY_ID"],
                     aws_secret_access_key=settings["HSBTRACK_S3_SECRET_ACCESS_KEY"],
                     region_name="us-east-1").create_bucket(Bucket=bucket)
        settings["HSBTRACK_STORAGE_URL"] = f"s3://{bucket}"
    return settings


@pytest.mark.parametrize("kind", ["local", "s3"])
def test_backup_and_restore_round_trip_every_versions_bytes(kind, request, app, t, tmp_path):
    if kind == "local":
        source = {"HSBTRACK_STORAGE_URL": f"file://{tmp_path / 'source'}"}
        target = {"HSBTRACK_STORAGE_URL": f"file://{tmp_path / 'restored'}"}
    else:
        source = _s3_settings(request, f"src-{uuid.uuid4().hex[:12]}")
        target = _s3_settings(request, f"dst-{uuid.uuid4().hex[:12]}")
    before = app.extensions[EXTENSION]
    app.extensions[EXTENSION] = make_storage(source, str(tmp_path))
    try:
        first = upload(t, title="Policy")
        services.add_version(first, io.BytesIO(PNG), "scan.png", user=t.lead)
        big = bytes(range(256)) * 40_000  # ~10 MB: more than one S3 part
        upload(t, data=b"%PDF-1.4\n" + big, filename="report.pdf", code="1.2")
        binned = upload(t, title="Binned", code="1.3")
        services.delete_document(binned, user=t.board)
        expected = {v.storage_key: v.sha256 for v in db.session.query(DocumentVersion)}
        assert len(expected) == 4
        backup = tmp_path / "hsbtrack.backup"
        backup_database(backup)
        assert documents_path(backup).stat().st_size > len(big)
    finally:
        app.extensions[EXTENSION] = before

    with spare_database(app, tmp_path, "restore") as url:
        restored_app = make_app(SQLALCHEMY_DATABASE_URI=url, **target)
        with restored_app.app_context():
            assert list(storage().keys()) == []  # an empty folder or bucket
            restore_database(backup)
            versions = {v.storage_key: v.sha256 for v in db.session.query(DocumentVersion)}
            assert versions == expected
            for key, sha in versions.items():
                with storage().open(key) as stream:
                    assert hashlib.sha256(stream.read()).hexdigest() == sha
            db.session.remove()
            db.engine.dispose()
