"""The regional plugin's part of ``hsbtrack bench``: a round per cycle over the benchmark region, and
its roll-up page among the pages timed."""

from datetime import timedelta

from sqlalchemy import select, text

from hsbtrack.bench.measure import RESPONSES_SQL, BenchPage
from hsbtrack.extensions import db

from .models import RegionalRound


def write_bench_data(bench) -> None:
    """One round per cycle, linking each member area's audit of that cycle; the plugin on in the region."""
    w = bench.writer
    round_rows, round_links = [], []
    for cycle in range(1, bench.sizes.audits + 1):
        round_id = bench.take("regional_rounds")
        round_rows.append((round_id, bench.region_id, bench.framework, f"Regional audit T{cycle}", cycle,
                           w.ts(bench.first_open + timedelta(days=182 * (cycle - 1))),
                           bench.boards[bench.area_ids[0]]))
        for area_id in bench.region_area_ids:
            round_links.append((bench.take("regional_round_audits"), round_id, area_id, bench.audits[area_id][cycle - 1]))
    w.write("regional_rounds", ("id", "region_id", "framework", "title", "cycle", "opened_at", "opened_by_id"),
            round_rows)
    w.write("regional_round_audits", ("id", "round_id", "area_id", "audit_id"), round_links)
    bench.enable("regional", region_id=bench.region_id)


def bench_pages(data) -> list:
    """The roll-up of the region's latest round (the benchmark's board manager coordinates the region)."""
    round_id = db.session.scalar(select(RegionalRound.id).where(RegionalRound.region_id == data.region_id)
                                 .order_by(RegionalRound.cycle.desc()).limit(1))
    if round_id is None:
        return []
    audit_ids = [row[0] for row in db.session.execute(
        text("SELECT audit_id FROM regional_round_audits WHERE round_id = :r"), {"r": round_id})]
    return [BenchPage("rollup", "Regional roll-up", f"/regions/{data.region_id}/regional/rounds/{round_id}/",
                      [RESPONSES_SQL.format(ids=", ".join(map(str, audit_ids)))])]
