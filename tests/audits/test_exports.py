"""Audit exports: the XLSX laid out like the printed audit tool, the CSV, formula injection, and the
HTML download routes (any role in the area; 404 for everyone else)."""

import csv
import io
import re
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from tests.conftest import OPENED_EARLIER, count_queries, login

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADINGS = {"1.6", "2.1", "4.1"}
NASTY = {
    "1.1": "=HYPERLINK(\"http://evil.example\",\"click\")",
    "1.2": "+1+cmd|' /C calc'!A0",
    "1.3": "-2+3",
    "1.4": "@SUM(1,2)",
}


def _score(agency_index, position):
    """A deterministic 0-4 score that differs between agencies."""
    return (position + agency_index * 2) % 5


class Scene:
    def __init__(self, world):
        from hsbtrack.audits import services

        self.services = services
        self.area = world.area("Riverside")
        self.agencies = sorted(self.area.agencies, key=lambda a: a.name)  # Education, Health, Police
        self.board = world.user("board@example.org", self.area, "board_manager")
        self.viewer = world.user("viewer@example.org", self.area, "viewer")
        self.lead = world.user("lead@example.org", self.area, "agency_lead", agency=self.agencies[0])
        self.other_area = world.area("Zebrafield", agencies=("Zebra Police",))
        self.stranger = world.user("board@zebrafield.example", self.other_area, "board_manager")

    def scored_audit(self, moderate=True, nasty=True, title=None):
        services = self.services
        audit = services.open_audit(self.area, user=self.board, title=title, opened_at=OPENED_EARLIER)
        framework = services.framework_of(audit)
        for index, agency in enumerate(self.agencies):
            for position, statement in enumerate(framework.scored_statements):
                evidence = f"{agency.name} evidence for {statement.code}"
                if nasty and index == 0 and statement.code in NASTY:
                    evidence = NASTY[statement.code]
                services.save_response(audit, agency.id, statement.code, score=_score(index, position),
                                       evidence=evidence, assurance="Quarterly case file audit", user=self.board)
            services.save_domain_response(audit, agency.id, 1, comments=f"{agency.name}: domain 1 comments",
                                          date_completed="2026-03-31", user=self.board)
        if moderate:
            lowest = services.consolidated(audit).by_code["1.1"].lowest
            services.set_agreed_score(audit, "1.1", lowest + 1, "Agreed at the moderation meeting", user=self.board)
        return audit

    def expected_agreed(self, audit):
        return {s.code: s.agreed for s in self.services.consolidated(audit).statements}


@pytest.fixture()
def scene(world):
    return Scene(world)


def _workbook(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return load_workbook(io.BytesIO(response.data))


def _csv_rows(text, provisional="0 of 3 returns in"):
    """The CSV's rows by column name; every row says whether its figures are provisional (checked)."""
    rows = list(csv.DictReader(io.StringIO(text)))
    wanted = f"provisional, {provisional}" if provisional else "final"
    assert rows and {row["figures"] for row in rows} == {wanted}, {row["figures"] for row in rows}
    return rows


def _domain_rows(sheet):
    """``{code: row}`` for the statement rows of a domain sheet (row 1 title, row 2 headers)."""
    header = [c.value for c in sheet[2]]
    rows = {}
    for row in sheet.iter_rows(min_row=3):
        code = row[0].value
        if isinstance(code, str) and code[0].isdigit():
            rows[code] = {header[i]: cell.value for i, cell in enumerate(row) if i < len(header)}
    return header, rows


# -- XLSX -------------------------------------------------------------------------------------


def test_xlsx_has_summary_domain_and_agency_sheets(client, scene):
    audit = scene.scored_audit()
    login(client, scene.board)
    response = client.get(f"/areas/{scene.area.id}/audits/{audit.id}/export.xlsx")
    assert response.mimetype == XLSX
    assert response.headers["Content-Disposition"] == 'attachment; filename="riverside-T1-audit.xlsx"'
    workbook = _workbook(response)
    framework = scene.services.framework_of(audit)
    domain_sheets = [f"{d.number} {d.short_title}" for d in framework.domains]
    assert workbook.sheetnames == ["Summary", *domain_sheets, "Education", "Health", "Police"]

    expected = scene.expected_agreed(audit)
    assert expected["1.1"] == scene.services.consolidated(audit).by_code["1.1"].lowest + 1  # moderated
    seen_scored, seen_headings = set(), set()
    for domain, name in zip(framework.domains, domain_sheets, strict=True):
        sheet = workbook[name]
        header, rows = _domain_rows(sheet)
        assert header[:7] == ["Code", "Statement", "Agreed score", "Lowest score", "Spread",
                              "Disagreement (2 or more apart)", "Justification of the agreed score"]
        assert header[7:] == [f"{a.name}: {label}" for a in scene.agencies for label in (
            "score", framework.response_fields["evidence"], framework.response_fields["assurance"])]
        assert all(cell.font.bold for cell in sheet[2] if cell.value)
        assert sheet.freeze_panes == "C3"
        assert sheet.column_dimensions["B"].width >= 50
        assert sheet["B3"].alignment.wrap_text
        # Every statement in printed order, headings included.
        assert list(rows) == [s.code for s in domain.statements]
        for statement in domain.statements:
            row = rows[statement.code]
            assert row["Statement"] == statement.text
            if not statement.scored:
                seen_headings.add(statement.code)
                assert row["Agreed score"] is None
                continue
            seen_scored.add(statement.code)
            result = scene.services.consolidated(audit).by_code[statement.code]
            assert row["Agreed score"] == expected[statement.code]
            assert (row["Lowest score"], row["Spread"]) == (result.lowest, result.spread)
            assert row["Disagreement (2 or more apart)"] == ("Yes" if result.disagreement else "No")
            for agency in scene.agencies:
                assert row[f"{agency.name}: score"] == result.agency_scores[agency.id]
                assert row[f"{agency.name}: {framework.response_fields['assurance']}"] == "Quarterly case file audit"
        values = [c.value for row in sheet.iter_rows() for c in row]
        assert any(isinstance(v, str) and v.startswith("Source: Hackett, S") for v in values)
    assert len(seen_scored) == 46 and seen_scored == {s.code for s in framework.scored_statements}
    assert seen_headings == HEADINGS
    assert workbook["1 Responses"]["G3"].value == "Agreed at the moderation meeting"

    for index, agency in enumerate(scene.agencies):
        sheet = workbook[agency.name]
        assert [c.value for c in sheet[2]] == ["Code", "Statement", "Score", "Score meaning",
                                               framework.response_fields["evidence"],
                                               framework.response_fields["assurance"], "Source"]
        assert sheet.freeze_panes == "C3"
        scores = {}
        for row in sheet.iter_rows(min_row=3, values_only=True):
            if isinstance(row[0], str) and row[0] in {s.code for s in framework.scored_statements}:
                scores[row[0]] = row[2]
                assert row[3] == framework.scale.labels[row[2]]
                assert row[6] == "agency"  # answered in this audit (not from a shared return)
        assert scores == {s.code: _score(index, p) for p, s in enumerate(framework.scored_statements)}
        values = [c for row in sheet.iter_rows(values_only=True) for c in row]
        assert f"{agency.name}: domain 1 comments" in values
        assert any(getattr(v, "date", lambda: None)() == date(2026, 3, 31) for v in values if v is not None
                   and hasattr(v, "year"))


def test_xlsx_summary_has_domain_scores_and_the_radar_table(client, scene):
    t1 = scene.scored_audit(nasty=False, moderate=False)
    scene.services.close_audit(t1, user=scene.board, completed_on=date(2026, 1, 15), override_reason="closed as the test sets it up")
    t2 = scene.scored_audit(nasty=False, moderate=False, title="Six-month re-audit")
    login(client, scene.board)
    workbook = _workbook(client.get(f"/areas/{scene.area.id}/audits/{t2.id}/export.xlsx"))
    summary = workbook["Summary"]
    rows = [list(r) for r in summary.iter_rows(values_only=True)]
    flat = [v for r in rows for v in r if v is not None]
    assert "Riverside" in flat and "Six-month re-audit" in flat and "T2" in flat
    assert {"Education", "Health", "Police"} <= set(flat)
    assert summary.freeze_panes == "A2"
    result = scene.services.consolidated(t2)
    header_index = next(i for i, r in enumerate(rows) if r[:2] == ["Domain", "Title"])
    for offset, domain in enumerate(result.domains, start=1):
        row = rows[header_index + offset]
        assert row[2] == domain.mean
        assert row[3] == pytest.approx(domain.percent / 100)
    radar_index = next(i for i, r in enumerate(rows) if r[:3] == ["Domain", "T1", "T2"])
    t1_result = scene.services.consolidated(t1)
    for offset in range(5):
        row = rows[radar_index + 1 + offset]
        assert row[1] == t1_result.domains[offset].mean and row[2] == result.domains[offset].mean
    assert any(isinstance(v, str) and "Hackett, S" in v for v in flat)
    # The T1 export stops at T1.
    t1_summary = _workbook(client.get(f"/areas/{scene.area.id}/audits/{t1.id}/export.xlsx"))["Summary"]
    assert not any(r[:3] == ("Domain", "T1", "T2") for r in t1_summary.iter_rows(values_only=True))


def test_xlsx_never_stores_user_text_as_a_formula(client, scene):
    audit = scene.scored_audit()
    login(client, scene.board)
    response = client.get(f"/areas/{scene.area.id}/audits/{audit.id}/export.xlsx")
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name), name
    workbook = _workbook(response)
    sheet = workbook["Education"]
    cells = {row[0].value: row[4] for row in sheet.iter_rows(min_row=3) if row[0].value in NASTY}
    for code, text in NASTY.items():
        assert cells[code].value == text  # shown as typed...
        assert cells[code].data_type == "s"  # ...but as text, never run
        assert cells[code].quotePrefix


def test_agency_names_that_are_not_valid_sheet_names(client, world):
    from hsbtrack.areas.services import create_agency
    from hsbtrack.audits import services

    area = world.area("Ynys Môn", agencies=())
    for name in ("Summary", "Health: community/acute [NHS]", "A" * 40, "=cmd"):
        create_agency(area, name)
    board = world.user("board@example.org", area, "board_manager")
    audit = services.open_audit(area, user=board, opened_at=OPENED_EARLIER)
    login(client, board)
    response = client.get(f"/areas/{area.id}/audits/{audit.id}/export.xlsx")
    assert 'filename="ynys-mon-T1-audit.xlsx"' in response.headers["Content-Disposition"]
    workbook = _workbook(response)
    assert len(workbook.sheetnames) == 1 + 5 + 4
    assert len({n.lower() for n in workbook.sheetnames}) == len(workbook.sheetnames)
    assert all(len(n) <= 31 and not set(n) & set("[]:*?/\\") for n in workbook.sheetnames)


def _cells(workbook, name):
    return [c for row in workbook[name].iter_rows() for c in row if c.value is not None]


def test_xlsx_dates_are_real_uk_dates_and_an_open_audit_says_it_is_provisional(client, scene):
    import time_machine

    audit = scene.scored_audit(nasty=False)
    with time_machine.travel(datetime(2026, 3, 10, 12, 0), tick=False):
        for agency in scene.agencies:
            for position, statement in enumerate(scene.services.framework_of(audit).scored_statements):
                if agency != scene.agencies[0]:
                    continue
                scene.services.save_response(audit, agency.id, statement.code, score=_score(0, position),
                                             user=scene.board)
        for domain in range(2, 6):  # every domain of Education has its date completed
            scene.services.save_domain_response(audit, scene.agencies[0].id, domain, comments="",
                                                date_completed=date(2026, 3, 9), user=scene.board)
        scene.services.submit_agency(audit, scene.agencies[0].id, user=scene.board)
    login(client, scene.board)
    workbook = _workbook(client.get(f"/areas/{scene.area.id}/audits/{audit.id}/export.xlsx"))

    # Every date cell is a real Excel date shown dd/mm/yyyy (a time: dd/mm/yyyy hh:mm), never ISO text.
    summary = workbook["Summary"]
    labels = {row[0].value: row[1] for row in summary.iter_rows() if row[0].value}
    assert labels["Opened"].is_date and labels["Opened"].number_format == "dd/mm/yyyy"
    assert labels["Opened"].value.date() == OPENED_EARLIER.date()
    assert labels["Exported (UTC)"].is_date and labels["Exported (UTC)"].number_format == "dd/mm/yyyy hh:mm"
    submitted = next(row[2] for row in summary.iter_rows() if row[0].value == "Education")
    assert submitted.is_date and submitted.number_format.startswith("dd/mm/yyyy")
    dates = [c for name in workbook.sheetnames for c in _cells(workbook, name) if c.is_date]
    completed = [c for c in dates if c.value.date() == date(2026, 3, 31)]
    assert completed and all(c.number_format == "dd/mm/yyyy" for c in completed)
    assert all(c.number_format.startswith("dd/mm/yyyy") for c in dates)
    text = [c.value for name in workbook.sheetnames for c in _cells(workbook, name) if isinstance(c.value, str)]
    assert not [t for t in text if re.search(r"\b20\d\d-\d\d-\d\d\b", t)]
    # A date inside a sentence reads as people say it.
    assert workbook["Education"]["B1"].value.startswith("Education, Riverside, T1 (submitted 10 March 2026)")

    # Open: provisional, with how many returns are in, in the title row and the line under it.
    assert summary["A1"].value.endswith("(provisional, 1 of 3 returns in)")
    assert summary["A2"].value == ("Provisional: T1 is still open, so these figures can change until the audit is "
                                   "closed. 1 of 3 returns in.")
    assert workbook["1 Responses"]["B1"].value.endswith("(provisional, 1 of 3 returns in)")
    assert workbook.properties.title.endswith("(provisional, 1 of 3 returns in)")
    csv_text = client.get(f"/areas/{scene.area.id}/audits/{audit.id}/export.csv").data.decode("utf-8-sig")
    assert len(_csv_rows(csv_text, provisional="1 of 3 returns in")) == 46 * 3

    # Closed: final figures, no provisional line; the CSV's rows say "final".
    scene.services.close_audit(audit, user=scene.board, completed_on=date(2026, 3, 31),
                               override_reason="closed as the test sets it up")
    workbook = _workbook(client.get(f"/areas/{scene.area.id}/audits/{audit.id}/export.xlsx"))
    values = [c.value for c in _cells(workbook, "Summary") if isinstance(c.value, str)]
    assert not [v for v in values if "rovisional" in v]
    closed = {row[0].value: row[1] for row in workbook["Summary"].iter_rows() if row[0].value}["Date completed"]
    assert closed.is_date and closed.value.date() == date(2026, 3, 31) and closed.number_format == "dd/mm/yyyy"
    csv_text = client.get(f"/areas/{scene.area.id}/audits/{audit.id}/export.csv").data.decode("utf-8-sig")
    assert csv_text.startswith("audit,cycle,") and len(_csv_rows(csv_text, provisional=None)) == 46 * 3


def test_export_dates_read_in_welsh(client, scene):
    audit = scene.scored_audit(nasty=False)
    for position, statement in enumerate(scene.services.framework_of(audit).scored_statements):
        scene.services.save_response(audit, scene.agencies[0].id, statement.code, score=_score(0, position),
                                     user=scene.board)
    scene.services.submit_agency(audit, scene.agencies[0].id, user=scene.board)
    link = next(p for p in audit.participants if p.agency_id == scene.agencies[0].id)
    link.submitted_at = datetime(2026, 3, 10, 12, 0)
    from hsbtrack.extensions import db

    db.session.commit()
    login(client, scene.board)
    client.get("/language/cy")
    workbook = _workbook(client.get(f"/areas/{scene.area.id}/audits/{audit.id}/export.xlsx"))
    titles = [workbook[name]["B1"].value or "" for name in workbook.sheetnames]
    assert any("cyflwynwyd 10 Mawrth 2026" in t for t in titles), titles
    summary = workbook.worksheets[0]
    assert summary["A2"].value.startswith("Dros dro: mae T1 yn dal ar agor")
    assert summary["A1"].value.endswith("(dros dro, 1 o 3 ffurflen wedi dod i law)")


# -- CSV --------------------------------------------------------------------------------------


def test_csv_one_row_per_statement_and_agency(client, scene):
    audit = scene.scored_audit()
    login(client, scene.board)
    response = client.get(f"/areas/{scene.area.id}/audits/{audit.id}/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="riverside-T1-audit.csv"'
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = _csv_rows(response.data.decode("utf-8-sig"))
    assert list(rows[0]) == ["audit", "cycle", "domain", "code", "statement", "agency", "score", "evidence",
                             "assurance", "agreed", "lowest", "spread", "disagreement", "figures", "source"]
    framework = scene.services.framework_of(audit)
    assert len(rows) == 46 * 3
    assert {r["source"] for r in rows} == {"agency"}  # (answered in this audit: no shared return here)
    assert {(r["code"], r["agency"]) for r in rows} == {
        (s.code, a.name) for s in framework.scored_statements for a in scene.agencies}
    assert not {r["code"] for r in rows} & HEADINGS
    result = scene.services.consolidated(audit)
    for row in rows:
        statement = result.by_code[row["code"]]
        assert row["cycle"] == "T1" and row["domain"] == str(statement.domain)
        assert row["agreed"] == str(statement.agreed) and row["lowest"] == str(statement.lowest)
        assert row["spread"] == str(statement.spread)
        assert row["disagreement"] == ("yes" if statement.disagreement else "no")
        agency_id = next(a.id for a in scene.agencies if a.name == row["agency"])
        assert row["score"] == str(statement.agency_scores[agency_id])
    statement_36 = next(r for r in rows if r["code"] == "3.6")
    assert statement_36["statement"] == framework.statement("3.6").text  # multi-line text survives


def test_csv_neutralises_formulas(client, scene):
    audit = scene.scored_audit()
    login(client, scene.board)
    text = client.get(f"/areas/{scene.area.id}/audits/{audit.id}/export.csv").data.decode("utf-8-sig")
    rows = _csv_rows(text)
    evidence = {r["code"]: r["evidence"] for r in rows if r["agency"] == "Education"}
    for code, nasty in NASTY.items():
        assert evidence[code] == "'" + nasty
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@")), value


def test_csv_unscored_agency_has_blank_scores(client, scene):
    audit = scene.services.open_audit(scene.area, user=scene.board)
    scene.services.save_response(audit, scene.agencies[1].id, "2.2", score=3, user=scene.board)
    login(client, scene.board)
    text = client.get(f"/areas/{scene.area.id}/audits/{audit.id}/export.csv").data.decode("utf-8-sig")
    rows = _csv_rows(text)
    assert len(rows) == 46 * 3
    row = next(r for r in rows if r["code"] == "2.2" and r["agency"] == "Education")
    assert (row["score"], row["agreed"], row["lowest"], row["spread"]) == ("", "3", "3", "0")


# -- the HTML routes --------------------------------------------------------------------------


@pytest.mark.parametrize("extension", ["xlsx", "csv"])
def test_download_permissions(app, scene, extension):
    audit = scene.services.open_audit(scene.area, user=scene.board)
    foreign = scene.services.open_audit(scene.other_area, user=scene.stranger)
    url = f"/areas/{scene.area.id}/audits/{audit.id}/export.{extension}"

    anonymous = app.test_client()
    response = anonymous.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]

    # Every agency's evidence: those who read all responses. A viewer and an agency lead do not
    # (404: the export does not exist for them), whatever the area.
    for user in (scene.viewer, scene.lead):
        client = app.test_client()
        login(client, user)
        assert client.get(url).status_code == 404
    for user in (scene.board,):
        client = app.test_client()
        login(client, user)
        assert client.get(url).status_code == 200
        # Another area's audit under this area's URL, or this area's under another: 404.
        assert client.get(f"/areas/{scene.area.id}/audits/{foreign.id}/export.{extension}").status_code == 404
        assert client.get(f"/areas/{scene.other_area.id}/audits/{foreign.id}/export.{extension}").status_code == 404
        assert client.get(f"/areas/{scene.area.id}/audits/999999/export.{extension}").status_code == 404

    stranger = app.test_client()
    login(stranger, scene.stranger)
    assert stranger.get(url).status_code == 404
    assert stranger.get(f"/areas/{scene.other_area.id}/audits/{audit.id}/export.{extension}").status_code == 404


def test_export_queries_do_not_grow_with_agencies_or_cycles(app, world):
    from hsbtrack.areas.services import create_agency
    from hsbtrack.audits import services

    counts = {}
    for size, agencies, cycles in (("small", 2, 1), ("large", 8, 3)):
        area = world.area(f"Area {size}", agencies=())
        for n in range(agencies):
            create_agency(area, f"Agency {n}")
        board = world.user(f"board-{size}@example.org", area, "board_manager")
        audit = None
        for cycle in range(cycles):
            audit = services.open_audit(area, user=board, opened_at=OPENED_EARLIER)
            for agency in area.agencies:
                for statement in services.framework_of(audit).scored_statements[:10]:
                    services.save_response(audit, agency.id, statement.code, score=cycle % 5, evidence="e",
                                           user=board)
                services.save_domain_response(audit, agency.id, 2, comments="c", user=board)
            if cycle < cycles - 1:
                services.close_audit(audit, user=board, override_reason="closed as the test sets it up")
        client = app.test_client()
        login(client, board)
        for extension in ("xlsx", "csv"):
            url = f"/areas/{area.id}/audits/{audit.id}/export.{extension}"
            client.get(url)
            with count_queries(app) as n:
                assert client.get(url).status_code == 200
            counts[(size, extension)] = n()
    assert counts[("small", "xlsx")] == counts[("large", "xlsx")], counts
    assert counts[("small", "csv")] == counts[("large", "csv")], counts
