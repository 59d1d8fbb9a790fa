"""The coverage chart: per discipline, the share of its headcount with current training at each tier.

Made the way the core makes its charts (``hsbtrack.audits.charts``): pygal, script-free SVG with our
own ``<title>`` and ``<desc>`` (every value in words), served by URL through the chart cache
(``cached_svg_response``) under a key that is a digest of what it draws, so a change in the data
makes a new key and nothing is ever stale. Tiers are told apart by colour AND by the words printed
on each bar ("Tier 2: 40%"), so nothing depends on colour alone; the coverage tables below the
chart hold the same numbers.
"""

import hashlib
import json
from dataclasses import dataclass, field

from flask_babel import gettext as _

from hsbtrack.audits.charts import CHART_VERSION, COLOURS, _style, make_accessible

CHART_ID = "training-coverage-chart"
WIDTH = 760


@dataclass(frozen=True)
class CoverageChart:
    title: str
    labels: tuple  # disciplines with a headcount, in the area's order
    series: tuple  # ((tier label, (share or None per discipline)), ...)
    description: str
    missing: tuple = field(default=())  # disciplines with training recorded but no headcount

    @property
    def has_data(self) -> bool:
        return bool(self.labels)

    @property
    def version(self) -> str:
        """A digest of everything drawn (and of the chart code's version): the cache key and ETag."""
        body = json.dumps([CHART_VERSION, self.title, self.labels, self.series, self.description], default=str)
        return hashlib.sha256(body.encode()).hexdigest()[:16]


def coverage_chart(coverage: dict) -> CoverageChart:
    """The chart's content from :func:`hsbtrack_training.services.coverage` (no queries)."""
    title = _("Share of the workforce with current training at each tier, by discipline")
    tiers = coverage["tiers"]
    rows = [r for r in coverage["by_discipline"] if r["headcount"]]
    missing = tuple(str(r["discipline_label"]) for r in coverage["by_discipline"] if not r["headcount"])
    labels = tuple(str(r["discipline_label"]) for r in rows)
    series = tuple((_("Tier %(n)d", n=tier["number"]), tuple(r["tiers"][i]["share"] for r in rows))
                   for i, tier in enumerate(tiers))
    sentences = []
    for r in rows:
        parts = "; ".join(_("tier %(n)d %(share)d%% (%(count)d of %(head)d)", n=tier["number"], share=c["share"],
                            count=c["count"], head=r["headcount"]) for tier, c in zip(tiers, r["tiers"], strict=True))
        sentences.append(_("%(discipline)s: %(parts)s.", discipline=r["discipline_label"], parts=parts))
    if missing:
        sentences.append(_("No headcount entered for: %(names)s.", names=", ".join(missing)))
    description = " ".join(sentences) or _("No headcounts entered yet.")
    return CoverageChart(title, labels, series, description, missing)


def _values_beside_bars(root, right_edge: float) -> None:
    """Move each bar's printed value from its middle to just after its end (inside the bar when it would
    leave the plot), so that short and empty bars keep readable words clear of the axis labels."""
    texts = [t for t in root.iter("text") if "value" in (t.get("class") or "").split()]
    rects = [float(r.get("x")) for r in root.iter("rect") if "rect" in (r.get("class") or "").split()]
    if not texts or not rects:
        return
    origin = min(rects)
    for text in texts:
        end = 2 * float(text.get("x")) - origin  # pygal centres the value on the bar
        if end + 8 * len(text.text or "") + 12 > right_edge:
            text.set("x", f"{end - 6:.1f}")
            text.set("text-anchor", "end")
        else:
            text.set("x", f"{end + 6:.1f}")
            text.set("text-anchor", "start")


def coverage_svg(chart: CoverageChart) -> bytes:
    """Grouped horizontal bars, 0–100%, one group per discipline and one bar per tier."""
    import pygal

    n_tiers = max(1, len(chart.series))
    colours = [COLOURS[i % len(COLOURS)] for i in range(n_tiers)]
    height = max(300, 160 + len(chart.labels) * (n_tiers * 26 + 30))
    svg = pygal.HorizontalBar(style=_style(colours), width=WIDTH, height=height, range=(0, 100),
                              include_x_axis=True, legend_at_bottom=True, show_legend=True, print_values=True,
                              truncate_label=-1, truncate_legend=-1, js=[], disable_xml_declaration=True,
                              title=chart.title, x_title=_("Share of the headcount (%)"),
                              no_data_text=_("No headcounts entered yet"))
    # pygal draws horizontal bars from the bottom up: reversed, the first discipline is on top
    svg.x_labels = list(chart.labels[::-1])
    for label, values in chart.series:
        svg.add(label, [v for v in values[::-1]],
                formatter=lambda v, label=label: "" if v is None else _("%(tier)s: %(share)d%%", tier=label, share=v))

    def finish(root):
        make_accessible(root, CHART_ID, chart.title, chart.description)
        plot = next((g for g in root.iter("g") if "plot" in (g.get("class") or "").split()
                     and "background" not in (g.get("class") or "")), None)
        width = next((float(r.get("width")) for r in plot.iter("rect") if "background" in (r.get("class") or "")),
                     None) if plot is not None else None
        _values_beside_bars(root, width or WIDTH / 2)
        return root

    svg.add_xml_filter(finish)
    return svg.render()
