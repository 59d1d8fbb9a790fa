"""The radar graphs (hsbtrack.audits.charts): valid, script-free, accessible SVG that tells the
cycles apart without colour, and the LRU that keeps them."""

import re
from xml.etree import ElementTree as ET

import pytest

from hsbtrack.audits import charts
from hsbtrack.audits.charts import ChartCache, Series

NS = {"svg": "http://www.w3.org/2000/svg"}


@pytest.fixture()
def framework(ctx):
    return ctx.extensions["hsbtrack_catalogue"].get("nspcc-hsb-2019")


def parse(svg: bytes):
    assert isinstance(svg, bytes)
    return ET.fromstring(svg)


def texts(root) -> list[str]:
    return [t.text for t in root.iter("{http://www.w3.org/2000/svg}text") if t.text]


def series_paths(root) -> dict[int, list]:
    """Series index -> its line paths (in the plot, not the overlay)."""
    found = {}
    for group in root.iter("{http://www.w3.org/2000/svg}g"):
        classes = (group.get("class") or "").split()
        if "series" in classes:
            index = int(next(c for c in classes if c.startswith("serie-")).split("-")[1])
            paths = group.findall("svg:path", NS)
            if paths:
                found.setdefault(index, []).extend(paths)
    return found


T1 = Series("T1", (1.5, 1.0, 2.12, 1.25, 0.75), 1)
T2 = Series("T2", (2.5, 2.0, 2.12, 2.25, 1.88), 2)
T3 = Series("T3", (3.0, 2.5, 3.0, 2.75, 2.5), 3)


def test_domain_radar_is_valid_svg_with_a_series_per_cycle_and_the_domain_labels(framework):
    svg = charts.domain_radar([T1, T2, T3], framework)
    root = parse(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    paths = series_paths(root)
    assert sorted(paths) == [0, 1, 2]
    words = texts(root)
    for label in ("Responses", "Prevention", "Assessment", "Interventions", "Development"):
        assert label in words
    for label in ("T1", "T2", "T3"):  # the legend
        assert label in words
    # a fixed 0-4 scale: the rings are labelled 1..4 whatever the data
    assert {"1", "2", "3", "4"} <= set(words)


def test_the_svg_runs_no_script_and_loads_nothing(framework):
    svg = charts.domain_radar([T1, T2], framework).decode()
    assert "<script" not in svg
    assert "kozea.github.io" not in svg
    assert "<!--" not in svg  # pygal's comments carry a date: the bytes would change every day
    assert "<?xml" not in svg
    urls = set(re.findall(r"(?:https?:)?//[^\s\"'<>)]+", svg))
    assert urls <= {"http://www.w3.org/2000/svg"}, urls


def test_title_and_description_for_screen_readers(framework):
    root = parse(charts.domain_radar([T1, T2], framework))
    title = root.find("svg:title", NS)
    desc = root.find("svg:desc", NS)
    assert title is not None and "T1 and T2" in title.text
    assert desc is not None
    assert "T1: Responses 1.5, Prevention 1, Assessment 2.12, Interventions 1.25, Development 0.75." in desc.text
    assert "T2: Responses 2.5" in desc.text
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    # pygal's own <title>/<desc> noise ("1.570796327", "Pygal") is gone
    assert [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")][0] == title.text
    assert "Pygal" not in charts.domain_radar([T1], framework).decode()


def test_same_data_same_bytes(framework):
    assert charts.domain_radar([T1, T2], framework) == charts.domain_radar([T1, T2], framework)


def test_statement_radar_has_one_axis_per_scored_statement(framework):
    domain = framework.domain(1)
    codes = [s.code for s in domain.scored_statements]
    assert "1.6" not in codes and "1.6a" in codes  # the heading is not an axis
    values = tuple(range(len(codes)))
    svg = charts.statement_radar(domain, [Series("T1", tuple(v % 5 for v in values), 1)])
    words = texts(parse(svg))
    for code in codes:
        assert code in words
    assert "1.6" not in words


def test_cycles_differ_by_colour_line_style_and_marker():
    looks = charts.looks([T1, T2, T3])
    assert len({lk.colour for lk in looks}) == 3
    assert len({lk.dash for lk in looks}) == 3
    assert len({lk.marker for lk in looks}) == 3
    assert looks[-1].dash is None  # the most recent cycle is solid
    # T1 keeps its colour whatever it is compared with
    assert charts.looks([T1, T2])[0].colour == charts.looks([T1, T3])[0].colour == looks[0].colour


def test_the_legend_shows_the_line_style_and_markers_do_not_inherit_it(framework):
    root = parse(charts.domain_radar([T1, T2], framework))
    legend = next(g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "hsb-legend")
    lines = legend.findall("svg:line", NS)
    assert [ln.get("stroke-dasharray") for ln in lines] == [charts.looks([T1, T2])[0].dash, None]
    assert [t.text for t in legend.findall("svg:text", NS)] == ["T1", "T2"]
    for element in root.iter():
        if element.tag.endswith(("circle", "rect", "polygon")) and element.find("svg:title", NS) is not None:
            assert element.get("stroke-dasharray") == "none"


def test_a_missing_score_is_not_drawn_as_zero(framework):
    domain = framework.domain(1)
    n = len(domain.scored_statements)
    values = tuple(None if i % 3 == 0 else 2 for i in range(n))
    root = parse(charts.statement_radar(domain, [Series("T2", values, 2)]))
    markers = [e for e in root.iter() if e.find("svg:title", NS) is not None and not e.tag.endswith("svg")]
    assert len(markers) == sum(v is not None for v in values)
    assert "no score" in root.find("svg:desc", NS).text
    path = series_paths(root)[0][0]
    assert "nofill" in path.get("class")  # drawn as separate segments, unfilled


def test_no_scores_at_all(framework):
    svg = charts.domain_radar([Series("T1", (None,) * 5, 1)], framework)
    assert "No scores yet" in svg.decode()
    parse(svg)


def test_lru_renders_once_and_evicts_the_least_recently_used():
    cache = ChartCache(size=2)
    calls = []

    def render(name):
        def inner():
            calls.append(name)
            return name.encode()
        return inner

    assert cache.get_or_render("a", render("a")) == b"a"
    assert cache.get_or_render("a", render("a")) == b"a"
    assert calls == ["a"] and cache.renders == 1
    cache.get_or_render("b", render("b"))
    cache.get("a")  # a is now the most recent
    cache.get_or_render("c", render("c"))  # evicts b
    assert cache.get("b") is None and cache.get("a") == b"a" and len(cache) == 2
    assert ChartCache.etag(("k", 1)) == ChartCache.etag(("k", 1)) != ChartCache.etag(("k", 2))
