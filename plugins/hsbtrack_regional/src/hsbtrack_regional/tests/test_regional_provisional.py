"""Issue 15, finding 3 on the regional roll-up: an authority whose audit is still open has provisional
figures, and the round page says so (a tag on its column, its returns in), as does the radar's key."""

import html
import re

import pytest

from hsbtrack.extensions import db
from hsbtrack.testing import login


@pytest.fixture()
def t1(world):
    from hsbtrack.plugins.services import set_region_plugin
    from hsbtrack_regional import services
    from hsbtrack_regional.demo import build

    region = services.preset_north_wales().region
    set_region_plugin(region, "regional", True)
    _region, round_ = build()
    return round_


def text_of(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_round_page_marks_open_authorities_provisional(client, world, t1):
    from hsbtrack.areas.models import Region
    from hsbtrack_regional import services

    region = db.session.get(Region, t1.region_id)
    login(client, world.user("coord@example.org", region=region, role="regional_coordinator"))
    members = services.round_status(t1)
    open_members = [m for m in members if not m.finished]
    closed_members = [m for m in members if m.finished]
    assert open_members and closed_members
    from hsbtrack_regional.demo import seed_scores

    seed_scores(open_members[0].audit, (3, 2))  # one open authority has scored, not yet closed
    page = client.get(f"/regions/{region.id}/regional/rounds/{t1.id}/").get_data(as_text=True)
    notice = re.search(r'data-provisional-notice="round">(.*?)</div>', page, re.S).group(1)
    assert text_of(notice).startswith("Provisional The figures of an authority whose audit is still open")
    for m in open_members:
        submitted = sum(1 for p in m.audit.participants if p.submitted_at)
        assert f"{m.area.display_name} ({m.audit.label}): {submitted} of {len(m.audit.participants)} returns in" \
            in text_of(notice)
    head = re.search(r'id="domain-rollup".*?<thead[^>]*>(.*?)</thead>', page, re.S).group(1)
    cells = [text_of(c) for c in re.findall(r"<th[^>]*>(.*?)</th>", head, re.S)]
    for m in open_members:
        assert f"{m.area.display_name} Provisional" in cells
    for m in closed_members:
        assert m.area.display_name in cells  # a closed authority's figures are final: no tag
    assert "Lowest Provisional" in cells
    svg = client.get(f"/regions/{region.id}/regional/rounds/{t1.id}/radar.svg").get_data(as_text=True)
    svg = html.unescape(svg)
    # the key names every authority with a figure; an open one is provisional (Anglesey has none yet)
    drawn = [m for m in open_members if m.area.display_name in svg]
    assert drawn and all(f"{m.area.display_name} (provisional)" in svg for m in drawn)
    assert all(f"{m.area.display_name} (provisional)" not in svg for m in closed_members)


def test_a_round_with_every_audit_closed_has_no_label(client, world, t1):
    from hsbtrack.areas.models import Region
    from hsbtrack.audits.services import close_audit
    from hsbtrack_regional import services

    for m in services.round_status(t1):
        if not m.finished:
            close_audit(m.audit, override_reason="closed as the test sets it up")
    region = db.session.get(Region, t1.region_id)
    login(client, world.user("coord@example.org", region=region, role="regional_coordinator"))
    page = client.get(f"/regions/{region.id}/regional/rounds/{t1.id}/").get_data(as_text=True)
    assert "hsb-provisional-tag" not in page and "returns in" not in page


# -- the region's other pages: the trend (T1 to T3), the annual report, an authority's own page ------------------


def _head_cells(page: str, table_id: str) -> list[str]:
    head = re.search(rf'id="{table_id}".*?<thead[^>]*>(.*?)</thead>', page, re.S).group(1)
    return [text_of(c) for c in re.findall(r"<th[^>]*>(.*?)</th>", head, re.S)]


def _notice(page: str, kind: str) -> str:
    found = re.search(rf'data-provisional-notice="{kind}">(.*?)</div>', page, re.S)
    return text_of(found.group(1)).replace(" .", ".") if found else ""  # (tags stripped leave a space)


def _close_the_rest(round_):
    from hsbtrack.audits.services import close_audit
    from hsbtrack_regional import services

    for m in services.round_status(round_):
        if not m.finished:
            close_audit(m.audit, override_reason="closed as the test sets it up")


def test_the_trend_marks_a_round_with_an_open_authority_provisional(client, world, t1):
    from hsbtrack.areas.models import Region
    from hsbtrack_regional import services
    from hsbtrack_regional.demo import seed_scores

    region = db.session.get(Region, t1.region_id)
    login(client, world.user("coord@example.org", region=region, role="regional_coordinator"))
    open_members = [m for m in services.round_status(t1) if not m.finished]
    seed_scores(open_members[0].audit, (3, 2))  # its agencies' returns are all in, the audit still open
    page = client.get(f"/regions/{region.id}/regional/rounds/{t1.id}/").get_data(as_text=True)
    assert _head_cells(page, "trend-table") == ["Domain", "T1 Provisional"]
    notice = _notice(page, "trend")
    assert notice.startswith("Provisional A round's regional means are provisional while the audit of any")
    total = len(open_members[0].audit.participants)
    assert f"{open_members[0].area.display_name} (T1): {total} of {total} returns in" in notice
    for m in open_members[1:]:
        assert f"{m.area.display_name} (T1): 0 of {len(m.audit.participants)} returns in" in notice
    svg = html.unescape(client.get(f"/regions/{region.id}/regional/trend.svg").get_data(as_text=True))
    assert "T1 (provisional)" in svg

    _close_the_rest(t1)
    page = client.get(f"/regions/{region.id}/regional/rounds/{t1.id}/").get_data(as_text=True)
    assert _head_cells(page, "trend-table") == ["Domain", "T1"] and _notice(page, "trend") == ""
    svg = html.unescape(client.get(f"/regions/{region.id}/regional/trend.svg").get_data(as_text=True))
    assert "T1" in svg and "(provisional)" not in svg  # the chart is drawn again once the round is final


def test_the_annual_report_marks_open_authorities_provisional(client, world, t1):
    """The regional annual report (a yearly report of the region) drafts the round's roll-up: an authority whose
    audit is open is tagged provisional, with its returns in; once every audit is closed nothing is."""
    from hsbtrack.areas.models import Region
    from hsbtrack.timeutil import local_today
    from hsbtrack.yearly_reports.services import create_report
    from hsbtrack_regional import services

    region = db.session.get(Region, t1.region_id)
    coordinator = world.user("coord@example.org", region=region, role="regional_coordinator")
    report, _created = create_report(region, kind="regional.annual_report", period_start=local_today().replace(day=1),
                                     period_end=local_today(), user=coordinator)
    login(client, coordinator)
    url = f"/regions/{region.id}/yearly-reports/{report.id}"
    members = services.round_status(t1)
    page = client.get(url).get_data(as_text=True)
    notice = _notice(page, "yearly")
    assert notice.startswith("Provisional The figures of an authority whose audit is still open are provisional")
    cells = _head_cells(page.replace('data-testid="regional-rollup"', 'id="regional-rollup"'), "regional-rollup")
    for m in members:
        if m.finished:
            assert m.area.display_name in cells and f"{m.area.display_name} (T1)" not in notice
        else:
            assert f"{m.area.display_name} Provisional" in cells
            assert f"{m.area.display_name} (T1): 0 of {len(m.audit.participants)} returns in" in notice
    assert "Median Provisional" in cells

    _close_the_rest(t1)
    page = client.get(url).get_data(as_text=True)
    assert "hsb-provisional-tag" not in page and "returns in" not in page


def test_an_authority_sees_its_own_open_figures_as_provisional_without_naming_the_others(client, world, t1):
    from hsbtrack_regional import services

    members = {m.area.name: m for m in services.round_status(t1)}
    anglesey = members["Anglesey"]  # still open, no return in yet; Denbighshire and Flintshire open too
    login(client, world.user("manager@anglesey.example", anglesey.area, "board_manager"))
    page = client.get(f"/areas/{anglesey.area.id}/regional/").get_data(as_text=True)
    total = len(anglesey.audit.participants)
    assert f"In progress 0 of {total} returns in" in text_of(re.search(r'id="own-audit">(.*?)</p>', page, re.S).group(1))
    notice = _notice(page, "area")
    assert f"Provisional Your figures are provisional: your audit is still open, so they can change until it " \
           f"closes. 0 of {total} returns in." in notice
    assert "Provisional The median of the other authorities is provisional: 2 other authorities have an audit " \
           "still open." in notice
    assert "Denbighshire" not in notice and "Flintshire" not in notice  # scores are not shared: nor who is behind
    cells = _head_cells(page, "area-domains")
    assert cells[1:3] == ["Anglesey Provisional", "Median of the other authorities Provisional"]

    conwy = members["Conwy"]  # closed: its own figures are final
    client = client.application.test_client()
    login(client, world.user("manager@conwy.example", conwy.area, "board_manager"))
    page = client.get(f"/areas/{conwy.area.id}/regional/").get_data(as_text=True)
    notice = _notice(page, "area")
    assert "Your figures are provisional" not in notice and "3 other authorities have an audit still open" in notice
    assert _head_cells(page, "area-domains")[1:3] == ["Conwy", "Median of the other authorities Provisional"]


def test_where_scores_are_shared_the_regional_figures_are_provisional_without_naming_anyone(client, world, t1):
    from hsbtrack.areas.models import Region
    from hsbtrack_regional import services

    region = db.session.get(Region, t1.region_id)
    services.set_shares_scores(region, True)
    members = {m.area.name: m for m in services.round_status(t1)}
    conwy = members["Conwy"]
    login(client, world.user("manager@conwy.example", conwy.area, "board_manager"))
    page = client.get(f"/areas/{conwy.area.id}/regional/").get_data(as_text=True)
    assert _notice(page, "area") == ("Provisional The regional lowest, median and spread are provisional: 3 other "
                                     "authorities have an audit still open.")
    for name in ("Anglesey", "Denbighshire", "Flintshire"):
        assert name not in page  # figures of the region, never who is behind them
    assert _head_cells(page, "area-domains")[1:3] == ["Conwy", "Regional lowest Provisional"]
    _close_the_rest(t1)
    page = client.get(f"/areas/{conwy.area.id}/regional/").get_data(as_text=True)
    assert "hsb-provisional-tag" not in page and "returns in" not in page
