"""The demo's board report as PDF and Word, made by a job through the report page's buttons, read back:
every statement code, the domain scores and "What we did" in the PDF; headings and tables in the Word
file; pages rendered to PNG (test-artifacts/) to be looked at; a Welsh reader's report in Welsh."""

import io
import re
import subprocess
import time
from pathlib import Path

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from hsbtrack.areas.demo import DEMO_PASSWORD, load_demo
from hsbtrack.audits import services
from hsbtrack.audits.models import Audit
from hsbtrack.extensions import db
from hsbtrack.jobs import services as jobs
from tests.conftest import csrf_token, login

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture()
def demo(ctx):
    load_demo()
    audit = db.session.scalar(select(Audit).where(Audit.area_id == 1).order_by(Audit.cycle.desc()))
    return audit


def _make(client, audit, fmt) -> tuple[bytes, dict]:
    """Press the report page's button, run the job, follow the job page's link."""
    report = f"/areas/{audit.area_id}/audits/{audit.id}/report"
    page = client.get(report).get_data(as_text=True)
    assert f'value="{fmt}"' in page
    started = client.post(f"{report}/file", data={"format": fmt, "csrf_token": csrf_token(client, report)})
    assert started.status_code == 302 and "/jobs/" in started.headers["Location"]
    job_page = started.headers["Location"]
    waiting = client.get(job_page).get_data(as_text=True)
    assert 'aria-live="polite"' in waiting and "job-progress.js" in waiting
    began = time.perf_counter()
    assert jobs.run_pending() == 1
    seconds = time.perf_counter() - began
    ready = client.get(job_page).get_data(as_text=True)
    link = re.search(r'href="(/jobs/\d+/download)"', ready)
    assert link, ready
    download = client.get(link.group(1))
    assert download.status_code == 200 and download.headers["Content-Disposition"].startswith("attachment")
    return download.data, {"seconds": seconds, "filename": download.headers["Content-Disposition"]}


def _pdf_text(data):
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return [page.extract_text() or "" for page in pdf.pages], pdf.doc.catalog.get("Lang"), pdf.metadata


def test_the_demo_board_report_as_pdf(demo, client, capsys):
    login(client, "board@example.org", DEMO_PASSWORD)
    data, info = _make(client, demo, "pdf")
    assert data.startswith(b"%PDF")
    pages, lang, metadata = _pdf_text(data)
    text = "\n".join(pages)
    framework = services.framework_of(demo)
    missing = [s.code for s in framework.scored_statements if not re.search(rf"(?<![\d.]){re.escape(s.code)}(?![\d])", text)]
    assert not missing, f"statement codes not in the PDF: {missing}"
    result = services.consolidated_many([demo])[demo.id]
    for domain in result.domains:
        assert f"{domain.mean:.2f}" in text, f"domain {domain.number}'s score {domain.mean:.2f}"
    assert "What we did" in text and "Contents" in pages[0]
    assert re.search(r"Page 1 of (\d+)", pages[0]) and f"Page {len(pages)} of {len(pages)}" in pages[-1]
    assert lang in (b"en", "en") and "Board report" in metadata.get("Title", "")
    # the pages, to be looked at: the first, and domain 1's
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "board-report.pdf").write_bytes(data)
    domain_page = next(i for i, p in enumerate(pages, 1) if "Domain 1: A continuum" in p and i > 1)
    for number, name in ((1, "first"), (domain_page, "domain-1")):
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", str(number), "-l", str(number), "-singlefile",
                        str(ARTIFACTS / "board-report.pdf"), str(ARTIFACTS / f"board-report-{name}")], check=True)
        assert (ARTIFACTS / f"board-report-{name}.png").stat().st_size > 10_000
    with capsys.disabled():
        print(f"\nthe demo board report as PDF: {len(pages)} pages in {info['seconds']:.1f} s")


def test_the_demo_board_report_as_word(demo, client):
    import docx

    login(client, "board@example.org", DEMO_PASSWORD)
    data, info = _make(client, demo, "docx")
    assert ".docx" in info["filename"]
    document = docx.Document(io.BytesIO(data))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    for wanted in ("Domain scores", "What we did", "Evidence index", "Lowest-scoring statements", "Disagreements"):
        assert wanted in headings, (wanted, headings)
    assert any(h.startswith("Domain 5:") for h in headings)
    tables = document.tables
    assert len(tables) >= 8
    first_cells = {t.rows[0].cells[0].text for t in tables}
    assert "Domain" in first_cells and "Statement" in first_cells
    every_cell = {c.text for t in tables for r in t.rows for c in r.cells}
    assert "1.1" in every_cell and f"{services.consolidated_many([demo])[demo.id].overall_mean:.2f}" in every_cell
    assert len(document.inline_shapes) == 6  # the domain radar and one per domain, as PNG
    assert document.core_properties.language == "en"
    (ARTIFACTS / "board-report.docx").write_bytes(data)


def test_a_welsh_readers_report_is_in_welsh(demo, client, app):
    login(client, "board@example.org", DEMO_PASSWORD)
    client.get("/language/cy")
    data, _info = _make(client, demo, "pdf")
    pages, lang, metadata = _pdf_text(data)
    text = "\n".join(pages)
    with app.test_request_context("/"), force_locale("cy"):
        welsh = [_("Domain scores"), _("What we did"), _("Contents"), _("Board report")]
        page_one = _("Page %(page)s of %(pages)s", page=1, pages=len(pages))
    assert welsh[0] != "Domain scores"
    for heading in welsh[:3]:
        assert heading in text, heading
    assert welsh[3] in metadata.get("Title", "")
    assert page_one in pages[0]
    assert lang in (b"cy", "cy")
    word, _info = _make(client, demo, "docx")
    import docx

    document = docx.Document(io.BytesIO(word))
    assert welsh[0] in [p.text for p in document.paragraphs] and document.core_properties.language == "cy"
