"""The yearly report builder (England's kind): the narrative kept across versions and in the history, a stale
save refused at the field, the data draft of two closed cycles (the domain means and the change a board
manager reads), PDF and Word read back, the API's 202 and job, and who may write."""

import html
import io
import re
import subprocess
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from hsbtrack.actions.services import create_action
from hsbtrack.audits import services as audits
from hsbtrack.errors import ConflictError, ForbiddenError
from hsbtrack.history import services as history
from hsbtrack.jobs import services as jobs
from hsbtrack.timeutil import local_today
from hsbtrack.yearly_reports import services
from tests.conftest import api_headers, csrf_token, login

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def text_of(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def score_all(audit, agency, value, domain_values=None):
    for statement in audits.framework_of(audit).scored_statements:
        score = (domain_values or {}).get(statement.domain_number, value)
        audits.save_response(audit, agency.id, statement.code, score=score)


@pytest.fixture()
def scene(world):
    """Riverside with two closed cycles in the last year: T1 every agency 2 everywhere; T2 domain 1 scored 3
    by every agency, domain 5 scored 1, the rest 2 — so domain 1 went up 1.00 and domain 5 down 1.00. One
    action done this year, one overdue (due last week, still in progress)."""
    area = world.area("Riverside")
    board = world.user("board@example.org", area, "board_manager")
    lead = world.user("lead@example.org", area, "agency_lead", agency=world.agency(area, "Police"))
    viewer = world.user("viewer@example.org", area, "viewer")
    agencies = list(area.agencies)
    t1 = audits.open_audit(area, user=board)
    for agency in agencies:
        score_all(t1, agency, 2)
    audits.close_audit(t1, user=board, override_reason="closed as the test sets it up")
    t2 = audits.open_audit(area, user=board)
    for agency in agencies:
        score_all(t2, agency, 2, {1: 3, 5: 1})
    audits.close_audit(t2, user=board, override_reason="closed as the test sets it up")
    today = local_today()
    done = create_action(area, title="Refresh the HSB pathway", owner=board, due_on=today + timedelta(days=30),
                         statements=["3.1"], status="done", completion_evidence="Pathway published", user=board)
    late = create_action(area, title="Train school nurses", owner=board, due_on=today - timedelta(days=7),
                         statements=["5.4"], status="in_progress", record_overdue=True, user=board)
    start, end = today - timedelta(days=300), today + timedelta(days=60)
    return SimpleNamespace(area=area, board=board, lead=lead, viewer=viewer, t1=t1, t2=t2, done=done, late=late,
                           start=start, end=end)


def make_report(scene, **kwargs):
    report, created = services.create_report(scene.area, period_start=scene.start, period_end=scene.end,
                                             user=scene.board, **kwargs)
    assert created
    return report


def page_url(scene, report, suffix=""):
    return f"/areas/{scene.area.id}/yearly-reports/{report.id}{suffix}"


def date_parts(prefix, day) -> dict:
    return {prefix: [str(day.day), str(day.month), str(day.year)]}


# -- versions and the history ----------------------------------------------------------------------------


def test_the_narrative_is_kept_across_versions(scene, client):
    report = make_report(scene)
    login(client, scene.board)
    url = page_url(scene, report)
    first = {"section_summary": "A year of firsts: our baseline audit.", "section_what_we_did": "Two audits.",
             "section_effectiveness": "Domain 1 rose.", "section_learning": "Workforce development next.",
             "version": "0", "note": "first draft", "csrf_token": csrf_token(client, url)}
    saved = client.post(url, data=first)
    assert saved.status_code == 302
    second = {**first, "section_effectiveness": "Domain 1 rose by a whole point; domain 5 fell.", "version": "1",
              "note": "after the board", "csrf_token": csrf_token(client, url)}
    assert client.post(url, data=second).status_code == 302

    page = text_of(client.get(url).get_data(as_text=True))
    assert "Domain 1 rose by a whole point; domain 5 fell." in page
    assert "Version 2" in page and "Version 1" in page and "after the board" in page
    # version 1 is still there to read, with its own text
    old = client.get(page_url(scene, report, "/versions/1"))
    assert old.status_code == 200
    old_text = text_of(old.get_data(as_text=True))
    assert "Domain 1 rose." in old_text and "fell" not in old_text and "The newest is version 2" in old_text
    assert client.get(page_url(scene, report, "/versions/3")).status_code == 404
    # both saves are in the history: who, and the section that changed
    entries = history.entries_for("yearly_report", report.id)
    versions = [e for e in entries if e.field == "version"]
    assert [e.new_value for e in versions] == [2, 1] and all(e.user_id == scene.board.id for e in versions)
    changed = [e for e in entries if e.field == "section.effectiveness"]
    assert [e.new_value for e in changed] == ["Domain 1 rose by a whole point; domain 5 fell.", "Domain 1 rose."]
    assert not [e for e in entries if e.field == "section.summary" and e.old_value]  # (unchanged in v2)


def test_a_stale_save_is_refused_at_the_field_and_nothing_is_saved(scene, client):
    report = make_report(scene)
    services.save_version(report, {"summary": "The coordinator's summary"}, user=scene.board, based_on=0)
    login(client, scene.board)
    url = page_url(scene, report)
    stale = client.post(url, data={"section_summary": "My summary, written on an old copy", "version": "0",
                                   "csrf_token": csrf_token(client, url)})
    assert stale.status_code == 409
    body = stale.get_data(as_text=True)
    assert "govuk-error-summary" in body and 'href="#section_summary"' in body
    assert "saved version 1 of this report" in text_of(body) and "Nothing was saved" in text_of(body)
    assert "My summary, written on an old copy" in body  # (the writer's text is still in the box)
    assert services.version_number(services.get_report(report.id)) == 1
    with pytest.raises(ConflictError) as refused:
        services.save_version(report, {"summary": "x"}, user=scene.board, based_on=0)
    assert "version" in refused.value.fields


def test_only_board_managers_write(scene, client):
    report = make_report(scene)
    with pytest.raises(ForbiddenError):
        services.save_version(report, {"summary": "x"}, user=scene.lead)
    login(client, scene.lead)
    assert client.get(page_url(scene, report)).status_code == 200  # (a reader of the audit report reads it)
    page = client.get(page_url(scene, report)).get_data(as_text=True)
    assert "narrative-form" not in page and "New yearly report" not in client.get(
        f"/areas/{scene.area.id}/yearly-reports/").get_data(as_text=True)
    token = csrf_token(client, page_url(scene, report))
    assert client.post(page_url(scene, report), data={"section_summary": "x", "version": "0",
                                                      "csrf_token": token}).status_code == 403
    assert client.get(f"/areas/{scene.area.id}/yearly-reports/new").status_code == 403
    headers = api_headers(scene.lead)
    answer = client.post(f"/api/v1/areas/{scene.area.id}/yearly-reports", headers=headers,
                         json={"period_start": scene.start.isoformat(), "period_end": scene.end.isoformat()})
    assert answer.status_code == 403
    assert services.version_number(services.get_report(report.id)) == 0


# -- the new report page -----------------------------------------------------------------------------------


def test_new_report_shows_every_error_at_once(scene, client):
    login(client, scene.board)
    url = f"/areas/{scene.area.id}/yearly-reports/new"
    page = client.get(url).get_data(as_text=True)
    assert "period_start-day" in page and 'type="date"' not in page
    answer = client.post(url, data={"period_start": ["31", "2", "2026"], "period_end": ["", "", ""],
                                    "csrf_token": csrf_token(client, url)})
    assert answer.status_code == 422
    body = text_of(answer.get_data(as_text=True))
    assert "First day of the period must be a real date" in body and "Enter the last day of the period" in body
    made = client.post(url, data={**date_parts("period_start", scene.start), **date_parts("period_end", scene.end),
                                  "csrf_token": csrf_token(client, url)})
    assert made.status_code == 302
    backwards = client.post(url, data={**date_parts("period_start", scene.end - timedelta(days=70)),
                                       **date_parts("period_end", scene.start),
                                       "csrf_token": csrf_token(client, url)})
    assert backwards.status_code == 422
    assert "must be on or after its first day" in text_of(backwards.get_data(as_text=True))
    listing = client.get(f"/areas/{scene.area.id}/yearly-reports/").get_data(as_text=True)
    assert "Safeguarding partnership yearly report" in listing


# -- the data draft ----------------------------------------------------------------------------------------


def test_the_draft_shows_closed_cycles_domain_means_and_changes(scene, client):
    report = make_report(scene)
    login(client, scene.board)
    page = client.get(page_url(scene, report)).get_data(as_text=True)
    tables = re.findall(r'<table class="govuk-table" data-testid="yearly-audit-domains">(.*?)</table>', page, re.S)
    assert len(tables) == 2  # T1 and T2, both closed in the period
    t2_rows = {re.sub(r"\s+", " ", text_of(r)).split(".")[0]: text_of(r)
               for r in re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", tables[1], re.S)[1:]}
    assert t2_rows["1"].endswith("3.00 75.0% 2.00 ▲ up 1.00")
    assert t2_rows["2"].endswith("2.00 50.0% 2.00 = no change")
    assert t2_rows["5"].endswith("1.00 25.0% 2.00 ▼ down 1.00")
    # the same figures as the audit's own overview (one consolidation)
    result = audits.consolidated(scene.t2)
    assert [d.mean for d in result.domains] == [3.0, 2.0, 2.0, 2.0, 1.0]
    text = text_of(page)
    assert "This is the baseline" in text and "Changes are since T1" in text
    assert "Refresh the HSB pathway" in text and "Train school nurses" in text
    completed = re.search(r'data-testid="yearly-actions-completed">(.*?)</table>', page, re.S).group(1)
    overdue = re.search(r'data-testid="yearly-actions-overdue">(.*?)</table>', page, re.S).group(1)
    assert "Refresh the HSB pathway" in completed and "Train school nurses" not in completed
    assert "Train school nurses" in overdue and "In progress" in text_of(overdue)


def test_an_open_cycle_is_named_and_its_figures_left_out(scene, client):
    t3 = audits.open_audit(scene.area, user=scene.board)
    report = make_report(scene)
    login(client, scene.board)
    page = client.get(page_url(scene, report)).get_data(as_text=True)
    assert len(re.findall(r'data-testid="yearly-audit-domains"', page)) == 2
    open_list = text_of(page.split('data-testid="open-audits"')[1].split("</ul>")[0])
    assert t3.label in open_list and "provisional" in text_of(page)


# -- the files ---------------------------------------------------------------------------------------------


def _file(client, scene, report, fmt) -> bytes:
    url = page_url(scene, report)
    started = client.post(page_url(scene, report, "/file"),
                          data={"format": fmt, "version": "1", "csrf_token": csrf_token(client, url)})
    assert started.status_code == 302 and "/jobs/" in started.headers["Location"]
    assert jobs.run_pending() == 1
    ready = client.get(started.headers["Location"]).get_data(as_text=True)
    link = re.search(r'href="(/jobs/\d+/download)"', ready)
    assert link, ready
    assert "Back to the yearly report" in ready
    download = client.get(link.group(1))
    assert download.status_code == 200
    return download.data


NARRATIVE = {"summary": "The partners met every quarter.", "what_we_did": "We audited twice and acted on it.",
             "effectiveness": "Responses improved: domain 1 rose a whole point.",
             "learning": "Workforce development is next year's priority."}


def test_the_pdf_holds_the_headings_the_narrative_and_the_figures(scene, client):
    import pdfplumber

    report = make_report(scene, sections=NARRATIVE)
    login(client, scene.board)
    data = _file(client, scene, report, "pdf")
    assert data.startswith(b"%PDF")
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        pages = [p.extract_text() or "" for p in pdf.pages]
        lang, title = pdf.doc.catalog.get("Lang"), pdf.metadata.get("Title", "")
    text = "\n".join(pages)
    for heading in ("Summary", "What we did", "How effective it was", "Learning and priorities for next year",
                    "Contents", "The figures for the period", "Audits closed in the period"):
        assert heading in text, heading
    for words in NARRATIVE.values():
        assert words in " ".join(text.split()), words
    assert "up 1.00" in text and "down 1.00" in text and "3.00" in text
    assert "Train school nurses" in text
    assert re.search(r"Page 1 of \d+", pages[0])
    assert lang in (b"en", "en") and "Safeguarding partnership yearly report" in title
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "yearly-report.pdf").write_bytes(data)
    for number in range(1, min(len(pages), 3) + 1):
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", str(number), "-l", str(number), "-singlefile",
                        str(ARTIFACTS / "yearly-report.pdf"), str(ARTIFACTS / f"yearly-report-page-{number}")],
                       check=True)


def test_the_word_file_holds_headings_and_a_real_table(scene, client):
    import docx

    report = make_report(scene, sections=NARRATIVE)
    login(client, scene.board)
    document = docx.Document(io.BytesIO(_file(client, scene, report, "docx")))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    for heading in ("Summary", "What we did", "How effective it was", "The figures for the period"):
        assert heading in headings, headings
    assert any(NARRATIVE["effectiveness"] in p.text for p in document.paragraphs)
    domain_tables = [t for t in document.tables if t.rows[0].cells[0].text == "Domain"]
    assert len(domain_tables) == 2
    t2 = domain_tables[1]
    first = [c.text for c in t2.rows[1].cells]
    assert first[0].startswith("1.") and first[1] == "3.00" and first[3] == "2.00" and "up 1.00" in first[4]
    assert document.core_properties.title.startswith("Safeguarding partnership yearly report")


# -- the API -----------------------------------------------------------------------------------------------


def test_the_api_makes_the_report_and_its_file(scene, client):
    headers = api_headers(scene.board)
    base = f"/api/v1/areas/{scene.area.id}/yearly-reports"
    invalid = client.post(base, headers=headers, json={"period_start": "2026-02-31", "period_end": "2025-01-01",
                                                       "sections": {"nonsense": "x"}})
    assert invalid.status_code == 422
    assert {"period_start", "sections"} <= set(invalid.get_json()["error"]["fields"])
    made = client.post(base, headers=headers, json={"period_start": scene.start.isoformat(),
                                                    "period_end": scene.end.isoformat(),
                                                    "sections": {"summary": "From the API"}, "format": "pdf"})
    assert made.status_code == 202, made.get_json()
    body = made.get_json()
    assert body["status"] == "queued" and body["progress"] == 0 and body["report_id"]
    assert jobs.run_pending() == 1
    job = client.get(f"/api/v1/jobs/{body['id']}", headers=headers).get_json()
    assert job["status"] == "done" and job["download_url"]
    # a second POST for the same period adds a version (changing one section), it does not make a report
    again = client.post(base, headers=headers, json={"period_start": scene.start.isoformat(),
                                                     "period_end": scene.end.isoformat(), "version": 1,
                                                     "sections": {"learning": "Next year: schools"}})
    assert again.status_code == 201
    assert again.get_json()["version"] == 2
    assert again.get_json()["sections"]["summary"] == "From the API"
    stale = client.post(base, headers=headers, json={"period_start": scene.start.isoformat(),
                                                     "period_end": scene.end.isoformat(), "version": 1,
                                                     "sections": {"learning": "late"}})
    assert stale.status_code == 409 and "version" in stale.get_json()["error"]["fields"]
    listed = client.get(base, headers=headers).get_json()
    assert [r["id"] for r in listed] == [body["report_id"]] and len(listed[0]["versions"]) == 2


def test_a_region_has_no_kind_until_a_plugin_adds_one(world, client):
    region = world.region("Northvale")
    coordinator = world.user("coordinator@example.org", region=region, role="regional_coordinator")
    answer = client.post(f"/api/v1/regions/{region.id}/yearly-reports", headers=api_headers(coordinator),
                         json={"period_start": "2025-04-01", "period_end": "2026-03-31"})
    assert answer.status_code == 422 and "kind" in answer.get_json()["error"]["fields"]
    assert client.get(f"/api/v1/regions/{region.id}/yearly-reports", headers=api_headers(coordinator)).get_json() == []


def test_a_plugin_region_kind_gets_the_region_pages_and_api(world, client):
    """The example plugin registers a region-scoped kind: once it is on for the region, the coordinator makes
    and writes the region's report through the core's pages and API; an area's board manager may not."""
    from hsbtrack.plugins.services import set_region_plugin

    region = world.region("Northvale")
    area = world.area("Riverside", region)
    coordinator = world.user("coordinator@example.org", region=region, role="regional_coordinator")
    board = world.user("board@example.org", area, "board_manager")
    set_region_plugin(region, "example", True)
    base = f"/api/v1/regions/{region.id}/yearly-reports"
    made = client.post(base, headers=api_headers(coordinator),
                       json={"period_start": "2025-04-01", "period_end": "2026-03-31", "sections": {"summary": "Ours"}})
    assert made.status_code == 201 and made.get_json()["kind"] == "example.regional"
    report_id = made.get_json()["id"]
    assert client.post(base, headers=api_headers(board), json={"period_start": "2025-04-01",
                                                                "period_end": "2026-03-31"}).status_code == 404
    login(client, coordinator)
    url = f"/regions/{region.id}/yearly-reports/{report_id}"
    page = client.get(url).get_data(as_text=True)
    assert "Example regional report" in page and "Member areas: 1" in page and "Ours" in page
    saved = client.post(url, data={"section_summary": "Ours, revised", "version": "1",
                                   "csrf_token": csrf_token(client, url)})
    assert saved.status_code == 302
    assert services.texts(services.get_report(report_id)) == {"summary": "Ours, revised"}
    assert "Yearly reports" in client.get(f"/regions/{region.id}/").get_data(as_text=True)
    # the area's pages do not reach a region's report
    assert client.get(f"/areas/{area.id}/yearly-reports/{report_id}").status_code == 404
