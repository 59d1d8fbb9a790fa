"""Virus scanning of uploaded documents: the hook ``hsbtrack_scan_document``, and the core's scanner,
ClamAV's clamd, tested against the real Debian clamd (fixture ``clamd_server``: a private clamd whose only
signature, made locally, is EICAR's). Off by default; when configured it fails closed."""

import io
import logging
import re
import socket

import pytest
from flask_babel import force_locale

from hsbtrack.config import ConfigurationError, settings_from_environment
from hsbtrack.documents import services
from hsbtrack.documents.models import Document, DocumentVersion
from hsbtrack.errors import ServiceError
from hsbtrack.extensions import db
from hsbtrack.plugins import hookimpl
from hsbtrack.plugins.types import ScanVerdict
from hsbtrack.storage import EXTENSION, LocalStorage
from hsbtrack.testing import EICAR, EICAR_SIGNATURE, _free_ports, running_clamd
from tests.audits.moderation_helpers import make_audit
from tests.conftest import api_headers, csrf_token, login

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")
FOUND = f"The file was refused: the virus checker found {EICAR_SIGNATURE}.UNOFFICIAL"
UNSCANNED = "The file could not be checked for viruses. Try again later, or tell your administrator."


@pytest.fixture(autouse=True)
def folder(app, tmp_path):
    """The real local-disk backend in a folder of this test's own; yields the folder."""
    before = app.extensions.get(EXTENSION)
    app.extensions[EXTENSION] = LocalStorage(tmp_path / "documents")
    yield tmp_path / "documents"
    app.extensions[EXTENSION] = before


def stored_files(folder) -> list:
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


@pytest.fixture()
def clamd(app, clamd_server, monkeypatch):
    """Uploads scanned by the test clamd."""
    monkeypatch.setitem(app.config, "HSBTRACK_CLAMD_URL", clamd_server["HSBTRACK_CLAMD_URL"])


@pytest.fixture()
def t(world):
    return make_audit(world)


def upload(t, data=PDF, filename="policy.pdf", user=None):
    return services.upload_to_response(t.audit, t.agencies["Police"].id, "1.1", io.BytesIO(data), filename,
                                       user=user or t.lead)


def field_error(call) -> str:
    with pytest.raises(ServiceError) as caught:
        call()
    db.session.rollback()
    return caught.value.fields["file"]


def refusals(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("document refused")]


# -- clamd ------------------------------------------------------------------------------------


def test_with_clamd_a_clean_pdf_is_kept_and_eicar_is_refused_and_deleted(t, clamd, folder, caplog):
    caplog.set_level(logging.WARNING, logger="hsbtrack.documents.scanning")
    document = upload(t)
    assert document.latest.content_type == "application/pdf" and len(stored_files(folder)) == 1
    assert field_error(lambda: upload(t, EICAR, "notes.txt")) == FOUND
    # a body signature: found inside a longer text too
    assert field_error(lambda: upload(t, b"Meeting notes\n" + EICAR + b"\nEnd\n", "minutes.txt")) == FOUND
    # and in a new version (the path a re-audit's replacement takes as well)
    assert field_error(lambda: services.add_version(document, io.BytesIO(EICAR), "v2.txt", user=t.lead)) == FOUND
    assert stored_files(folder) == [folder / document.latest.storage_key]  # nothing refused stays stored
    assert db.session.query(Document).count() == 1
    assert db.session.query(DocumentVersion).count() == 1
    logged = refusals(caplog)
    assert len(logged) == 3 and all("clamd found 'Hsbtrack.Test.EICAR.UNOFFICIAL'" in line for line in logged)


def test_through_the_api_an_infected_file_is_a_422_at_the_file_field(client, t, clamd, folder):
    base = f"/api/v1/audits/{t.audit.id}/responses/{t.agencies['Police'].id}/1.1/documents"
    answer = client.post(base, headers=api_headers(t.lead), content_type="multipart/form-data",
                         data={"file": (io.BytesIO(EICAR), "notes.txt"), "title": "Notes"})
    assert answer.status_code == 422
    assert answer.get_json()["error"]["fields"]["file"] == FOUND
    assert stored_files(folder) == [] and db.session.query(Document).count() == 0
    clean = client.post(base, headers=api_headers(t.lead), content_type="multipart/form-data",
                        data={"file": (io.BytesIO(PDF), "policy.pdf")})
    assert clean.status_code == 201 and len(stored_files(folder)) == 1


def test_the_scoring_page_shows_the_refusal_at_the_file_field_in_english_and_welsh(app, client, t, clamd, folder):
    login(client, t.lead)
    page = f"/areas/{t.area.id}/audits/{t.audit.id}/agencies/{t.agencies['Police'].id}/domains/1"
    url = f"/areas/{t.area.id}/audits/{t.audit.id}/agencies/{t.agencies['Police'].id}/statements/1.1/documents"
    answer = client.post(url, content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client, page), "file": (io.BytesIO(EICAR), "notes.txt"), "title": "Notes"})
    assert answer.headers["Location"].endswith("#documents-1-1-file")
    html = client.get(page).get_data(as_text=True)
    error = re.search(r'id="documents-1-1-file-error" class="govuk-error-message">(.*?)</p>', html, re.S)
    assert error and FOUND in error.group(1)
    assert stored_files(folder) == []
    with app.test_request_context(), force_locale("cy"):
        assert field_error(lambda: upload(t, EICAR, "notes.txt")) == (
            f"Gwrthodwyd y ffeil: daeth y gwiriwr feirysau o hyd i {EICAR_SIGNATURE}.UNOFFICIAL")


# -- failing closed ---------------------------------------------------------------------------


def test_clamd_configured_but_not_running_refuses_the_upload(app, t, folder, monkeypatch, tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="hsbtrack.documents.scanning")
    monkeypatch.setitem(app.config, "HSBTRACK_CLAMD_URL", f"unix://{tmp_path}/no-clamd-here.ctl")
    assert field_error(lambda: upload(t)) == UNSCANNED
    (port,) = _free_ports(1)  # nothing listens there
    monkeypatch.setitem(app.config, "HSBTRACK_CLAMD_URL", f"tcp://127.0.0.1:{port}")
    assert field_error(lambda: upload(t)) == UNSCANNED
    assert stored_files(folder) == [] and db.session.query(Document).count() == 0
    logged = refusals(caplog)
    assert len(logged) == 2 and all("clamd could not scan 'policy.pdf'" in line for line in logged)
    assert "no-clamd-here.ctl" in logged[0]  # the log says where it looked (the user is not told)


def test_a_clamd_that_does_not_answer_in_time_refuses_the_upload(app, t, folder, monkeypatch):
    with socket.socket() as silent:  # accepts connections (the kernel's backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        monkeypatch.setitem(app.config, "HSBTRACK_CLAMD_URL", f"tcp://127.0.0.1:{silent.getsockname()[1]}")
        monkeypatch.setitem(app.config, "HSBTRACK_CLAMD_TIMEOUT", 0.3)
        assert field_error(lambda: upload(t)) == UNSCANNED
    assert stored_files(folder) == []


def test_a_file_longer_than_clamds_stream_limit_is_refused_not_let_through(app, t, folder, monkeypatch):
    with running_clamd(stream_max="1M") as url:
        monkeypatch.setitem(app.config, "HSBTRACK_CLAMD_URL", url)
        assert upload(t, PDF + b"%" + b"0" * 900_000 + b"\n").latest.size < 1024 * 1024
        assert field_error(lambda: upload(t, PDF + b"%" + b"0" * 1_200_000 + b"\n")) == UNSCANNED
    assert len(stored_files(folder)) == 1


# -- off by default -----------------------------------------------------------------------------


def test_without_the_setting_nothing_is_scanned(app, t, folder):
    assert not app.config.get("HSBTRACK_CLAMD_URL")
    assert upload(t, EICAR, "notes.txt").latest.content_type == "text/plain"
    assert len(stored_files(folder)) == 1


def test_the_setting_is_read_from_the_environment_and_a_misspelt_one_stops_the_start(tmp_path):
    env = {"HSBTRACK_ENV": "testing"}
    assert settings_from_environment(tmp_path, env)["HSBTRACK_CLAMD_URL"] == ""
    for url in ("unix:///run/clamav/clamd.ctl", "tcp://127.0.0.1:3310"):
        settings = settings_from_environment(tmp_path, {**env, "HSBTRACK_CLAMD_URL": url,
                                                        "HSBTRACK_CLAMD_TIMEOUT": "5"})
        assert (settings["HSBTRACK_CLAMD_URL"], settings["HSBTRACK_CLAMD_TIMEOUT"]) == (url, 5.0)
    for wrong in ("/run/clamav/clamd.ctl", "clamd:3310", "tcp://"):
        with pytest.raises(ConfigurationError, match="HSBTRACK_CLAMD_URL"):
            settings_from_environment(tmp_path, {**env, "HSBTRACK_CLAMD_URL": wrong})


# -- the hook: a plugin's scanner ---------------------------------------------------------------


class Scanner:
    """A tiny scanner plugin: refuses files holding "forbidden", cannot scan those holding "jammed"."""

    def __init__(self):
        self.seen = []

    @hookimpl
    def hsbtrack_scan_document(self, open_stream, filename, content_type, size):
        with open_stream() as stream:
            data = stream.read()
        self.seen.append((filename, content_type, size, len(data)))
        if b"forbidden" in data:
            return ScanVerdict(found="Tiny.Forbidden", scanner="tiny")
        if b"jammed" in data:
            return ScanVerdict(error="the tiny scanner is jammed", scanner="tiny")
        if b"explode" in data:
            raise RuntimeError("the tiny scanner broke")
        return None


@pytest.fixture()
def scanner(app):
    registry = app.extensions["hsbtrack_plugins"]
    plugin = Scanner()
    registry.register_plugin("tiny-scanner", plugin)
    yield plugin
    registry.pm.unregister(plugin)
    registry.infos.pop("tiny-scanner", None)


def test_a_plugins_scanner_is_what_uploads_go_through(t, scanner, folder, caplog):
    caplog.set_level(logging.WARNING, logger="hsbtrack.documents.scanning")
    assert upload(t, b"an ordinary note\n", "note.txt").latest.content_type == "text/plain"
    assert scanner.seen == [("note.txt", "text/plain", 17, 17)]
    assert field_error(lambda: upload(t, b"a forbidden note\n", "note.txt")) == (
        "The file was refused: the virus checker found Tiny.Forbidden")
    assert field_error(lambda: upload(t, b"a jammed note\n", "note.txt")) == UNSCANNED
    assert field_error(lambda: upload(t, b"explode\n", "note.txt")) == UNSCANNED  # a scanner failing: closed
    assert len(stored_files(folder)) == 1 and db.session.query(Document).count() == 1
    logged = refusals(caplog)
    assert ["tiny found 'Tiny.Forbidden'" in logged[0], "the tiny scanner is jammed" in logged[1],
            "a virus scanner failed" in logged[2]] == [True, True, True]


def test_the_example_plugin_refuses_its_example_virus(t, folder):
    assert field_error(lambda: upload(t, b"harmless\n", "example-virus.txt")) == (
        "The file was refused: the virus checker found Example.Plugin.Virus")
    assert stored_files(folder) == []
