"""Overview, graphs, comparison and board report: the numbers, the cache, permissions, SQL counts."""

import html
import re
from types import SimpleNamespace

import pygal
import pytest

from hsbtrack.audits import overview, services
from hsbtrack.extensions import db
from tests.conftest import count_queries, login

CACHE_CONTROL = "private, max-age=0, must-revalidate"


def text_of(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def table(page: str, table_id: str) -> str:
    match = re.search(rf'<table[^>]*id="{table_id}"[^>]*>(.*?)</table>', page, re.S)
    assert match, f"no table #{table_id}"
    return match.group(1)


def rows(fragment: str) -> list[list[str]]:
    """Cells (th and td) of every row of a table, as text."""
    return [[text_of(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)]
            for r in re.findall(r"<tr[^>]*>(.*?)</tr>", fragment, re.S)]


def framework_of(audit):
    return services.framework_of(audit)


def score_all(audit, agency, value, domain=None, user=None):
    for statement in framework_of(audit).scored_statements:
        if domain is None or statement.domain_number == domain:
            services.save_response(audit, agency.id, statement.code, score=value, user=user)


@pytest.fixture()
def scene(world):
    """Riverside: Police, Health, Education. T1 (open): domain 1 scored 3 / 2 / 4 by the three
    agencies (lowest 2, spread 2), 1.1 moderated up to 3; statement 2.2 scored 1 by Police only."""
    area = world.area("Riverside")
    board = world.user("board@example.org", area, "board_manager")
    viewer = world.user("viewer@example.org", area, "viewer")
    police, health, education = (world.agency(area, n) for n in ("Police", "Health", "Education"))
    t1 = services.open_audit(area, user=board)
    score_all(t1, police, 3, domain=1)
    score_all(t1, health, 2, domain=1)
    score_all(t1, education, 4, domain=1)
    services.save_response(t1, police.id, "2.2", score=1)
    services.set_agreed_score(t1, "1.1", 3, "Agreed at the meeting: the lower score was out of date", user=board)
    other_area = world.area("Elsewhere")
    other_board = world.user("board@elsewhere.example.org", other_area, "board_manager")
    foreign = services.open_audit(other_area, user=other_board)
    return SimpleNamespace(area=area, board=board, viewer=viewer, t1=t1, police=police, health=health,
                           education=education, foreign=foreign, other_area=other_area, other_board=other_board)


def url(scene, audit=None, suffix="overview"):
    audit = audit or scene.t1
    return f"/areas/{scene.area.id}/audits/{audit.id}/{suffix}"


def close_and_reopen(area, audit, user):
    services.close_audit(audit, user=user, override_reason="closed as the test sets it up")
    return services.open_audit(area, user=user)


# -- the numbers --------------------------------------------------------------------------------


def test_domain_means_and_percentages(client, scene):
    result = services.consolidated(scene.t1)
    d1, d2, d3 = result.domains[:3]
    # domain 1: ten statements, agreed = lowest = 2, except 1.1 moderated to 3 -> 21 / 10
    assert (d1.mean, d1.percent, d1.agreed_count, d1.scored_count) == (2.1, 52.5, 10, 10)
    assert (d2.mean, d2.percent, d2.agreed_count) == (1, 25.0, 1)
    assert d3.mean is None and d3.agreed_count == 0
    login(client, scene.viewer)
    page = client.get(url(scene)).get_data(as_text=True)
    body = rows(table(page, "domain-scores"))
    assert body[1][1:] == ["2.10", "52.5%", "10 of 10"]
    assert body[1][0].startswith("1. A continuum of responses")
    assert body[2][1:] == ["1.00", "25.0%", "1 of 10"]
    assert body[3][1:] == ["–", "–", "0 of 8"]
    overall = body[-1]  # 21 + 1 over 11 agreed statements
    assert overall == ["All statements", "2.00", "50.0%", "11 of 46"]


def test_lowest_items_and_disagreements_with_every_agency_score(client, scene):
    login(client, scene.viewer)
    page = client.get(url(scene)).get_data(as_text=True)
    lowest = rows(table(page, "lowest"))
    assert [r[0] for r in lowest[1:]] == ["2.2"]
    assert "We offer non-judgemental" in lowest[1][1]
    assert lowest[1][2].startswith("1 – Very little")
    disagreements = rows(table(page, "disagreements"))
    header = disagreements[0]
    assert header[2:5] == ["Education", "Health", "Police"]  # agencies by name
    by_code = {r[0]: r for r in disagreements[1:]}
    assert sorted(by_code) == sorted(s.code for s in framework_of(scene.t1).domain(1).scored_statements)
    assert by_code["1.2"][2:] == ["4", "2 (lowest)", "3", "2", "2"]
    assert by_code["1.1"][2:] == ["4", "2 (lowest)", "3", "2", "3 moderated"]
    assert "2.2" not in by_code  # one agency only: no spread


def test_the_low_score_threshold_is_an_area_setting(client, scene):
    scene.area.settings = {"low_score_threshold": 2}
    db.session.commit()
    login(client, scene.viewer)
    page = client.get(url(scene)).get_data(as_text=True)
    codes = [r[0] for r in rows(table(page, "lowest"))[1:]]
    assert codes[0] == "2.2" and "1.2" in codes and "1.1" not in codes  # 1.1 was moderated to 3
    assert "agreed score of 2 or less" in page


def test_every_graph_has_a_table_with_the_same_numbers(client, scene):
    t2 = close_and_reopen(scene.area, scene.t1, scene.board)
    score_all(t2, scene.police, 3, domain=1)
    login(client, scene.viewer)
    page = client.get(url(scene, t2)).get_data(as_text=True)
    images = re.findall(r'<img src="([^"]+)" alt="([^"]+)"', page)
    assert len(images) == 6  # the domain radar and one statement radar per domain
    for src, alt in images:
        assert "table" in alt
        assert f"compare={scene.t1.id}" in html.unescape(src)
    tables = re.findall(r'<details class="govuk-details[^"]*">(.*?)</details>', page, re.S)
    assert len(tables) == 6
    domains = rows(tables[0])
    assert domains[0] == ["Domain", "T1", "T2 Provisional", "Change T1 to T2 Provisional"]  # T2 is open
    assert domains[1] == ["1. Responses", "2.10", "3.00", "▲ up 0.90"]
    assert domains[2] == ["2. Prevention", "1.00", "–", "not comparable"]
    statements = rows(tables[1])
    assert statements[1] == ["1.1", "3", "3", "= no change"]
    assert statements[2] == ["1.2", "2", "3", "▲ up 1"]
    # the graph's own description has the same numbers
    svg = client.get(html.unescape(images[0][0])).get_data(as_text=True)
    assert "T1: Responses 2.1, Prevention 1, Assessment no score" in svg
    assert "T2 (provisional): Responses 3," in svg  # T2 is open: the key says its figures are provisional


def test_earlier_cycles_tables_give_the_consolidations_figures(client, scene, app):
    """The cycles overlaid on an audit's overview (T1 and T2 beside T3) are read as their agreed scores
    and domain means only (hsbtrack.audits.figures, from its cache), the audit itself consolidated:
    every number of the radar tables is the consolidation's, moderated scores (raised and lowered),
    unscored statements and domains without a score included; and once the earlier cycles' figures
    are cached, a page after a score is saved asks for none of their rows again."""
    t2 = close_and_reopen(scene.area, scene.t1, scene.board)
    score_all(t2, scene.police, 3, domain=1)
    score_all(t2, scene.health, 1, domain=2)
    services.save_response(t2, scene.education.id, "3.1", score=4)
    services.set_agreed_score(t2, "2.1a", 0, user=scene.board)  # lowered below the lowest: no reason needed
    services.set_agreed_score(t2, "1.3", 4, "Evidence seen at the meeting", user=scene.board)
    t3 = close_and_reopen(scene.area, t2, scene.board)
    score_all(t3, scene.health, 2, domain=4)
    services.save_response(t3, scene.police.id, "1.2", score=0)
    cycles = [scene.t1, t2, t3]
    expected = {a.id: services.consolidated(a) for a in cycles}
    login(client, scene.viewer)
    page = client.get(url(scene, t3)).get_data(as_text=True)
    tables = re.findall(r'<details class="govuk-details[^"]*">(.*?)</details>', page, re.S)
    framework = framework_of(t3)
    domains = rows(tables[0])[1:]
    for domain, row in zip(framework.domains, domains, strict=True):
        means = [expected[a.id].domains[domain.number - 1].mean for a in cycles]
        assert row[1:4] == [overview.format_mean(m) for m in means], domain.number
    for domain, fragment in zip(framework.domains, tables[1:], strict=True):
        for statement, row in zip(domain.scored_statements, rows(fragment)[1:], strict=True):
            agreed = [expected[a.id].by_code[statement.code].agreed for a in cycles]
            assert row[0] == statement.code and row[1:4] == [overview.format_score(v) for v in agreed]
    assert rows(tables[2])[1][1:4] == ["–", "0", "–"]  # 2.1a: scored in T2 alone, moderated down to 0
    assert rows(tables[1])[3][1:4] == ["2", "4", "–"]  # 1.3: T2 moderated up to 4; not scored in T3

    client.get(url(scene, t3))
    with count_queries(app) as warm:
        client.get(url(scene, t3))
    services.save_response(t3, scene.police.id, "1.2", score=1)
    with count_queries(app) as cold:
        changed = client.get(url(scene, t3)).get_data(as_text=True)
    assert cold() == warm()  # T1's and T2's figures from the cache: no query of theirs
    assert rows(re.findall(r'<details class="govuk-details[^"]*">(.*?)</details>', changed, re.S)[1])[2][1:] \
        == ["2", "3", "1", "▲ up 1", "▼ down 2"]  # 1.2: T1 2, T2 3 (Police's 3 the lowest), T3 now 1


# -- the graphs: cache, ETag, 304 -------------------------------------------------------------


def chart_url(scene, audit=None, name="domains.svg", compare=None):
    base = url(scene, audit, f"charts/{name}")
    return base + (f"?compare={compare}" if compare else "")


def test_chart_etag_304_and_a_score_change_changes_the_etag(client, scene):
    login(client, scene.viewer)
    first = client.get(chart_url(scene))
    assert first.status_code == 200
    assert first.mimetype == "image/svg+xml"
    assert first.headers["Cache-Control"] == CACHE_CONTROL
    etag = first.headers["ETag"]
    assert etag
    again = client.get(chart_url(scene), headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag
    services.save_response(scene.t1, scene.health.id, "1.2", score=1)
    changed = client.get(chart_url(scene), headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    statement = client.get(chart_url(scene, name="domain-1.svg"))
    assert statement.status_code == 200 and statement.headers["ETag"] not in (etag, changed.headers["ETag"])
    assert client.get(chart_url(scene, name="domain-9.svg")).status_code == 404


def test_a_cached_chart_is_not_rendered_again(client, scene, monkeypatch, app):
    renders = []
    original = pygal.Radar.render

    def counting(self, *args, **kwargs):
        renders.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pygal.Radar, "render", counting)
    overview.chart_cache().clear()
    login(client, scene.viewer)
    one = client.get(chart_url(scene))
    two = client.get(chart_url(scene))  # no If-None-Match: sent again, from the cache
    assert one.get_data() == two.get_data()
    assert len(renders) == 1
    client.get(chart_url(scene), headers={"If-None-Match": one.headers["ETag"]})
    assert len(renders) == 1
    services.save_response(scene.t1, scene.health.id, "1.2", score=1)  # new data_version
    client.get(chart_url(scene))
    assert len(renders) == 2


def test_a_cached_chart_runs_no_consolidation_queries(client, scene, app):
    login(client, scene.viewer)
    client.get(chart_url(scene))
    with count_queries(app) as cached:
        client.get(chart_url(scene))
    overview.chart_cache().clear()
    with count_queries(app) as fresh:
        client.get(chart_url(scene))
    assert cached() == fresh() - 2


def test_compare_must_name_audits_of_the_same_area(client, scene):
    t2 = close_and_reopen(scene.area, scene.t1, scene.board)
    login(client, scene.board)
    assert client.get(chart_url(scene, t2, compare=scene.t1.id)).status_code == 200
    assert client.get(chart_url(scene, t2, "domain-2.svg", compare=scene.t1.id)).status_code == 200
    assert client.get(chart_url(scene, t2, compare=scene.foreign.id)).status_code == 404
    assert client.get(chart_url(scene, t2, "domain-1.svg", compare=scene.foreign.id)).status_code == 404
    assert client.get(chart_url(scene, t2, compare=999999)).status_code == 404
    assert client.get(chart_url(scene, t2, compare="x")).status_code == 404
    # an audit of another area under this area's URL
    assert client.get(f"/areas/{scene.area.id}/audits/{scene.foreign.id}/overview").status_code == 404
    assert client.get(f"/areas/{scene.area.id}/audits/{scene.foreign.id}/charts/domains.svg").status_code == 404


def test_pages_answer_404_to_users_without_a_role_in_the_area(client, scene):
    login(client, scene.other_board)
    for path in (url(scene), url(scene, suffix="report"), chart_url(scene), chart_url(scene, name="domain-1.svg"),
                 f"/areas/{scene.area.id}/audits/compare"):
        assert client.get(path).status_code == 404, path


def test_svg_of_two_cycles_has_both_series(client, scene):
    t2 = close_and_reopen(scene.area, scene.t1, scene.board)
    score_all(t2, scene.police, 2)
    login(client, scene.viewer)
    svg = client.get(chart_url(scene, t2, compare=scene.t1.id)).get_data(as_text=True)
    assert "serie-0" in svg and "serie-1" in svg and "serie-2" not in svg
    assert "<script" not in svg


# -- comparison page --------------------------------------------------------------------------


def test_compare_two_cycles_with_changes(client, scene):
    t2 = close_and_reopen(scene.area, scene.t1, scene.board)
    score_all(t2, scene.police, 1, domain=1)
    login(client, scene.viewer)
    page = client.get(f"/areas/{scene.area.id}/audits/compare?audits={scene.t1.id},{t2.id}").get_data(as_text=True)
    domains = rows(table(page, "compare-domains"))
    assert domains[0] == ["Domain", "T1", "T2 Provisional", "Change T1 to T2 Provisional"]  # T2 is open
    assert domains[1][1:] == ["2.10", "1.00", "▼ down 1.10 Provisional"]
    statements = rows(table(page, "compare-domain-1"))
    assert statements[1][0] == "1.1" and statements[1][2:] == ["3", "1", "▼ down 2"]
    assert f"charts/domains.svg?compare={scene.t1.id}" in html.unescape(page)
    assert re.search(rf'name="audits"[^>]*value="{scene.t1.id}"[^>]*checked', page)


def test_compare_refuses_one_cycle_or_another_areas_audit(client, scene):
    t2 = close_and_reopen(scene.area, scene.t1, scene.board)
    login(client, scene.viewer)
    page = client.get(f"/areas/{scene.area.id}/audits/compare?audits={t2.id}").get_data(as_text=True)
    assert "Choose two or three cycles to compare" in page
    assert "govuk-error-summary" in page and "govuk-error-message" in page
    assert re.search(rf'name="audits"[^>]*value="{t2.id}"[^>]*checked', page)  # the choice is kept
    page = client.get(f"/areas/{scene.area.id}/audits/compare?audits={scene.t1.id},{scene.foreign.id}")
    assert "Choose cycles of Riverside from the list" in page.get_data(as_text=True)
    assert "Elsewhere" not in page.get_data(as_text=True)


def test_compare_without_a_choice_shows_the_latest_two(client, scene):
    t2 = close_and_reopen(scene.area, scene.t1, scene.board)
    login(client, scene.viewer)
    page = client.get(f"/areas/{scene.area.id}/audits/compare").get_data(as_text=True)
    assert rows(table(page, "compare-domains"))[0][1:3] == ["T1", "T2 Provisional"]  # T2 is open
    assert f"/audits/{t2.id}/charts/domains.svg?compare={scene.t1.id}" in html.unescape(page)


# -- board report -------------------------------------------------------------------------------


def test_board_report_has_what_a_board_needs(client, scene):
    t2 = close_and_reopen(scene.area, scene.t1, scene.board)
    score_all(t2, scene.police, 2)
    login(client, scene.viewer)
    page = client.get(url(scene, t2, "report")).get_data(as_text=True)
    framework = framework_of(t2)
    assert t2.title in page and "Riverside" in page
    for agency in ("Police", "Health", "Education"):
        assert agency in page
    assert rows(table(page, "domain-scores"))[1][1:] == ["2.00", "50.0%", "10 of 10"]
    assert f"/audits/{t2.id}/charts/domains.svg?compare={scene.t1.id}" in html.unescape(page)
    assert 'id="lowest"' in page or "No statement has an agreed score" in page
    assert html.escape(framework.attribution, quote=False) in page or framework.attribution in html.unescape(page)
    assert len(re.findall(r'<span id="report-domain-\d">Domain \d: ', page)) == 5  # in the accordion
    assert 'loading="lazy"' not in page  # printing must not wait for images scrolled into view
    assert "js/print.js" in page


# -- SQL: constant whatever the agencies and the cycles ------------------------------------------


def build(world, name, agencies, cycles):
    area = world.area(name, agencies=[f"Agency {i}" for i in range(agencies)])
    board = world.user(f"board@{name.lower()}.example.org", area, "board_manager")
    audit = None
    for _cycle in range(cycles):
        if audit is not None:
            services.close_audit(audit, user=board, override_reason="closed as the test sets it up")
        audit = services.open_audit(area, user=board)
        for agency in area.agencies:
            for code in ("1.1", "1.2", "2.2", "3.1"):
                services.save_response(audit, agency.id, code, score=(agency.id + len(code)) % 5)
    return area, audit, board


@pytest.mark.parametrize("page", ["overview", "report"])
def test_query_count_does_not_grow_with_agencies_or_cycles(app, world, page):
    small_area, small_audit, small_board = build(world, "Small", agencies=2, cycles=1)
    big_area, big_audit, big_board = build(world, "Big", agencies=8, cycles=3)
    bigger_area, bigger_audit, bigger_board = build(world, "Bigger", agencies=8, cycles=5)
    counts = []
    for area, audit, board in ((small_area, small_audit, small_board), (big_area, big_audit, big_board),
                               (bigger_area, bigger_audit, bigger_board)):
        client = app.test_client()
        login(client, board)
        path = f"/areas/{area.id}/audits/{audit.id}/{page}"
        client.get(path)
        with count_queries(app) as n:
            response = client.get(path)
        assert response.status_code == 200
        counts.append(n())
    assert counts[0] == counts[1] == counts[2], counts


def test_query_count_of_a_chart_does_not_grow_with_cycles(app, world):
    counts = []
    for name, agencies, cycles in (("Small", 2, 2), ("Big", 8, 3)):
        area, audit, board = build(world, name, agencies, cycles)
        others = [a.id for a in services.comparable_audits(audit) if a.id != audit.id]
        client = app.test_client()
        login(client, board)
        overview.chart_cache().clear()
        with count_queries(app) as n:
            assert client.get(f"/areas/{area.id}/audits/{audit.id}/charts/domains.svg?compare="
                              + ",".join(map(str, others[-1:]))).status_code == 200
        counts.append(n())
    assert counts[0] == counts[1], counts


def test_a_fresh_audit_without_scores(client, world):
    area = world.area("Fresh")
    board = world.user("board@fresh.example.org", area, "board_manager")
    audit = services.open_audit(area, user=board)
    login(client, board)
    page = client.get(f"/areas/{area.id}/audits/{audit.id}/overview").get_data(as_text=True)
    assert rows(table(page, "domain-scores"))[-1] == ["All statements", "–", "–", "0 of 46"]
    assert "No statement has an agreed score of 1 or less." in page
    assert "No statement has agency scores that differ by 2 or more." in page
    svg = client.get(f"/areas/{area.id}/audits/{audit.id}/charts/domains.svg").get_data(as_text=True)
    assert "No scores yet" in svg
    assert client.get(f"/areas/{area.id}/audits/{audit.id}/report").status_code == 200
    compare = client.get(f"/areas/{area.id}/audits/compare").get_data(as_text=True)
    assert "There is nothing to compare yet" in compare
