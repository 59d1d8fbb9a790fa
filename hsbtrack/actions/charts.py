"""The action plan's status chart (pygal), served from its own URL with an ETag."""

import pygal
from pygal.style import Style

from hsbtrack.audits.charts import COLOURS, FONT, make_accessible

STATUS_COLOURS = {"not_started": "#505a5f", "in_progress": COLOURS[0], "blocked": COLOURS[1], "done": COLOURS[2],
                  "cancelled": "#b1b4b6"}


def status_bar(counts: dict, labels: dict, title: str) -> bytes:
    """Horizontal bars, one per status, with the count printed on each bar (not colour alone)."""
    statuses = list(counts)
    style = Style(
        background="#ffffff", plot_background="#ffffff", foreground="#0b0c0c", foreground_strong="#0b0c0c",
        foreground_subtle="#b1b4b6", font_family=FONT, label_font_size=16, major_label_font_size=16,
        value_font_size=16, title_font_size=18, legend_font_size=16,
        colors=tuple(STATUS_COLOURS.get(s, COLOURS[0]) for s in statuses),
    )
    top = max([*counts.values(), 1])
    step = max(1, -(-top // 8))  # whole numbers: at most about eight ticks
    chart = pygal.HorizontalBar(
        y_labels=list(range(0, top + step, step)),
        range=(0, top + step if top % step else top),
        style=style, js=[], disable_xml_declaration=True, width=640, height=80 + 48 * len(statuses),
        show_legend=False, print_values=True, print_values_position="top", title=title,
        show_y_guides=False, margin=10, explicit_size=False, no_data_text="",
    )
    description = "; ".join(f"{labels.get(st, st)}: {counts[st]}" for st in statuses)
    chart.add_xml_filter(lambda root: make_accessible(root, "action-status", title, description))
    chart.uuid = "action-status"
    chart.x_labels = [str(labels.get(s, s)) for s in statuses]
    # One series whose bars take their own colours: pygal colours per value via ``color``.
    chart.add("", [{"value": counts[s], "color": STATUS_COLOURS.get(s, COLOURS[0])} for s in statuses])
    svg = chart.render()
    return svg.encode("utf-8") if isinstance(svg, str) else svg
