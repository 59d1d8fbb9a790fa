"""The evidence index of an audit (statement × agency → documents with their effective dates): the page,
the XLSX file and the board report's section, each listing only the documents the reader may open (an
agency's for the readers of its responses, the partnership's for every reader of the audit), gaps shown,
in a fixed number of queries."""

import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook

from hsbtrack.audits import services as audits
from hsbtrack.documents import services
from hsbtrack.extensions import db
from hsbtrack.storage import EXTENSION, LocalStorage
from hsbtrack.timeutil import local_date
from tests.audits.moderation_helpers import make_audit, text_of
from tests.conftest import OPENED_EARLIER, count_queries, csrf_token, login

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
TOTAL = 46  # scored statements of the NSPCC framework


@pytest.fixture(autouse=True)
def store(app, tmp_path):
    before = app.extensions.get(EXTENSION)
    app.extensions[EXTENSION] = LocalStorage(tmp_path / "documents")
    yield
    app.extensions[EXTENSION] = before


@pytest.fixture()
def t(world):
    t = make_audit(world)
    police, health = t.agencies["Police"], t.agencies["Health"]
    t.police_doc = services.upload_to_response(t.audit, police.id, "1.1", io.BytesIO(PDF), "policy.pdf",
                                               title="Police HSB policy", effective_on="2026-03-10", user=t.lead)
    t.health_doc = services.upload_to_response(t.audit, health.id, "1.1", io.BytesIO(PDF * 40), "pathway.pdf",
                                               title="Health referral pathway", user=t.board)
    t.health_doc2 = services.upload_to_response(t.audit, health.id, "2.2", io.BytesIO(PDF), "audit.pdf",
                                                title="Health case audit", effective_on="2025-11-01", user=t.board)
    # the partnership's own, for every reader of the audit
    t.board_doc = services.upload_to_statement(t.audit, "1.1", io.BytesIO(PDF), "board.pdf",
                                               title="Partnership audit report", effective_on="2026-01-31",
                                               user=t.board)
    return t


def page_url(t, **query):
    suffix = "&".join(f"{k}={v}" for k, v in query.items())
    return f"/areas/{t.area.id}/audits/{t.audit.id}/evidence" + (f"?{suffix}" if suffix else "")


def statement_body(html, code) -> str:
    match = re.search(rf'<tbody class="govuk-table__body" data-code="{re.escape(code)}">(.*?)</tbody>', html, re.S)
    assert match, f"no rows for {code}"
    return match.group(1)


def get(client, user, url):
    login(client, user)
    answer = client.get(url)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    return answer


# -- the page ---------------------------------------------------------------------------------


def test_the_board_manager_sees_every_agencys_documents_with_their_dates_and_the_gaps(client, t):
    answer = get(client, t.board, page_url(t))
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert text_of(re.search(r'data-testid="evidence-count">(.*?)</p>', html, re.S).group(1)).startswith(
        f"4 documents for 2 of {TOTAL} statements")
    assert "Provisional" in html and "0 of 3 returns in" in html  # the audit is open
    first = statement_body(html, "1.1")
    rows = re.findall(r'<tr class="govuk-table__row" data-agency="(\w+)">', first)
    # the partnership's first, then the agencies by name
    assert rows == ["partnership", str(t.agencies["Health"].id), str(t.agencies["Police"].id)]
    partnership = text_of(first.split('data-agency="partnership"')[1].split("</tr>")[0])
    assert "Safeguarding partnership" in partnership and "Partnership audit report" in partnership
    assert "Effective 31 January 2026" in partnership
    police = text_of(first.split(f'data-agency="{t.agencies["Police"].id}"')[1])
    assert "Police HSB policy" in police and "Effective 10 March 2026" in police and "PDF, 1 KB" in police
    health = text_of(first.split(f'data-agency="{t.agencies["Health"].id}"')[1].split("</tr>")[0])
    assert "Health referral pathway" in health and "No effective date" in health and "PDF, 3 KB" in health
    assert f'href="/documents/{t.police_doc.id}/content"' in first
    assert "No documents" in text_of(statement_body(html, "1.2"))  # a gap shows
    assert "Health case audit" in statement_body(html, "2.2")
    assert 'data-heading="1.6"' in html  # a heading stays above its statements
    assert f'href="/areas/{t.area.id}/audits/{t.audit.id}/evidence.xlsx"' in html


def test_the_agency_filter_shows_one_agency_and_ignores_what_the_reader_may_not_choose(client, t):
    health = t.agencies["Health"]
    html = get(client, t.board, page_url(t, agency=health.id)).get_data(as_text=True)
    assert "Police HSB policy" not in html and "Partnership audit report" not in html
    assert "Health referral pathway" in html
    assert text_of(re.search(r'data-testid="evidence-count">(.*?)</p>', html, re.S).group(1)).startswith(
        f"2 documents for 2 of {TOTAL} statements")
    assert "Showing only the documents of Health." in html
    assert f'<option value="{health.id}" selected>' in html
    html = get(client, t.board, page_url(t, agency="partnership")).get_data(as_text=True)
    assert "Partnership audit report" in html and "Health referral pathway" not in html
    assert "Showing only the documents of Safeguarding partnership." in html
    # the lead may not read Health's: the filter is dropped, and their own agency's documents show
    html = get(client, t.lead, page_url(t, agency=health.id)).get_data(as_text=True)
    assert "Health referral pathway" not in html and "Police HSB policy" in html
    assert "Showing only" not in html


def test_an_agency_lead_sees_only_their_own_agencys_documents_and_the_partnerships(client, t):
    html = get(client, t.lead, page_url(t)).get_data(as_text=True)
    assert "Police HSB policy" in html and "Partnership audit report" in html
    assert "Health referral pathway" not in html and "Health case audit" not in html
    assert f"/documents/{t.health_doc.id}/content" not in html
    assert f'data-agency="{t.agencies["Health"].id}"' not in html
    assert "No documents" in text_of(statement_body(html, "2.2"))  # Health's 2.2 is not theirs to see
    assert 'id="evidence-scope"' in html  # they are told why
    assert text_of(re.search(r'data-testid="evidence-count">(.*?)</p>', html, re.S).group(1)).startswith(
        f"2 documents for 1 of {TOTAL} statements")


def test_readers_of_the_audit_only_see_the_partnerships_documents_and_no_agencys(client, t, world):
    training = world.user("training@riverside.example.org", t.area, "training_lead")
    for user in (t.viewer, training):
        answer = get(client, user, page_url(t))
        assert answer.status_code == 200, user.email
        html = answer.get_data(as_text=True)
        for title in ("Police HSB policy", "Health referral pathway", "Health case audit", "policy.pdf"):
            assert title not in html, (user.email, title)
        for document in (t.police_doc, t.health_doc, t.health_doc2):
            assert f"/documents/{document.id}/content" not in html
        assert "Partnership audit report" in html and f"/documents/{t.board_doc.id}/content" in html
        assert re.findall(r'data-agency="(\w+)"', html) == ["partnership"]
        assert text_of(re.search(r'data-testid="evidence-count">(.*?)</p>', html, re.S).group(1)).startswith(
            f"1 document for 1 of {TOTAL} statements")


def test_another_areas_board_manager_gets_404(client, t, world):
    other = make_audit(world, name="Hillside")
    for url in (page_url(t), page_url(t).replace("/evidence", "/evidence.xlsx")):
        assert get(client, other.board, url).status_code == 404, url
    # nor can the audit of one area be reached through another area's address
    assert get(client, other.board, f"/areas/{other.area.id}/audits/{t.audit.id}/evidence").status_code == 404


def test_the_audit_page_and_the_moderation_grid_link_to_the_index(client, t):
    login(client, t.board)
    index = page_url(t)
    assert f'href="{index}"' in client.get(f"/areas/{t.area.id}/audits/{t.audit.id}/").get_data(as_text=True)
    assert f'href="{index}"' in client.get(f"/areas/{t.area.id}/audits/{t.audit.id}/moderation").get_data(
        as_text=True)


def test_the_page_takes_a_fixed_number_of_queries_for_3_or_30_documents(app, client, t):
    login(client, t.board)

    def measure():
        db.session.expire_all()
        with count_queries(app) as queries:
            answer = client.get(page_url(t))
        assert answer.status_code == 200
        return queries(), answer.get_data(as_text=True).count("data-document=")

    few, listed = measure()
    assert listed == 4
    police, health = t.agencies["Police"], t.agencies["Health"]
    for number, code in enumerate(("1.2", "1.3", "1.4", "1.5", "2.3", "2.4", "3.1", "3.2", "4.2"), start=1):
        for agency in (police, health, police):
            services.upload_to_response(t.audit, agency.id, code, io.BytesIO(PDF), f"d{number}.pdf", user=t.board)
    services.add_version(t.police_doc, io.BytesIO(PDF + b"%2"), "policy-2.pdf", user=t.lead)
    many, listed = measure()
    assert listed == 31
    assert many == few, (few, many)


# -- the XLSX file ----------------------------------------------------------------------------


def test_the_xlsx_has_a_row_per_document_statement_and_agency_with_real_dates(client, t):
    t.audit.opened_at = OPENED_EARLIER
    db.session.commit()
    answer = get(client, t.board, page_url(t).replace("/evidence", "/evidence.xlsx"))
    assert answer.status_code == 200
    assert answer.headers["Content-Disposition"] == 'attachment; filename="riverside-T1-evidence-index.xlsx"'
    sheet = load_workbook(io.BytesIO(answer.data)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][0] == "Riverside, T1: evidence index (provisional, 0 of 3 returns in)"
    assert rows[1][0].startswith("Provisional: T1 is still open")
    assert rows[2][0] == f"4 documents for 2 of {TOTAL} statements"
    header = rows.index(["Domain", "Code", "Statement", "Agency", "Document", "File name", "Effective date",
                         "Version", "Size (bytes)", "Uploaded on"])
    body = [r for r in rows[header + 1:] if r[1]]
    police = next(r for r in body if r[4] == "Police HSB policy")
    assert police[:4] == ["1 Responses", "1.1", police[2], "Police"]
    assert police[2] == audits.framework_of(t.audit).statement("1.1").text  # the statement's text
    assert police[5:9] == ["policy.pdf", police[6], 1, len(PDF)]
    assert police[6].date() == date(2026, 3, 10)  # a real date cell
    police_row = rows.index(police) + 1
    assert sheet.cell(row=police_row, column=7).number_format == "dd/mm/yyyy"
    assert sheet.cell(row=police_row, column=10).value.date() == local_date(t.police_doc.latest.uploaded_at)
    assert sheet.cell(row=police_row, column=5).hyperlink.target.endswith(f"/documents/{t.police_doc.id}/content")
    health = next(r for r in body if r[4] == "Health referral pathway")
    assert health[3] == "Health" and health[6] is None
    board = next(r for r in body if r[4] == "Partnership audit report")
    assert board[3] == "Safeguarding partnership" and board[6].date() == date(2026, 1, 31)
    assert [r[3] for r in body if r[1] == "1.1"] == ["Safeguarding partnership", "Health", "Police"]
    gap = next(r for r in body if r[1] == "1.2")
    assert gap[3:5] == [None, "No documents"]
    assert len(body) == 4 + (TOTAL - 2)  # a row per document, one per statement without any
    assert not any(r[1] == "1.6" for r in body)  # headings are not scored: no row of their own


def test_the_xlsx_follows_the_readers_rule_too(client, t):
    url = page_url(t).replace("/evidence", "/evidence.xlsx")
    for user, titles in ((t.lead, {"Police HSB policy", "Partnership audit report"}),
                         (t.viewer, {"Partnership audit report"})):
        sheet = load_workbook(io.BytesIO(get(client, user, url).data)).active
        listed = {row[4].value for row in sheet.iter_rows() if row[4].value and row[4].value != "Document"}
        assert listed - {"No documents"} == titles, user.email


# -- the board report -------------------------------------------------------------------------


def test_the_board_report_has_an_evidence_index_section_in_its_contents(client, t):
    url = f"/areas/{t.area.id}/audits/{t.audit.id}/report"
    html = get(client, t.board, url).get_data(as_text=True)
    contents = re.search(r'data-testid="report-contents">(.*?)</ol>', html, re.S).group(1)
    assert '<a class="govuk-link" href="#report-evidence-index">Evidence index</a>' in contents
    section = re.search(r'data-report-section="report-evidence-index">(.*?)</section>', html, re.S).group(1)
    text = text_of(section).replace(" ,", ",")
    assert f"4 documents for 2 of {TOTAL} statements" in text
    assert "Safeguarding partnership: Partnership audit report, effective 31 January 2026" in text
    assert "Police: Police HSB policy, effective 10 March 2026" in text
    assert "Health: Health referral pathway, no effective date" in text
    assert "Statements without a document: 1.2, 1.3" in text
    assert "<form" not in section and "type=\"file\"" not in section  # no upload controls
    lead = get(client, t.lead, url).get_data(as_text=True)
    section = re.search(r'data-report-section="report-evidence-index">(.*?)</section>', lead, re.S).group(1)
    assert "Police HSB policy" in section and "Health referral pathway" not in lead
    viewer = get(client, t.viewer, url).get_data(as_text=True)
    section = re.search(r'data-report-section="report-evidence-index">(.*?)</section>', viewer, re.S).group(1)
    assert "Partnership audit report" in section
    assert "Police HSB policy" not in viewer and "Health referral pathway" not in viewer


def test_the_report_takes_a_fixed_number_of_queries_for_3_or_30_documents(app, client, t):
    login(client, t.board)
    url = f"/areas/{t.area.id}/audits/{t.audit.id}/report"

    def measure():
        db.session.expire_all()
        with count_queries(app) as queries:
            html = client.get(url).get_data(as_text=True)
        section = re.search(r'data-report-section="report-evidence-index">(.*?)</section>', html, re.S).group(1)
        return queries(), section.count("data-document=")

    few, listed = measure()
    for code in ("1.2", "1.3", "1.4", "1.5", "2.3", "2.4", "3.1", "3.2", "4.2"):
        for agency in (t.agencies["Police"], t.agencies["Health"], t.agencies["Education"]):
            services.upload_to_response(t.audit, agency.id, code, io.BytesIO(PDF), "d.pdf", user=t.board)
    many, listed_after = measure()
    assert (listed, listed_after) == (4, 31)
    assert many == few, (few, many)
