"""The regional plugin's part of ``hsbtrack bench``: a round per cycle over the benchmark region, a
32-authority region in one round (all of Scotland's committees in one roll-up), and the roll-up pages
of both among the pages timed, warm and cold."""

from datetime import timedelta

from sqlalchemy import select, text

from hsbtrack.bench.measure import RESPONSES_SQL, BenchPage, score_write
from hsbtrack.extensions import db

from .models import RegionalRound

LARGE_REGION = "Benchmark region of 32 authorities"
LARGE_PREFIX = "Benchmark authority"
LARGE_AUTHORITIES = 32


def write_bench_data(bench) -> None:
    """One round per cycle over the benchmark region, linking each member area's audit of that cycle;
    then the 32-authority region (the core's :meth:`~hsbtrack.bench.generate.BenchWorld.add_region`)
    in one round, every authority's audit open and fully scored; the plugin on in both regions."""
    w = bench.writer
    round_rows, round_links = [], []
    coordinator = bench.boards[bench.area_ids[0]]
    for cycle in range(1, bench.sizes.audits + 1):
        round_id = bench.take("regional_rounds")
        round_rows.append((round_id, bench.region_id, bench.framework, f"Regional audit T{cycle}", cycle,
                           w.ts(bench.first_open + timedelta(days=182 * (cycle - 1))), coordinator))
        for area_id in bench.region_area_ids:
            round_links.append((bench.take("regional_round_audits"), round_id, area_id, bench.audits[area_id][cycle - 1]))
    large = bench.add_region(LARGE_REGION, LARGE_AUTHORITIES, LARGE_PREFIX, coordinator)
    round_id = bench.take("regional_rounds")
    round_rows.append((round_id, large.region_id, bench.framework, "Regional audit T1", 1,
                       w.ts(bench.now - timedelta(days=40)), coordinator))
    round_links.extend((bench.take("regional_round_audits"), round_id, area_id, large.audits[area_id])
                       for area_id in large.area_ids)
    w.write("regional_rounds", ("id", "region_id", "framework", "title", "cycle", "opened_at", "opened_by_id"),
            round_rows)
    w.write("regional_round_audits", ("id", "round_id", "area_id", "audit_id"), round_links)
    bench.enable("regional", region_id=bench.region_id)
    bench.enable("regional", region_id=large.region_id)


def _latest_round(region_id):
    return db.session.scalar(select(RegionalRound.id).where(RegionalRound.region_id == region_id)
                             .order_by(RegionalRound.cycle.desc()).limit(1))


def _round_audit_ids(round_id) -> list:
    return [row[0] for row in db.session.execute(
        text("SELECT audit_id FROM regional_round_audits WHERE round_id = :r ORDER BY area_id"), {"r": round_id})]


def bench_pages(data) -> list:
    """The roll-up of each benchmark region's latest round (the benchmark's board manager coordinates
    both); cold after a score saved by an agency lead of the round's first authority."""
    from hsbtrack.areas.models import Region

    pages = []
    large_id = db.session.scalar(select(Region.id).where(Region.name == LARGE_REGION))
    for key, label, region_id in (("rollup", "Regional roll-up (6 authorities)", data.region_id),
                                  ("rollup32", "Regional roll-up (32 authorities)", large_id)):
        round_id = _latest_round(region_id) if region_id is not None else None
        if round_id is None:
            continue
        audit_ids = _round_audit_ids(round_id)
        open_id = db.session.scalar(text(
            "SELECT a.id FROM audits a JOIN regional_round_audits r ON r.audit_id = a.id "
            "WHERE r.round_id = :r AND a.status = 'open' ORDER BY a.area_id LIMIT 1"), {"r": round_id})
        pages.append(BenchPage(key, label, f"/regions/{region_id}/regional/rounds/{round_id}/",
                               [RESPONSES_SQL.format(ids=", ".join(map(str, audit_ids)))],
                               cold=score_write(open_id) if open_id is not None else None))
    return pages
