"""The action plan's exports: XLSX (grouped by domain, with a summary), CSV (UTF-8 with BOM, formula-safe)
and the printable board paper (grouped by domain, overdue first, counts)."""

import csv
import io
import re
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from tests.actions.pages_support import PageScene, text_of
from tests.conftest import count_queries, login


@pytest.fixture()
def scene(world):
    scene = PageScene(world)
    today = date.today()
    scene.shared = scene.action(title="Shared pathway", statements=["1.2", "3.4"], priority="high",
                                agency_id=scene.police.id, description="Across two domains")
    scene.late = scene.action(title="Late review", statements=["1.3"], due_on=today - timedelta(days=2), record_overdue=True)
    scene.formula = scene.action(title="=HYPERLINK(\"http://evil.example\",\"click\")", statements=["5.1"],
                                 description="+SUM(A1:A2)", owner=scene.board)
    scene.done = scene.action(title="Finished thing", statements=["5.2"], agency_id=scene.health.id)
    scene.actions.update_action(scene.done, {"status": "done", "completion_evidence": "@evidence"}, user=scene.board)
    scene.actions.add_update(scene.shared, "Pathway drafted", progress=25, user=scene.owner)
    return scene


def url(scene, what, area=None):
    return f"/areas/{(area or scene.area).id}/actions/{what}"


def test_xlsx_holds_every_action_grouped_by_domain_and_a_summary(client, scene):
    login(client, scene.viewer)
    response = client.get(url(scene, "export.xlsx"))
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert re.match(r'attachment; filename="riverside-action-plan-\d{4}-\d\d-\d\d\.xlsx"',
                    response.headers["Content-Disposition"])
    workbook = load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == ["Action plan", "Summary"]
    sheet = workbook["Action plan"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    header = rows[3]
    assert header == ["Domain", "Statements", "Title", "Description", "Owner", "Agency", "Due", "Priority", "Status",
                      "Progress", "Last update", "Overdue"]
    actions = [r for r in rows[4:] if r[2] is not None]
    titles = [r[2] for r in actions]
    for action in (scene.shared, scene.late, scene.formula, scene.done):
        assert action.title in titles
    assert "Zebrafield secret" not in titles
    assert titles.count("Shared pathway") == 2  # under domain 1 and domain 3
    domains = [r[0] for r in rows[4:] if r[2] is None and r[0]]
    assert domains[0].startswith("Domain 1.") and domains[1].startswith("Domain 3.") and domains[2].startswith("Domain 5.")
    shared = next(r for r in actions if r[2] == "Shared pathway")
    assert shared[1] == "1.2, 3.4" and shared[3] == "Across two domains" and shared[5] == "Police"
    assert shared[7] == "High" and shared[8] == "In progress" and shared[9] == 0.25
    assert shared[10].endswith("Pathway drafted") and shared[11] == "No"
    late = next(r for r in actions if r[2] == "Late review")
    assert late[11] == "Yes" and late[6].date() == scene.late.due_on
    # Due dates are real Excel dates, shown the UK way; a date in a sentence reads "10 March 2026".
    due_cells = [row[6] for row in sheet.iter_rows(min_row=5) if row[2].value is not None]
    assert due_cells and all(c.is_date and c.number_format == "dd/mm/yyyy" for c in due_cells)
    from hsbtrack.timeutil import local_today

    updated_on = local_today()
    assert shared[10] == f"{updated_on.day} {updated_on:%B %Y}: Pathway drafted"
    # A title typed like a formula stays text.
    cell = next(c for row in sheet.iter_rows() for c in row if c.value == scene.formula.title)
    assert cell.data_type == "s" and cell.quotePrefix

    summary = {r[0].value: r[1].value for r in workbook["Summary"].iter_rows() if r[0].value and r[1].value is not None}
    assert summary["Done"] == 1 and summary["In progress"] == 1 and summary["Not started"] == 2
    assert summary["All actions"] == 4 and summary["Overdue (past due, not done or cancelled)"] == 1


def test_csv_holds_every_action_once_with_a_bom_and_no_formulas(client, scene):
    login(client, scene.viewer)
    response = client.get(url(scene, "export.csv"))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert len(rows) == 4
    by_id = {int(r["id"]): r for r in rows}
    assert set(by_id) == {scene.shared.id, scene.late.id, scene.formula.id, scene.done.id}
    assert by_id[scene.shared.id]["domains"] == "1; 3" and by_id[scene.shared.id]["statements"] == "1.2; 3.4"
    assert by_id[scene.shared.id]["last_update"] == "Pathway drafted"
    assert by_id[scene.late.id]["overdue"] == "yes" and by_id[scene.done.id]["overdue"] == "no"
    # UK dates: dd/mm/yyyy, never ISO
    assert by_id[scene.late.id]["due_on"] == scene.late.due_on.strftime("%d/%m/%Y")
    assert scene.done.completed_on is not None
    assert by_id[scene.done.id]["completed_on"] == scene.done.completed_on.strftime("%d/%m/%Y")
    assert re.fullmatch(r"\d\d/\d\d/\d{4}", by_id[scene.shared.id]["last_update_on"])
    formula = by_id[scene.formula.id]
    assert formula["title"] == "'" + scene.formula.title and formula["description"] == "'+SUM(A1:A2)"
    assert by_id[scene.done.id]["completion_evidence"] == "'@evidence"
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@")), row


def test_exports_follow_the_plans_filters(client, scene):
    login(client, scene.viewer)
    rows = list(csv.DictReader(io.StringIO(client.get(url(scene, "export.csv?overdue=1")).data.decode("utf-8-sig"))))
    assert [r["title"] for r in rows] == ["Late review"]
    plan = client.get(url(scene, "?overdue=1")).get_data(as_text=True)
    assert "export.csv?overdue=1" in plan and "board-paper?overdue=1" in plan


def test_board_paper_groups_by_domain_overdue_first_with_counts(client, scene):
    scene.action(title="Also domain one", statements=["1.4"], due_on=date.today() + timedelta(days=400))
    login(client, scene.viewer)
    response = client.get(url(scene, "board-paper"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(r'data-count="total">5<', html) and re.search(r'data-count="overdue"><strong>1<', html)
    sections = re.findall(r'<h2 class="govuk-heading-m" id="domain-\d+">(.*?)</h2>', html)
    assert [s.split(".")[0] for s in sections] == ["Domain 1", "Domain 3", "Domain 5"]
    domain1 = html.split('data-domain="1"')[1].split("</table>")[0]
    order = [int(i) for i in re.findall(r'data-action="(\d+)"', domain1)]
    assert order[0] == scene.late.id  # overdue first
    assert set(order) == {scene.late.id, scene.shared.id} | {order[-1]}
    assert "Overdue" in text_of(response)


def test_exports_keep_a_constant_number_of_queries(app, client, scene):
    login(client, scene.viewer)
    paths = [url(scene, "export.xlsx"), url(scene, "export.csv"), url(scene, "board-paper")]
    for path in paths:
        client.get(path)
    small = {}
    for path in paths:
        with count_queries(app) as n:
            client.get(path)
        small[path] = n()
    for i in range(30):
        action = scene.action(title=f"Bulk {i}", statements=[["2.2"], ["4.1a", "5.5"]][i % 2], owner=scene.board)
        scene.actions.add_update(action, "Started", progress=5, user=scene.board)
    big = {}
    for path in paths:
        with count_queries(app) as n:
            client.get(path)
        big[path] = n()
    assert big == small


def test_another_areas_exports_answer_404(client, scene):
    login(client, scene.board)
    for what in ("export.xlsx", "export.csv", "board-paper"):
        assert client.get(url(scene, what, scene.other_area)).status_code == 404
