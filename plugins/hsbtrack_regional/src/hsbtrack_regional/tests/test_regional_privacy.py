"""Regional figures never pin down another authority's score.

With two authorities, "regional lowest" and "spread" beside your own score gave the other's agreed
score exactly. While the region does not share scores (its setting, off by default), an
authority's pages show beside its own figures only the median of the other authorities and how
many of them sit in each score band, and only when at least three others have scores."""

import re

import pytest

from hsbtrack.testing import api_headers, login, post_form

# Domain 1 of the other authority: nine 4s and a 3, a domain mean of 3.9: a figure that appears
# nowhere else on an authority's page (statement codes stop at x.8).
OTHER_SCORES = {"1.1": 3, "1.2": 4, "1.3": 4, "1.4": 4, "1.5": 4, "1.6a": 4, "1.6b": 4, "1.6c": 4, "1.7": 4, "1.8": 4}


def _region(world, names):
    from hsbtrack.areas.services import create_region
    from hsbtrack.plugins.services import set_region_plugin
    from hsbtrack_regional import services

    region = create_region("Coastline")
    areas = [world.area(name, region, agencies=("Police",)) for name in names]
    set_region_plugin(region, "regional", True)
    round_ = services.open_round(region, "nspcc-hsb-2019", "Coastline T1")
    return region, areas, round_


def _score(area, round_, scores):
    from hsbtrack.audits import services as audits
    from hsbtrack_regional import services

    member = next(m for m in services.round_status(round_) if m.area.id == area.id)
    police = area.agencies[0]
    for code, score in scores.items():
        audits.save_response(member.audit, police.id, code, score=score, evidence=f"Evidence of {area.name}")
    return member.audit


def _people(world, area):
    police = area.agencies[0]
    return [world.user(f"viewer@{area.name.lower()}.example", area, "viewer"),
            world.user(f"lead@{area.name.lower()}.example", area, "agency_lead", agency=police),
            world.user(f"board@{area.name.lower()}.example", area, "board_manager")]


def _pages_of(client, area, audit):
    """Every page of its own area an authority's user opens that could carry regional figures."""
    for path in (f"/areas/{area.id}/regional/", f"/areas/{area.id}/", f"/areas/{area.id}/audits/{audit.id}/overview",
                 f"/areas/{area.id}/audits/{audit.id}/report"):
        response = client.get(path)
        if response.status_code == 200:
            yield path, response.get_data(as_text=True)


def test_with_two_authorities_nothing_gives_the_others_score_away(app, world):
    region, (own, other), round_ = _region(world, ("Harbourside", "Cliffton"))
    own_audit = _score(own, round_, {"1.1": 1, "1.2": 2})
    _score(other, round_, OTHER_SCORES)
    for user in _people(world, own):
        client = app.test_client()
        login(client, user)
        pages = dict(_pages_of(client, own, own_audit))
        assert f"/areas/{own.id}/regional/" in pages, user.email
        for path, page in pages.items():
            text = re.sub(r"<[^>]+>", " ", page)
            assert "3.9" not in text, (user.email, path)  # the other's domain mean
            assert "Cliffton" not in text, (user.email, path)
            assert "Regional lowest" not in text and "Spread" not in text, (user.email, path)
        regional = pages[f"/areas/{own.id}/regional/"]
        assert "Not shown: fewer than 3 other authorities have scores" in regional
        # the other authority's pages stay 404, as ever
        assert client.get(f"/areas/{other.id}/regional/").status_code == 404
        assert client.get(f"/api/v1/areas/{other.id}/audits", headers=api_headers(user)).status_code == 404


def test_with_three_others_the_median_and_bands_show_and_are_right(app, world):
    region, areas, round_ = _region(world, ("Harbourside", "Cliffton", "Dunmore", "Eastwick"))
    own, *others = areas
    own_audit = _score(own, round_, {"1.1": 1})
    for area, score in zip(others, (0, 2, 4), strict=True):
        _score(area, round_, {"1.1": score})
    viewer = _people(world, own)[0]
    client = app.test_client()
    login(client, viewer)
    page = client.get(f"/areas/{own.id}/regional/").get_data(as_text=True)
    row = re.search(r'<th scope="row" class="govuk-table__header">1\.1</th>(.*?)</tr>', page, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    # own score 1; median of the others (0, 2, 4) is 2; one other in each of bands 0, 2 and 3-4
    assert cells[0].startswith("1") and cells[1] == "2.00" and cells[2:] == ["1", "0", "1", "1"], cells
    assert own_audit is not None


def test_when_the_region_shares_scores_authorities_see_them(app, world):
    from hsbtrack_regional import services

    region, (own, other), round_ = _region(world, ("Harbourside", "Cliffton"))
    _score(own, round_, {"1.1": 1})
    _score(other, round_, OTHER_SCORES)
    coordinator = world.user("coordinator@coastline.example", region=region, role="regional_coordinator")
    client = app.test_client()
    login(client, coordinator)
    # the coordinator sees every authority on the region's pages, and decides
    assert "Cliffton" in client.get(f"/regions/{region.id}/regional/rounds/{round_.id}/").get_data(as_text=True)
    response = post_form(client, f"/regions/{region.id}/regional/sharing", {"share_scores": "y"},
                         page=f"/regions/{region.id}/regional/")
    assert response.status_code == 302
    assert services.shares_scores(region.id)
    viewer = _people(world, own)[0]
    reader = app.test_client()
    login(reader, viewer)
    page = reader.get(f"/areas/{own.id}/regional/").get_data(as_text=True)
    assert "Regional lowest" in page and "Spread" in page and "Cliffton" not in page  # figures, never evidence
    text = re.sub(r"<[^>]+>", " ", page)
    assert "2.90" in text  # domain 1: the spread between own 1.0 and the other's 3.9, which now follows
    # an authority cannot switch sharing on for itself: only the region's setting counts
    assert reader.post(f"/regions/{region.id}/regional/sharing", data={}).status_code in (400, 404)


def test_sharing_is_off_by_default_and_the_setting_belongs_to_the_region(world):
    from hsbtrack.plugins.services import set_area_plugin
    from hsbtrack_regional import services

    region, (own, _other), _round = _region(world, ("Harbourside", "Cliffton"))
    assert services.shares_scores(region.id) is False
    set_area_plugin(own, "regional", settings={"share_scores": True})  # an area's own settings do not count
    assert services.shares_scores(region.id) is False


@pytest.mark.parametrize("values, expected", [
    ([0.0, 3.9, 4.0], (1, 0, 0, 2)),
    ([1.0, 1.99, 2.0, 2.99], (0, 2, 2, 0)),
])
def test_bands_hold_every_score_from_0_to_4(values, expected):
    from hsbtrack_regional.services import Spread, beside_own

    by_area = {i + 2: v for i, v in enumerate(values)} | {1: 2.5}
    beside = beside_own(Spread(by_area, None, None, None, None), 1)
    assert beside.bands == expected and beside.own == 2.5 and beside.others == len(values)
