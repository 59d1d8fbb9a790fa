"""``hsbtrack bench`` at a tiny scale: the generator's counts, the table, the docs section and the
exit code (a missed budget fails the command). The real runs are ``make bench``; these take seconds."""

from sqlalchemy import select

from hsbtrack.bench import generate, measure

TINY = 0.001  # one area, 60 actions, 1,000 training records


def test_sizes_follow_design_and_scale_linearly():
    full = generate.Sizes.for_scale(1)
    assert (full.areas, full.agencies, full.audits, full.actions, full.training) == (200, 10, 6, 60_000, 1_000_000)
    assert full.areas * full.agencies * full.audits * 46 == 552_000  # "about 550,000 agency responses"
    assert generate.Sizes.for_scale(0.02).areas == 4
    assert generate.Sizes.for_scale(0.02).actions == 1_200
    tiny = generate.Sizes.for_scale(TINY)
    assert (tiny.areas, tiny.actions, tiny.training, tiny.region_areas) == (1, 60, 1_000, 1)


def test_generator_writes_consistent_data_the_app_reads(ctx):
    from hsbtrack.areas.models import Area
    from hsbtrack.audits import services
    from hsbtrack.audits.models import Audit
    from hsbtrack.extensions import db

    data = generate.generate(TINY)
    counts = data.counts
    assert data.generated
    assert counts["areas"] == 1 and counts["agencies"] == 10 and counts["audits"] == 6
    assert counts["audit_agencies"] == 60
    # T1–T5 fully scored by the ten agencies; the open T6 about 80% scored
    assert 5 * 460 + 300 <= counts["audit_responses"] <= 6 * 460
    assert counts["actions"] == 60 and 60 <= counts["action_statements"] <= 120
    assert counts["training_completions"] == 1_000 and counts["training_people"] == 100
    assert counts["regional_rounds"] == 6 and counts["regional_round_audits"] == 6
    assert counts["users"] == 11 and counts["memberships"] == 12

    area = db.session.get(Area, data.area_ids[0])
    assert area.region_id == data.region_id
    latest = db.session.get(Audit, data.audit_id)
    assert (latest.cycle, latest.status, latest.area_id) == (6, "open", area.id)
    result = services.consolidated(latest)
    assert all(d.mean is not None for d in result.domains)
    closed = db.session.scalars(select(Audit).where(Audit.area_id == area.id, Audit.cycle == 1)).one()
    assert services.progress(closed)[services.participant_ids(closed)[0]]["scored"] == 46

    # a second call finds the data instead of writing it again; another scale is refused
    again = generate.generate(TINY)
    assert not again.generated and again.counts == counts
    try:
        generate.generate(0.02)
    except RuntimeError as error:
        assert "another scale" in str(error)
    else:
        raise AssertionError("generating another scale into the same database must be refused")


def test_bench_command_prints_the_table_and_fails_on_a_missed_budget(ctx, tmp_path):
    docs = tmp_path / "benchmarks.md"
    runner = ctx.test_cli_runner()
    args = ["bench", "--scale", str(TINY), "--requests", "2", "--set", "training.import_rows=200"]

    missed = runner.invoke(args=[*args, "--page-budget", "0.01"])
    assert missed.exit_code == 1, missed.output
    assert "| Area dashboard |" in missed.output and "| Regional roll-up |" in missed.output
    assert "MISSED" in missed.output and "Budget missed: Area dashboard" in missed.output
    assert "Training import, 200 rows" in missed.output

    met = runner.invoke(args=[*args, "--page-budget", "1000", "--set", "training.import_budget=0", "--docs", str(docs)])
    assert met.exit_code == 0, met.output
    assert "already there: reused" in met.output and "Every budget met." in met.output
    assert "MISSED" not in met.output
    assert "304" in met.output  # the radar answered a conditional request from its ETag
    assert not docs.exists()  # only full-scale runs are recorded


def test_report_ok_table_and_docs_sections(tmp_path):
    rows = [measure.Row("trivial", "Trivial page", 4.0, 6.0, 1.0, 1.0, budget="baseline"),
            measure.Row("plan", "Action plan", 30.0, 50.0, 7.5, 8.3, bare=30.0, sql=1.2, budget="≤ 5× trivial",
                        ok=False)]
    report = measure.Report(rows=rows, database="SQLite 3.40.1 (file)", scale=1, requests=50,
                            counts={"areas": 200}, machine="test machine", when="2026-01-01 00:00 UTC")
    assert not report.ok and [r.key for r in report.missed] == ["plan"]
    text = measure.table(report)
    assert "| Action plan | 30.0 | 50.0 | 7.50× | 8.30× | 30.00× | 1.2 | ≤ 5× trivial | MISSED |" in text

    path = tmp_path / "benchmarks.md"
    measure.write_docs(path, report)
    rows[1].ok = True
    measure.write_docs(path, report)  # replaces the SQLite section rather than adding one
    postgres = measure.Report(rows=rows[:1], database="PostgreSQL 15.18", scale=1, requests=50, machine="m",
                              when="w")
    measure.write_docs(path, postgres)
    written = path.read_text()
    assert written.count("<!-- bench:sqlite -->") == 1 and written.count("<!-- bench:postgresql -->") == 1
    assert written.index("bench:sqlite") < written.index("bench:postgresql")
    assert "every budget met" in written and "MISSED" not in written
