"""Radar graphs of an audit's scores (pygal), as self-contained, script-free SVG.

Pure functions: they take numbers and labels and return SVG bytes; no database, no request. The
callers (``hsbtrack.audits.overview``) cache the result against the audits' ``data_version``
because a radar costs about fifteen times a trivial page to render (docs/architecture.md, budgets).

What the SVG guarantees, whoever embeds it:

* no JavaScript at all (pygal's tooltips script comes from a CDN: never), no comments, a
  deterministic id (the same data gives the same bytes);
* a ``<title>`` and a ``<desc>`` (every value in words) for screen readers, ``role="img"``;
* one series per cycle, told apart by colour AND line style AND marker shape, repeated in the
  legend, so nothing depends on colour alone (WCAG 1.4.1) and it still reads printed in grey;
* axis labels upright and outside the web, at a readable size; a fixed 0-4 scale.
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.etree import ElementTree as ET  # nosec B405  # builds and edits pygal's own tree; never parses input

import pygal
from flask_babel import gettext as _
from pygal.etree import etree as pygal_etree
from pygal.style import Style

# Bump when the look of the charts changes: it is part of every cache key and ETag.
CHART_VERSION = "1"

# pygal builds its SVG with lxml when lxml is installed (WeasyPrint and python-docx bring it); the filters
# below edit xml.etree trees, so pygal is kept on xml.etree whatever is installed.
pygal_etree.to_etree()


# Colours with at least 3:1 contrast against white (WCAG 1.4.11), far apart for the common
# colour-vision deficiencies; never the only difference between two series.
COLOURS = ("#1d70b8", "#d4351c", "#00703c", "#4c2c92", "#6f3800")
# Older cycles dashed or dotted, the most recent one solid.
DASHES = {1: (None,), 2: ("10,6", None), 3: ("3,5", "10,6", None)}
# Markers by position: an older cycle's hollow ring stays visible around a newer cycle's smaller
# filled marker when both have the same score.
MARKERS = {1: ("dot",), 2: ("ring", "square"), 3: ("ring", "diamond", "square")}
LINE_WIDTH = 3
FONT = "Arial, Helvetica, sans-serif"
WIDTH = 760


@dataclass(frozen=True)
class Series:
    """One cycle's values, in axis order (``None`` where there is no score)."""

    label: str  # "T1"
    values: tuple
    cycle: int | None = None


@dataclass(frozen=True)
class Look:
    colour: str
    dash: str | None
    marker: str


def looks(series: Sequence[Series]) -> list[Look]:
    """Colour by cycle (T1 is always blue), line style by position (the latest is solid)."""
    n = len(series)
    dashes = DASHES.get(n) or tuple([*(["2,4"] * (n - 3)), *DASHES[3]])
    by_cycle = [COLOURS[(s.cycle - 1) % len(COLOURS)] if s.cycle else None for s in series]
    if None in by_cycle or len(set(by_cycle)) != n:
        by_cycle = [COLOURS[i % len(COLOURS)] for i in range(n)]
    markers = MARKERS.get(n) or tuple([*(["triangle"] * (n - 3)), *MARKERS[3]])
    return [Look(by_cycle[i], dashes[i], markers[i]) for i in range(n)]


def _number(value) -> str:
    return "–" if value is None else f"{value:.2f}".rstrip("0").rstrip(".") if value % 1 else f"{value:.0f}"


def describe(axes: Sequence[str], series: Sequence[Series]) -> str:
    """Every value in words, for the SVG's ``<desc>``."""
    parts = []
    for s in series:
        values = ", ".join(f"{axis} {_number(v) if v is not None else _('no score')}"
                           for axis, v in zip(axes, s.values, strict=False))
        parts.append(f"{s.label}: {values}.")
    return " ".join(parts)


def _style(colours: Sequence[str]) -> Style:
    return Style(
        background="#ffffff",
        plot_background="#ffffff",
        foreground="#0b0c0c",
        foreground_strong="#0b0c0c",
        foreground_subtle="#505a5f",
        font_family=FONT,
        label_font_size=15,
        major_label_font_size=15,
        legend_font_size=17,
        title_font_size=18,
        value_font_size=14,
        no_data_font_size=22,
        tooltip_font_size=14,
        guide_stroke_dasharray="none",
        major_guide_stroke_dasharray="none",
        guide_stroke_color="#b1b4b6",
        major_guide_stroke_color="#b1b4b6",
        opacity=".12",
        opacity_hover=".12",
        stroke_opacity="1",
        stroke_opacity_hover="1",
        stroke_width=str(LINE_WIDTH),
        stroke_width_hover=str(LINE_WIDTH),
        transition="0ms",
        colors=tuple(colours),
    )


def radar(axes: Sequence[str], series: Sequence[Series], *, title: str, description: str | None = None,
          scale_max: int = 4, chart_id: str = "radar", label_size: int = 15, height: int = 560,
          side_margin: int = 110) -> bytes:
    """A radar with one axis per label in ``axes`` and one closed line per series."""
    series = list(series)
    chosen = looks(series)
    if description is None:
        description = describe(axes, series)
    # pygal goes round anticlockwise; readers expect clockwise from the top.
    axes = _clockwise(list(axes))
    series = [Series(s.label, tuple(_clockwise(list(s.values))), s.cycle) for s in series]
    chart = pygal.Radar(
        style=_style([look.colour for look in chosen]),
        range=(0, scale_max),
        width=WIDTH,
        height=height,
        js=[],
        disable_xml_declaration=True,
        fill=True,
        show_legend=False,  # drawn below by _finish, with the line style and the marker of each series
        dots_size=5,
        margin=12,
        margin_left=side_margin,
        margin_right=side_margin,
        margin_top=34,
        margin_bottom=12 + 34 * math.ceil(len(series) / 3),
        spacing=8,
        show_y_guides=True,
        y_labels=list(range(0, scale_max + 1)),
        no_data_text=_("No scores yet"),
        truncate_label=-1,
        explicit_size=False,
    )
    chart.add_xml_filter(lambda root: _finish(root, axes, series, chosen, title, description, chart_id, label_size,
                                                scale_max))
    chart.uuid = chart_id  # a stable id: the same data renders to the same bytes
    chart.x_labels = list(axes)
    for s, look in zip(series, chosen, strict=True):
        stroke = {"width": LINE_WIDTH, "linejoin": "round"}
        if look.dash:
            stroke["dasharray"] = look.dash
        # Only the most recent cycle is shaded: overlapping tints turn the middle of the web to mud.
        chart.add(s.label, [None if v is None else float(v) for v in s.values], stroke_style=stroke,
                  fill=s is series[-1])
    svg = chart.render()
    return svg.encode("utf-8") if isinstance(svg, str) else svg


def _clockwise(items: list) -> list:
    return items[:1] + items[:0:-1]


def domain_radar(series: Sequence[Series], framework, lang: str | None = None) -> bytes:
    """Five axes (the domains' short titles), the means of agreed scores, one series per cycle."""
    axes = [d.short_title_for(lang) for d in framework.domains]
    title = _("Domain scores: %(cycles)s", cycles=join_labels([s.label for s in series]))
    return radar(axes, series, title=title, scale_max=framework.scale.max, chart_id="domains", label_size=17)


def statement_radar(domain, series: Sequence[Series], lang: str | None = None, scale_max: int = 4) -> bytes:
    """One axis per scored statement of ``domain`` (its code), the agreed scores, one series per cycle."""
    axes = [s.code for s in domain.scored_statements]
    title = _("Domain %(number)d, %(domain)s: agreed score of each statement, %(cycles)s", number=domain.number,
              domain=domain.short_title_for(lang), cycles=join_labels([s.label for s in series]))
    return radar(axes, series, title=title, scale_max=scale_max, chart_id=f"domain-{domain.number}",
                 label_size=17, side_margin=60)


def join_labels(labels: Sequence[str]) -> str:
    if len(labels) <= 1:
        return "".join(labels)
    return _("%(first)s and %(last)s", first=", ".join(labels[:-1]), last=labels[-1])


# -- post-processing of pygal's tree ------------------------------------------------------------


def _q(tag: str) -> str:
    """pygal builds un-namespaced elements under an ``xmlns`` attribute: match and make those."""
    return tag


def _classes(element) -> set[str]:
    return set((element.get("class") or "").split())


_NUMBERS = re.compile(r"-?\d+(?:\.\d+)?")


def make_accessible(root, chart_id, title, description):
    """Every chart of the app: no scripts or comments, and our own accessible name and description.

    Used as (part of) a pygal ``xml_filter``, which runs before the SVG is serialised.
    """
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag in (_q("script"), ET.Comment) or not isinstance(child.tag, str):
                parent.remove(child)
            elif child.tag in (_q("title"), _q("desc")) and parent is not root:
                parent.remove(child)
    for child in list(root):
        if child.tag in (_q("title"), _q("desc")):
            root.remove(child)
    root.set("role", "img")
    root.set("aria-labelledby", f"{chart_id}-title {chart_id}-desc")
    root.set("font-family", FONT)
    title_el = ET.Element(_q("title"), {"id": f"{chart_id}-title"})
    title_el.text = title
    desc_el = ET.Element(_q("desc"), {"id": f"{chart_id}-desc"})
    desc_el.text = description or ""
    root.insert(0, desc_el)
    root.insert(0, title_el)
    return root


def _finish(root, axes, series, chosen, title, description, chart_id, label_size, scale_max):
    """Make pygal's radar SVG accessible, script-free and legible (xml_filter)."""
    make_accessible(root, chart_id, title, description)
    for text in root.iter(_q("text")):
        if "no_data" in _classes(text):
            text.set("style", "font-size:22px;font-weight:bold;fill:#0b0c0c;paint-order:stroke;stroke:#ffffff;"
                              "stroke-width:8px;stroke-linejoin:round")
    plot = next((g for g in root.iter(_q("g")) if _classes(g) == {"plot"}), None)
    if plot is None:  # "No scores yet": nothing else to arrange
        return root
    center, axis_ends = _upright_axis_labels(plot, label_size)
    _markers(root, series, chosen, axes)
    _gaps(root, series, axis_ends, center, scale_max)
    _legend(root, series, chosen, center)
    return root


def _upright_axis_labels(plot, size):
    """pygal turns the labels along the axes; put them upright, just outside the web, anchored away
    from the centre so long words never run into the graph."""
    center, ends = None, []
    for axis in plot.iter(_q("g")):
        if "x" not in _classes(axis) or "axis" not in _classes(axis):
            continue
        for guides in axis.findall(_q("g")):
            path, text = guides.find(_q("path")), guides.find(_q("text"))
            if path is None or text is None:
                continue
            x0, y0, x1, y1 = (float(n) for n in _NUMBERS.findall(path.get("d"))[:4])
            center = (x0, y0)
            ends.append((x1, y1))
            dx, dy = x1 - x0, y1 - y0
            length = math.hypot(dx, dy) or 1.0
            ux, uy = dx / length, dy / length
            x, y = x1 + ux * 14, y1 + uy * 14
            if abs(ux) < 0.2:
                anchor = "middle"
            else:
                anchor = "start" if ux > 0 else "end"
            if uy < -0.5:  # above: sit on the point
                y -= 2
            elif uy > 0.5:  # below: hang from it
                y += size * 0.8
            else:
                y += size * 0.35
            text.attrib.pop("transform", None)
            text.set("x", f"{x:.1f}")
            text.set("y", f"{y:.1f}")
            text.set("text-anchor", anchor)
            text.set("style", f"font-size:{size}px;font-weight:bold;fill:#0b0c0c;text-anchor:{anchor}")
    # The scale's numbers: on each ring half-way between the first two axes, clear of the data
    # points (which sit on the axes); none at the centre.
    for axis in plot.iter(_q("g")):
        if "y" not in _classes(axis) or "axis" not in _classes(axis):
            continue
        for guides in axis.findall(_q("g")):
            path, text = guides.find(_q("path")), guides.find(_q("text"))
            if text is None:
                continue
            numbers = [float(n) for n in _NUMBERS.findall(path.get("d") if path is not None else "")]
            if len(numbers) < 4 or (abs(numbers[0] - numbers[2]) < 0.5 and abs(numbers[1] - numbers[3]) < 0.5):
                guides.remove(text)  # the centre
                continue
            x0, y0, x1, y1 = numbers[:4]
            text.set("x", f"{(x0 + x1) / 2:.1f}")
            text.set("y", f"{(y0 + y1) / 2 + 4:.1f}")
            text.set("text-anchor", "middle")
            text.set("style", "font-size:13px;fill:#505a5f;text-anchor:middle;paint-order:stroke;stroke:#ffffff;"
                              "stroke-width:4px;stroke-linejoin:round")
    return center, ends


def _marker(kind: str, x: float, y: float, look: Look, label: str | None):
    # Explicit dasharray: the series group's line style must not be inherited by its markers.
    filled = {"fill": look.colour, "stroke": "#ffffff", "stroke-width": "1.5", "stroke-dasharray": "none"}
    if kind == "ring":
        element = ET.Element(_q("circle"), {"fill": "none", "stroke": look.colour, "stroke-width": "3",
                                            "stroke-dasharray": "none",
                                            "cx": f"{x:.1f}", "cy": f"{y:.1f}", "r": "9.5"})
    elif kind == "square":
        s = 4.5
        element = ET.Element(_q("rect"), {**filled, "x": f"{x - s:.1f}", "y": f"{y - s:.1f}",
                                          "width": f"{2 * s:.1f}", "height": f"{2 * s:.1f}"})
    elif kind == "diamond":
        s = 8.0
        points = f"{x:.1f},{y - s:.1f} {x + s:.1f},{y:.1f} {x:.1f},{y + s:.1f} {x - s:.1f},{y:.1f}"
        element = ET.Element(_q("polygon"), {**filled, "points": points})
    elif kind == "triangle":
        s = 7.0
        points = f"{x:.1f},{y - s:.1f} {x + s:.1f},{y + s * 0.8:.1f} {x - s:.1f},{y + s * 0.8:.1f}"
        element = ET.Element(_q("polygon"), {**filled, "points": points})
    else:
        element = ET.Element(_q("circle"), {**filled, "cx": f"{x:.1f}", "cy": f"{y:.1f}", "r": "6"})
    if label:
        tip = ET.SubElement(element, _q("title"))
        tip.text = label
    return element


def _series_groups(root, count):
    """``[(index, group)]`` of pygal's per-series groups (in the plot and in the overlay)."""
    found = []
    for group in root.iter(_q("g")):
        classes = _classes(group)
        if "series" not in classes:
            continue
        index = next((int(c.split("-")[1]) for c in classes if c.startswith("serie-")), None)
        if index is not None and index < count:
            found.append((index, group))
    return found


def _markers(root, series, chosen, axes):
    """Replace pygal's dots by a marker shape per series, each with its value as a tooltip. pygal
    puts a dot at the centre for a missing value: those go (a missing score is not a zero)."""
    for index, group in _series_groups(root, len(series)):
        s, look = series[index], chosen[index]
        dots_groups = [g for g in group.findall(_q("g")) if "dots" in _classes(g)]
        for position, dots in enumerate(dots_groups):
            circle = dots.find(_q("circle"))
            if circle is None:
                continue
            dots.remove(circle)
            value = s.values[position] if position < len(s.values) else None
            if value is None:
                continue
            x, y = float(circle.get("cx")), float(circle.get("cy"))
            axis = axes[position] if position < len(axes) else ""
            dots.append(_marker(look.marker, x, y, look, f"{s.label}, {axis}: {_number(value)}"))


def _gaps(root, series, axis_ends, center, scale_max):
    """pygal draws a missing value at the centre, as if it were 0. Redraw such a series as line
    segments between neighbouring axes that both have a value, unfilled, with gaps elsewhere."""
    if center is None or len(axis_ends) == 0:
        return
    cx, cy = center
    for index, group in _series_groups(root, len(series)):
        values = series[index].values
        if None not in values:
            continue
        path = next((p for p in group.findall(_q("path")) if "line" in _classes(p)), None)
        if path is None:
            continue
        points = []
        for value, (ex, ey) in zip(values, axis_ends, strict=False):
            if value is None:
                points.append(None)
            else:
                ratio = float(value) / scale_max
                points.append((cx + (ex - cx) * ratio, cy + (ey - cy) * ratio))
        n = len(points)
        segments = []
        for i in range(n):
            a, b = points[i], points[(i + 1) % n]
            if a is not None and b is not None and n > 1:
                segments.append(f"M{a[0]:.1f} {a[1]:.1f} L{b[0]:.1f} {b[1]:.1f}")
        if segments:
            path.set("d", " ".join(segments))
            path.set("class", "line reactive nofill")
        else:
            group.remove(path)


def _legend(root, series, chosen, center):
    """A legend under the graph: line style, marker and label of each series."""
    view = [float(n) for n in (root.get("viewBox") or f"0 0 {WIDTH} 600").split()]
    width, height = view[2], view[3]
    rows = math.ceil(len(series) / 3)
    group = ET.SubElement(root, _q("g"), {"class": "hsb-legend"})
    item_width = 150
    per_row = min(3, len(series))
    left = (width - per_row * item_width) / 2 + 10
    top = height - 30 * rows - 4
    for i, (s, look) in enumerate(zip(series, chosen, strict=True)):
        x = left + (i % 3) * item_width
        y = top + (i // 3) * 30 + 12
        line = {"x1": f"{x:.1f}", "y1": f"{y:.1f}", "x2": f"{x + 56:.1f}", "y2": f"{y:.1f}",
                "stroke": look.colour, "stroke-width": str(LINE_WIDTH + 1), "stroke-linecap": "butt"}
        if look.dash:
            line["stroke-dasharray"] = look.dash
        ET.SubElement(group, _q("line"), line)
        group.append(_marker(look.marker, x + 28, y, look, None))
        text = ET.SubElement(group, _q("text"), {"x": f"{x + 66:.1f}", "y": f"{y + 6:.1f}",
                                                  "style": "font-size:18px;font-weight:bold;fill:#0b0c0c"})
        text.text = s.label
    return group


# -- an in-memory LRU of rendered charts ---------------------------------------------------------


class ChartCache:
    """A small thread-safe LRU of rendered SVGs, keyed by everything that decides their bytes."""

    def __init__(self, size: int = 256):
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self.renders = 0  # how many times ``get_or_render`` had to render (tests, monitoring)

    @staticmethod
    def etag(key) -> str:
        return hashlib.sha256(repr((CHART_VERSION, key)).encode()).hexdigest()[:32]

    def get(self, key):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def get_or_render(self, key, render: Callable[[], bytes]) -> bytes:
        cached = self.get(key)
        if cached is not None:
            return cached
        svg = render()
        with self._lock:
            self.renders += 1
            self._items[key] = svg
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return svg

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)
