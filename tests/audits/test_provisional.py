"""Issue 15, finding 3 (honest figures): an open audit's figures are provisional wherever they are
shown — dashboard, overview, compare, board report, the statement pages, the API — with how many
returns are in; a closed audit's are not. And the board report tells the story: a contents list, a
"What we did" section, the detail folded away, in a fixed number of queries."""

import re
from datetime import date, timedelta

import pytest

from hsbtrack.actions import services as actions
from hsbtrack.audits import overview, services
from hsbtrack.testing import api_headers
from tests.audits.moderation_helpers import text_of
from tests.audits.provisional_helpers import finding_three
from tests.conftest import count_queries, login

TAG = 'class="govuk-tag govuk-tag--yellow hsb-provisional-tag"'
NOTICE = "T2 is still open, so its figures are provisional: they can change until the audit is closed."


@pytest.fixture()
def s(world):
    return finding_three(world)


def page(client, path) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def notice_text(html: str) -> str:
    match = re.search(r'<div class="govuk-inset-text hsb-provisional" data-provisional-notice="\d+">(.*?)</div>', html, re.S)
    assert match, "no provisional notice"
    return text_of(match.group(1)).replace(" .", ".")  # "returns in</strong>." reads "returns in."


def header_cells(html: str, table_id: str) -> list[str]:
    table = re.search(rf'<table[^>]*id="{table_id}"[^>]*>(.*?)</table>', html, re.S).group(1)
    head = re.search(r"<thead[^>]*>(.*?)</thead>", table, re.S).group(1)
    return [text_of(c) for c in re.findall(r"<th[^>]*>(.*?)</th>", head, re.S)]


def close_t2(s):
    services.close_audit(s.t2, user=s.board, override_reason="Police's return came by post")


# -- one definition -------------------------------------------------------------------------------


def test_the_status_counts_returns_of_open_audits_in_one_query(app, s):
    assert (s.t1.status, s.t2.status) == ("closed", "open")  # loaded, as a page has them
    with count_queries(app) as n:
        status = services.provisional_status([s.t1, s.t2])
    assert n() == 1
    assert not status[s.t1.id] and status[s.t1.id].returns_total == 0
    assert status[s.t2.id].provisional and (status[s.t2.id].returns_in, status[s.t2.id].returns_total) == (2, 3)
    with count_queries(app) as n:
        assert not services.provisional_status([s.t1])[s.t1.id]
    assert n() == 0  # a closed audit's figures are final: nothing to count


# -- the pages ------------------------------------------------------------------------------------


def test_dashboard_says_t2_is_provisional_with_returns_in(client, s):
    login(client, s.viewer)
    html = page(client, f"/areas/{s.area.id}/")
    assert notice_text(html) == f"Provisional {NOTICE} 2 of 3 returns in."
    table = html[html.index("Domain scores (mean of agreed scores"):]
    assert "T2 Provisional" in text_of(table[:table.index("</thead>")])


def test_overview_marks_the_open_cycle_everywhere_it_is_shown(client, s):
    login(client, s.viewer)
    html = page(client, f"/areas/{s.area.id}/audits/{s.t2.id}/overview")
    assert notice_text(html) == f"Provisional {NOTICE} 2 of 3 returns in."
    caption = re.search(r'id="domain-scores"[^>]*>\s*<caption[^>]*>(.*?)</caption>', html, re.S).group(1)
    assert text_of(caption) == "Domain scores of T2 Provisional"
    # the domain radar's table: T2's column and the change into it carry the tag
    radar_table = html[html.index("Domain scores, T1 and T2</caption>"):]
    head = text_of(radar_table[:radar_table.index("</thead>")])
    assert "T2 Provisional" in head and "Change T1 to T2 Provisional" in head
    assert "This audit is still open: the scores can change" not in html  # the old, quieter caveat


def test_radar_key_names_the_open_cycle_provisional(client, s):
    login(client, s.viewer)
    svg = page(client, f"/areas/{s.area.id}/audits/{s.t2.id}/charts/domains.svg?compare={s.t1.id}")
    assert "T2 (provisional)" in svg and "T1 (provisional)" not in svg
    close_t2(s)  # the key changes with the audit's status, not only with its scores
    svg = page(client, f"/areas/{s.area.id}/audits/{s.t2.id}/charts/domains.svg?compare={s.t1.id}")
    assert "provisional" not in svg


def test_compare_says_provisional_beside_up(client, s):
    login(client, s.viewer)
    html = page(client, f"/areas/{s.area.id}/audits/compare")
    assert notice_text(html) == f"Provisional {NOTICE} 2 of 3 returns in."
    assert header_cells(html, "compare-domains") == ["Domain", "T1", "T2 Provisional", "Change T1 to T2 Provisional"]
    total = re.search(r'<tr class="govuk-table__row hsb-total-row">(.*?)</tr>', html, re.S).group(1)
    assert text_of(total) == "All statements 1.00 2.00 ▲ up 1.00 Provisional"


def test_report_status_notice_and_headers(client, s):
    login(client, s.board)
    html = page(client, f"/areas/{s.area.id}/audits/{s.t2.id}/report")
    status = re.search(r"Status</dt>\s*<dd[^>]*>(.*?)</dd>", html, re.S).group(1)
    assert text_of(status) == "Provisional Open: the scores can still change ( 2 of 3 returns in )"
    assert f"{NOTICE} 2 of 3 returns in." in notice_text(html)
    assert "Mean agreed score: 2.00 (50.0% of 4). Provisional" in text_of(html)


def test_action_statement_page_marks_the_open_cycles_change(client, s):
    login(client, s.viewer)
    html = page(client, f"/areas/{s.area.id}/statements/1.1")
    row = re.search(r'<tr class="govuk-table__row" data-cycle="2">(.*?)</tr>', html, re.S).group(1)
    assert text_of(row).startswith("T2 Provisional 2 1 → 2 (up 1) Provisional")
    assert notice_text(html) == f"Provisional {NOTICE} 2 of 3 returns in."
    summary = re.search(r'id="cycle-summary">(.*?)</div>', html, re.S).group(1)
    assert text_of(summary).endswith("(up 1) Provisional")


def test_action_page_marks_the_open_cycle(client, s):
    login(client, s.board)
    html = page(client, f"/areas/{s.area.id}/actions/{s.action.id}")
    assert header_cells(html, "linked-statements") == ["Statement", "T1", "T2 Provisional", "Change Provisional"]
    assert notice_text(html) == f"Provisional {NOTICE} 2 of 3 returns in."


def test_moderation_statement_page_says_the_agreed_score_is_provisional(client, s):
    login(client, s.board)
    html = page(client, f"/areas/{s.area.id}/audits/{s.t2.id}/statements/1.1")
    assert notice_text(html) == f"Provisional {NOTICE} 2 of 3 returns in."
    agreed = re.search(r'hsb-agreed-row[^>]*>.*?<dd[^>]*>(.*?)</dd>', html, re.S).group(1)
    assert text_of(agreed).endswith("Provisional")


def test_closed_audits_carry_no_label(client, s):
    close_t2(s)
    login(client, s.board)
    for path in (f"/areas/{s.area.id}/", f"/areas/{s.area.id}/audits/{s.t2.id}/overview",
                 f"/areas/{s.area.id}/audits/compare", f"/areas/{s.area.id}/audits/{s.t2.id}/report",
                 f"/areas/{s.area.id}/statements/1.1", f"/areas/{s.area.id}/actions/{s.action.id}",
                 f"/areas/{s.area.id}/audits/{s.t2.id}/statements/1.1"):
        html = page(client, path)
        assert TAG not in html and "provisional" not in html.lower(), path
        assert "returns in" not in html, path


def test_welsh_pages_say_provisional_in_welsh(client, s):
    login(client, s.viewer)
    client.get("/language/cy")
    html = page(client, f"/areas/{s.area.id}/audits/compare")
    text = notice_text(html)
    assert "Provisional" not in text and "returns in" not in text
    assert "2 o 3" in text


# -- the API ----------------------------------------------------------------------------------------


def test_api_audit_says_provisional_with_returns(client, s):
    headers = api_headers(s.viewer)
    t2 = client.get(f"/api/v1/audits/{s.t2.id}", headers=headers).get_json()
    assert (t2["provisional"], t2["returns_in"], t2["returns_total"]) == (True, 2, 3)
    assert t2["status"] == "open" and t2["label"] == "T2"  # the existing fields stay
    t1 = client.get(f"/api/v1/audits/{s.t1.id}", headers=headers).get_json()
    assert (t1["provisional"], t1["returns_in"], t1["returns_total"]) == (False, 3, 3)
    listed = {a["id"]: a for a in client.get(f"/api/v1/areas/{s.area.id}/audits", headers=headers).get_json()}
    assert listed[s.t2.id]["provisional"] is True and listed[s.t1.id]["provisional"] is False
    scores = client.get(f"/api/v1/audits/{s.t2.id}/scores", headers=headers).get_json()
    assert (scores["provisional"], scores["returns_in"], scores["returns_total"]) == (True, 2, 3)
    close_t2(s)
    again = client.get(f"/api/v1/audits/{s.t2.id}", headers=headers).get_json()
    assert again["provisional"] is False


def test_the_openapi_document_describes_the_new_fields(client):
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert {"provisional", "returns_in", "returns_total"} <= set(schemas["Audit"]["properties"])
    assert {"provisional", "returns_in", "returns_total"} <= set(schemas["Scores"]["properties"])


# -- the board report tells the story -------------------------------------------------------------


def test_report_has_contents_linking_to_every_section(client, s):
    login(client, s.board)
    html = page(client, f"/areas/{s.area.id}/audits/{s.t2.id}/report")
    contents = re.search(r'data-testid="report-contents">(.*?)</ol>', html, re.S).group(1)
    targets = re.findall(r'href="#([^"]+)"', contents)
    assert targets[:6] == ["report-scores", "report-radar", "report-what-we-did", "report-evidence-index",
                           "report-lowest", "report-disagreements"]
    assert targets[6:] == [f"report-domain-{n}" for n in range(1, 6)]
    for target in targets:
        assert f'id="{target}"' in html, target
    # the detail folds away on screen (an accordion), and printing opens it
    assert 'data-module="govuk-accordion"' in html and 'id="report-detail"' in html


def test_what_we_did_lists_the_cycles_actions_by_statement_with_the_change(client, s):
    actions.create_action(s.area, title="Audit ten cases of 3.1", owner=s.board, due_on=date.today() + timedelta(days=9),
                          statements=["3.1"], status="blocked", audit=s.t2, user=s.board)
    login(client, s.board)
    html = page(client, f"/areas/{s.area.id}/audits/{s.t2.id}/report")
    section = html[html.index('data-report-section="report-what-we-did"'):html.index('id="report-lowest"')]
    assert "2 actions on 3 statements." in text_of(section)
    assert header_cells(section, "what-we-did") == ["Statement", "Actions and their status",
                                                    "Change T1 to T2 Provisional"]
    rows = {code: text_of(body) for code, body in
            re.findall(r'<tr class="govuk-table__row" data-code="([^"]+)">(.*?)</tr>', section, re.S)}
    assert list(rows) == ["1.1", "1.2", "3.1"]  # the framework's order
    assert "Publish the harmful sexual behaviour pathway In progress" in rows["1.1"]
    assert rows["1.1"].endswith("1 → 2 (up 1) Provisional")
    assert "Audit ten cases of 3.1 Blocked" in rows["3.1"]
    close_t2(s)
    html = page(client, f"/areas/{s.area.id}/audits/{s.t2.id}/report")
    section = html[html.index('data-report-section="report-what-we-did"'):html.index('id="report-lowest"')]
    assert "Provisional" not in text_of(section) and "1 → 2 (up 1)" in text_of(section)


def test_what_we_did_is_only_for_readers_of_the_plan(app, client, world, s):
    login(client, s.viewer)  # viewers read the plan too
    assert 'id="report-what-we-did"' in page(client, f"/areas/{s.area.id}/audits/{s.t2.id}/report")
    other = world.area("Elsewhere")
    outsider = world.user("board@elsewhere.example.org", other, "board_manager")
    client = app.test_client()
    login(client, outsider)
    assert client.get(f"/areas/{s.area.id}/audits/{s.t2.id}/report").status_code == 404


def test_what_we_did_leaves_out_other_cycles_actions(client, s):
    t3_action = actions.create_action(s.area, title="Not of this cycle", owner=s.board,
                                      due_on=date.today() + timedelta(days=5), statements=["2.2"], user=s.board)
    t3_action.created_at = s.t1.opened_at - timedelta(days=30)  # on the plan before T1 opened
    from hsbtrack.extensions import db

    db.session.commit()
    login(client, s.board)
    html = page(client, f"/areas/{s.area.id}/audits/{s.t2.id}/report")
    assert "Not of this cycle" not in html


def test_report_queries_do_not_grow_with_actions(app, client, s):
    login(client, s.board)
    path = f"/areas/{s.area.id}/audits/{s.t2.id}/report"
    client.get(path)
    with count_queries(app) as few:
        client.get(path)
    for i in range(12):
        actions.create_action(s.area, title=f"Action {i}", owner=s.board, due_on=date.today() + timedelta(days=i + 1),
                              statements=[f"{1 + i % 5}.{2 + i % 3}", "1.1"], status="in_progress", audit=s.t2,
                              user=s.board)
    overview.chart_cache().clear()
    client.get(path)
    with count_queries(app) as many:
        html = client.get(path).get_data(as_text=True)
    assert "13 actions on" in text_of(html)
    assert few() == many(), (few(), many())
