"""The command line (``hsbtrack area export``, ``import``, ``schema``) end to end, and the admin page "Export and
import areas": the export is a job whose file imports; the upload imports and shows what arrived; errors show at
their fields; everyone but administrators gets 404. The archive's schema is documented (docs/area-archive.md says
what the code says) and every column of the models it carries is either a field or left out on purpose."""

import io
import re
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from hsbtrack.areas.models import Area
from hsbtrack.auth.models import User
from hsbtrack.extensions import db
from hsbtrack.testing import csrf_token, login, password_hash
from hsbtrack.timeutil import utcnow
from tests.area_archive.installs import install

DOCS = Path(__file__).resolve().parents[2] / "docs" / "area-archive.md"
PAGE = "/admin/area-archives/"


def _small_area():
    """Lakeside: two agencies, a board manager and an agency lead, an audit with an answer and a document."""
    from hsbtrack.areas.services import add_area_member, create_agency, create_area
    from hsbtrack.audits.services import open_audit, save_response
    from hsbtrack.documents.services import upload_to_response

    area = create_area("Lakeside Partnership")
    police = create_agency(area, "Police")
    create_agency(area, "Health")
    add_area_member(area, "lake.board@example.org", "board_manager", name="Lake Board")
    add_area_member(area, "lake.police@example.org", "agency_lead", police.id, name="Lake Police")
    audit = open_audit(area)
    save_response(audit, police.id, "1.1", score=2, evidence="Lakeside pathway")
    upload_to_response(audit, police.id, "1.1", io.BytesIO(b"%PDF-1.4\nLakeside pathway\n"), "pathway.pdf",
                       title="Lakeside pathway")
    return area


def _admin(email="admin@example.org"):
    user = User(email=email, name="Ada Admin", is_admin=True, password_hash=password_hash(), activated_at=utcnow())
    db.session.add(user)
    db.session.commit()
    return user


@pytest.fixture(scope="module")
def installs(app, tmp_path_factory):
    folder = tmp_path_factory.mktemp("archive-pages")
    with install(app, folder / "source", "archive_pages_source") as source, \
            install(app, folder / "target", "archive_pages_target") as target:
        with source.test_request_context():
            area_id = _small_area().id
            _admin()
            db.session.remove()
        with target.app_context():
            _admin()
            db.session.remove()
        yield source, target, area_id, folder


def _areas(app):
    with app.app_context():
        names = set(db.session.scalars(select(Area.name)))
        db.session.remove()
    return names


def test_the_command_line_exports_and_imports_an_area(installs):
    source, target, area_id, folder = installs
    path = folder / "lakeside.zip"
    exported = source.test_cli_runner().invoke(args=["area", "export", str(area_id), str(path)])
    assert exported.exit_code == 0, exported.output
    assert "Exported Lakeside Partnership" in exported.output and "responses: 1" in exported.output
    assert zipfile.is_zipfile(path) and not Path(f"{path}.part").exists()
    missing = source.test_cli_runner().invoke(args=["area", "export", "98765", str(folder / "none.zip")])
    assert missing.exit_code != 0 and "No area 98765" in missing.output

    imported = target.test_cli_runner().invoke(args=["area", "import", str(path), "--name", "Lakeside (CLI)"])
    assert imported.exit_code == 0, imported.output
    assert "Imported Lakeside (CLI) as area" in imported.output
    assert "0 matched to existing accounts, 2 new pending accounts (no invitation sent)" in imported.output
    assert "  document_versions: 1 of 1" in imported.output
    assert "Lakeside (CLI)" in _areas(target)
    with target.app_context():
        from hsbtrack.mail import outbox

        assert outbox() == []
        db.session.remove()

    again = target.test_cli_runner().invoke(args=["area", "import", str(path), "--name", "Lakeside (CLI)"])
    assert again.exit_code != 0 and "An area called Lakeside (CLI) already exists here" in again.output

    schema = source.test_cli_runner().invoke(args=["area", "schema"])
    assert schema.exit_code == 0 and "### `responses` (version 1, the core)" in schema.output


def _admin_client(app, email="admin@example.org"):
    client = app.test_client()
    login(client, email)
    return client


def test_the_admin_page_exports_with_a_job_and_imports_the_file(installs):
    from hsbtrack.jobs import services as jobs

    source, target, area_id, _folder = installs
    client = _admin_client(source)
    page = client.get(PAGE).get_data(as_text=True)
    assert "Export and import areas" in page and "Lakeside Partnership" in page
    assert f'action="/admin/area-archives/areas/{area_id}/export"' in page
    started = client.post(f"/admin/area-archives/areas/{area_id}/export", data={"csrf_token": csrf_token(client, PAGE)})
    assert started.status_code == 302 and "/jobs/" in started.headers["Location"]
    job_page = started.headers["Location"]
    assert "Area archive: Lakeside Partnership" in client.get(job_page).get_data(as_text=True)
    with source.app_context():
        assert jobs.run_pending() == 1
        db.session.remove()
    ready = client.get(job_page).get_data(as_text=True)
    assert "Ready" in ready
    download = re.search(r'href="(/jobs/\d+/download)"', ready).group(1)
    archive = client.get(download)
    assert archive.status_code == 200 and archive.data[:2] == b"PK"
    assert "lakeside-partnership-archive-" in archive.headers["Content-Disposition"]
    assert "Lakeside Partnership" in client.get(PAGE).get_data(as_text=True)  # (listed under "made recently")

    admin = _admin_client(target)
    token = csrf_token(admin, PAGE)
    result = admin.post("/admin/area-archives/import", data={
        "csrf_token": token, "name": "Lakeside (page)",
        "file": (io.BytesIO(archive.data), "lakeside.zip")}, content_type="multipart/form-data")
    body = result.get_data(as_text=True)
    assert result.status_code == 200, body[:2000]
    assert "Area imported" in body and "Lakeside (page)" in body
    counts = re.search(r'data-testid="import-counts".*?</table>', body, re.S).group(0)
    assert re.search(r"<code[^>]*>responses</code></th>\s*<td[^>]*>1</td>\s*<td[^>]*>1</td>", counts)
    assert "no email was sent" in body and "I have forgotten my password" in body
    assert "Lakeside (page)" in _areas(target)


def test_the_import_form_shows_errors_at_their_fields(installs):
    source, target, _area_id, folder = installs
    admin = _admin_client(target)
    with target.app_context():
        before = db.session.scalar(select(func.count()).select_from(Area))
        db.session.remove()

    def post(**data):
        return admin.post("/admin/area-archives/import", data={"csrf_token": csrf_token(admin, PAGE), **data},
                          content_type="multipart/form-data")

    nothing = post()
    assert nothing.status_code == 422
    assert 'href="#file">Choose an area archive (a .zip file) to import' in nothing.get_data(as_text=True)
    not_zip = post(file=(io.BytesIO(b"name,score\n"), "scores.csv"))
    body = not_zip.get_data(as_text=True)
    assert not_zip.status_code == 422 and "The file is not an area archive: it is not a ZIP file" in body
    assert 'id="file-error"' in body
    # the name of an area here already: at the name field
    path = folder / "lakeside.zip"
    if not path.exists():
        assert source.test_cli_runner().invoke(args=["area", "export", "1", str(path)]).exit_code == 0
    taken = post(file=(io.BytesIO(path.read_bytes()), "lakeside.zip"), name="Lakeside (CLI)")
    body = taken.get_data(as_text=True)
    assert taken.status_code == 422 and 'id="name-error"' in body and "already exists here" in body
    with target.app_context():
        assert db.session.scalar(select(func.count()).select_from(Area)) == before
        db.session.remove()


def test_only_administrators_reach_the_page(installs):
    source, _target, area_id, _folder = installs
    with source.app_context():
        board = db.session.scalar(select(User).where(User.email == "lake.board@example.org"))
        board.password_hash, board.activated_at = password_hash(), utcnow()
        db.session.commit()
        db.session.remove()
    client = source.test_client()
    login(client, "lake.board@example.org")
    assert client.get(PAGE).status_code == 404
    token = csrf_token(client, "/account")
    assert client.post(f"/admin/area-archives/areas/{area_id}/export", data={"csrf_token": token}).status_code == 404
    assert client.post("/admin/area-archives/import", data={"csrf_token": token}).status_code == 404
    assert "area-archives" not in client.get("/").get_data(as_text=True)


# -- the schema, documented ----------------------------------------------------------------------------------


def test_docs_describe_every_record_type_as_the_code_does(app):
    """docs/area-archive.md holds each type's section exactly as ``hsbtrack area schema`` prints it (the core's
    and the first-party plugins' types: regenerate it with that command when a field changes)."""
    from hsbtrack.area_archive.schema import ARCHIVE_SCHEMA_VERSION, record_types, type_markdown

    text = DOCS.read_text()
    assert f"Archive schema version {ARCHIVE_SCHEMA_VERSION}." in text
    with app.app_context():
        types = [t for t in record_types() if t.plugin in ("", "training", "schools", "scotland", "regional")]
        assert {"area", "users", "responses", "history"} <= {t.name for t in types}
        for record_type in types:
            assert type_markdown(record_type) in text, f"docs/area-archive.md: update the section of {record_type.name}"


def test_every_column_of_a_carried_model_is_a_field_or_left_out_on_purpose(app):
    from hsbtrack.area_archive.schema import record_types

    with app.app_context():
        for record_type in record_types():
            if record_type.model is None:
                continue
            columns = {c.name for c in record_type.model.__table__.columns}
            fields = set(record_type.field_names)
            undecided = columns - fields - set(record_type.left_out)
            assert not undecided, f"{record_type.name}: carry {sorted(undecided)} or say why it is left out"
            assert set(record_type.left_out) <= columns, record_type.name


def test_the_page_in_welsh(installs):
    _source, target, _area_id, _folder = installs
    with target.app_context():
        admin = _admin("gweinyddwr@example.org")
        admin.locale = "cy"
        db.session.commit()
        db.session.remove()
    client = _admin_client(target, "gweinyddwr@example.org")
    page = client.get(PAGE).get_data(as_text=True)
    assert "<h1 class=\"govuk-heading-l\">Allforio a mewnforio ardaloedd</h1>" in page
    assert "Mewnforio'r ardal" in page and "Allforio ardal" in page
    refused = client.post("/admin/area-archives/import", data={"csrf_token": csrf_token(client, PAGE)},
                          content_type="multipart/form-data").get_data(as_text=True)
    assert "Dewiswch archif ardal (ffeil .zip) i&#39;w mewnforio" in refused
    admin_page = client.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/area-archives/"' in admin_page  # (in the administration menu)


def test_an_export_missing_a_documents_bytes_stops_and_says_which(installs):
    """An archive never promises bytes it does not hold: restore them from a backup first."""
    from hsbtrack.documents.models import DocumentVersion
    from hsbtrack.storage import storage

    source, _target, area_id, folder = installs
    with source.app_context():
        key = db.session.scalar(select(DocumentVersion.storage_key))
        with storage().open(key) as stream:
            data = stream.read()
        storage().delete(key)
        db.session.remove()
    path = folder / "without-bytes.zip"
    try:
        result = source.test_cli_runner().invoke(args=["area", "export", str(area_id), str(path)])
        assert result.exit_code != 0
        assert "version 1 are missing from storage: restore them from a backup" in result.output
        assert not path.exists() and not Path(f"{path}.part").exists()
    finally:
        with source.app_context():
            storage().put(key, io.BytesIO(data))
