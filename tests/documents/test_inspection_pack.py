"""The demo's inspection pack, made by a job from the dashboard's button and read back: the ZIP holds exactly
what its index lists (sizes and SHA-256 agree), each document is byte for byte the stored one, the board
reports are PDFs with every statement code, the spreadsheets open (the evidence index links to the files in
the pack); only board managers (and administrators) may make one; the API answers 202 and the job ends done."""

import csv
import hashlib
import io
import posixpath
import re
import zipfile

import pytest
from sqlalchemy import select

from hsbtrack.areas.demo import DEMO_PASSWORD, load_demo
from hsbtrack.areas.models import Area
from hsbtrack.audits import services as audits
from hsbtrack.auth.models import User
from hsbtrack.dashboard import inspection_pack
from hsbtrack.documents.models import LINKED, Document, DocumentLink
from hsbtrack.extensions import db
from hsbtrack.jobs import services as jobs
from hsbtrack.storage import storage
from tests.conftest import _empty_all_tables, api_headers, csrf_token, login

AREA_NAME = "Riverside Safeguarding Partnership"


def _area_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Area.id).where(Area.name == AREA_NAME))


@pytest.fixture(scope="module")
def demo(app):
    """The demo, loaded once for the module (every test here only reads it, or adds jobs)."""
    with app.app_context():
        load_demo()
        db.session.remove()
    yield _area_id(app)
    _empty_all_tables(app)


@pytest.fixture(scope="module")
def pack(app, demo):
    """The board manager presses the dashboard's button, the job runs, the job page offers the ZIP."""
    client = app.test_client()
    login(client, "board@example.org", DEMO_PASSWORD)
    dashboard = f"/areas/{demo}/"
    page = client.get(dashboard).get_data(as_text=True)
    assert "Make an inspection pack" in page and f'action="/areas/{demo}/inspection-pack"' in page
    started = client.post(f"/areas/{demo}/inspection-pack", data={"csrf_token": csrf_token(client, dashboard)})
    assert started.status_code == 302 and "/jobs/" in started.headers["Location"]
    job_page = started.headers["Location"]
    waiting = client.get(job_page).get_data(as_text=True)
    assert f"Inspection pack: {AREA_NAME}" in waiting
    with app.app_context():
        assert jobs.run_pending() == 1
    ready = client.get(job_page).get_data(as_text=True)
    link = re.search(r'href="(/jobs/\d+/download)"', ready)
    assert link, ready
    download = client.get(link.group(1))
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert "inspection-pack" in download.headers["Content-Disposition"]
    return zipfile.ZipFile(io.BytesIO(download.data))


def _index(pack) -> list[dict]:
    text = pack.read("index.csv").decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_zip_holds_exactly_what_its_index_lists(pack):
    rows = _index(pack)
    listed = [row["path"] for row in rows]
    assert len(listed) == len(set(listed))
    assert set(pack.namelist()) == set(listed) | {"index.html", "index.csv"}
    assert len(pack.namelist()) == len(set(pack.namelist()))  # no name twice
    for row in rows:
        data = pack.read(row["path"])
        assert len(data) == int(row["size"]) == pack.getinfo(row["path"]).file_size, row["path"]
        assert hashlib.sha256(data).hexdigest() == row["sha256"], row["path"]
        assert row["description"], row["path"]
    html = pack.read("index.html").decode()
    for row in rows:
        assert f'href="{row["path"]}"' in html and row["sha256"] in html
    assert '<html lang="en">' in html and f"Inspection pack: {AREA_NAME}" in html
    # what an inspector needs: the two cycles' papers and the action plan
    kinds = [p for p in listed if not re.search(r"/documents/", p)]
    assert sum(p.endswith(".pdf") for p in kinds) == 2
    assert sum("evidence-index" in p for p in kinds) == 2
    assert sum(p.endswith(".xlsx") for p in kinds) == 5  # 2 exports, 2 evidence indexes, the action plan
    # the documents are stored as they are, the spreadsheets deflated
    for name in listed:
        info = pack.getinfo(name)
        expected = zipfile.ZIP_STORED if name.endswith(".pdf") else None
        if expected is not None:
            assert info.compress_type == expected, name
        if name.endswith(".xlsx"):
            assert info.compress_type == zipfile.ZIP_DEFLATED, name


def test_every_document_is_in_it_byte_for_byte(app, demo, pack):
    by_id = {}
    for name in pack.namelist():
        found = re.search(r"/documents/[^/]+/(\d+)-[^/]+$", name)
        if found:
            assert int(found.group(1)) not in by_id, f"document {found.group(1)} twice"
            by_id[int(found.group(1))] = name
    with app.app_context():
        documents = db.session.scalars(
            select(Document).join(DocumentLink).where(Document.area_id == demo, Document.deleted_at.is_(None),
                                                      DocumentLink.status == LINKED).distinct()).all()
        assert documents and {d.id for d in documents} == set(by_id)
        for document in documents:
            version = document.latest
            with storage().open(version.storage_key) as stored:
                assert pack.read(by_id[document.id]) == stored.read(), document.title
            assert by_id[document.id].endswith(version.filename.rsplit(".", 1)[-1].lower())
            assert version.sha256 == hashlib.sha256(pack.read(by_id[document.id])).hexdigest()


def test_the_board_reports_have_every_statement_code(app, demo, pack):
    import pdfplumber

    reports = sorted(n for n in pack.namelist() if n.endswith(".pdf") and "/documents/" not in n)
    with app.app_context():
        found = audits.audits_for_area(demo)
        assert len(reports) == len(found) == 2
        framework = audits.framework_of(found[-1])
        codes = [s.code for s in framework.scored_statements]
    for name in reports:
        with pdfplumber.open(io.BytesIO(pack.read(name))) as pdf:
            text = "\n".join(page.extract_text() or "" for page in pdf.pages)
        missing = [c for c in codes if not re.search(rf"(?<![\d.]){re.escape(c)}(?![\d])", text)]
        assert not missing, f"{name}: {missing}"
        assert "Board report" in text or "Contents" in text


def test_the_spreadsheets_open_and_the_evidence_index_links_inside_the_pack(pack):
    from openpyxl import load_workbook

    names = set(pack.namelist())
    linked = 0
    for name in (n for n in names if n.endswith(".xlsx") and "/documents/" not in n):
        workbook = load_workbook(io.BytesIO(pack.read(name)))
        assert workbook.sheetnames, name
        if "evidence-index" in name:
            folder = name.rsplit("/", 1)[0]
            for row in workbook.active.iter_rows():
                for cell in row:
                    if cell.hyperlink is not None:
                        target = cell.hyperlink.target
                        assert posixpath.normpath(f"{folder}/{target}") in names, target
                        linked += 1
    assert linked


@pytest.mark.parametrize("email", ["police@example.org", "viewer@example.org", "training@example.org"])
def test_others_cannot_make_one(app, demo, email):
    client = app.test_client()
    login(client, email, DEMO_PASSWORD)
    dashboard = f"/areas/{demo}/"
    page = client.get(dashboard).get_data(as_text=True)
    assert "Make an inspection pack" not in page
    refused = client.post(f"/areas/{demo}/inspection-pack", data={"csrf_token": csrf_token(client, dashboard)})
    assert refused.status_code in (403, 404)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        answer = client.post(f"/api/v1/areas/{demo}/inspection-pack", headers=api_headers(user))
        assert answer.status_code in (403, 404)
        assert not inspection_pack.may_make(user, demo)


def test_the_api_starts_one_and_the_job_ends_done(app, demo):
    client = app.test_client()
    with app.app_context():
        board = db.session.scalar(select(User).where(User.email == "board@example.org"))
        headers = api_headers(board)
    answer = client.post(f"/api/v1/areas/{demo}/inspection-pack", headers=headers)
    assert answer.status_code == 202, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["status"] == "queued" and body["progress"] == 0 and body["id"]
    assert body["kind"] == "area.inspection_pack" and body["download_url"] is None
    with app.app_context():
        assert jobs.run_pending() == 1
    done = client.get(f"/api/v1/jobs/{body['id']}", headers=headers).get_json()
    assert done["status"] == "done" and done["progress"] == 100 and done["download_url"]
    login(client, "board@example.org", DEMO_PASSWORD)  # (the download is a page: the browser session's)
    download = client.get(done["download_url"])
    assert download.status_code == 200 and zipfile.ZipFile(io.BytesIO(download.data)).testzip() is None
    # another board member's job is theirs only
    viewer = app.test_client()
    login(viewer, "police@example.org", DEMO_PASSWORD)
    assert viewer.get(f"/jobs/{body['id']}").status_code == 404


def test_a_welsh_readers_pack_is_in_welsh(app, demo):
    client = app.test_client()
    login(client, "board@example.org", DEMO_PASSWORD)
    assert client.get("/language/cy").status_code == 302
    dashboard = f"/areas/{demo}/"
    started = client.post(f"/areas/{demo}/inspection-pack", data={"csrf_token": csrf_token(client, dashboard)})
    assert started.status_code == 302
    with app.app_context():
        assert jobs.run_pending() == 1
    link = re.search(r'href="(/jobs/\d+/download)"', client.get(started.headers["Location"]).get_data(as_text=True))
    pack = zipfile.ZipFile(io.BytesIO(client.get(link.group(1)).data))
    html = pack.read("index.html").decode()
    client.get("/language/en")
    assert '<html lang="cy">' in html and "Inspection pack" not in html and "Pecyn arolygu" in html
