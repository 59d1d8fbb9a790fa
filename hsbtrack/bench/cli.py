"""``hsbtrack bench``: generate national-scale data (or reuse it) and check docs/architecture.md's budgets."""

from pathlib import Path

import click
from flask.cli import with_appcontext

from hsbtrack import create_app
from hsbtrack.bench import generate, measure
from hsbtrack.extensions import db


@click.command("bench")
@click.option("--scale", type=float, default=1.0, show_default=True,
              help="Fraction of docs/architecture.md's national scale (200 areas, 60,000 actions, 1,000,000 training records).")
@click.option("--requests", "n", type=int, default=None, help="Requests per route [50; 20 below scale 0.5].")
@click.option("--docs", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Markdown file whose section for this database is replaced (full scale only).")
@click.option("--page-budget", type=float, default=None,
              help="Largest page ÷ trivial page ratio of the medians, warm and cold [3].")
@click.option("--p95-budget", type=float, default=None,
              help="Largest page ÷ trivial page ratio of the p95s, warm and cold [4].")
@click.option("--set", "settings", multiple=True, metavar="NAME=VALUE",
              help="A plugin's benchmark setting, e.g. training.import_rows=200 or training.import_budget=0.")
@with_appcontext
def bench_command(scale, n, docs, page_budget, p95_budget, settings):
    """Benchmarks at national scale: pages against a trivial page, warm and cold (the first view after a
    write to their data), the chart rule, and the plugins' own measurements (the training import).

    Generates the synthetic data into the current database (migrated, and empty or holding the
    benchmark data of the same scale), prints a table and exits 1 when a budget is missed.
    """
    from flask import current_app


    page_budget = measure.PAGE_BUDGET if page_budget is None else page_budget
    p95_budget = measure.P95_BUDGET if p95_budget is None else p95_budget
    try:
        plugin_settings = dict(item.split("=", 1) for item in settings)
    except ValueError:
        raise click.UsageError("--set takes NAME=VALUE") from None
    n = n or (50 if scale >= 0.5 else 20)
    try:
        sizes = generate.Sizes.for_scale(scale)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    click.echo(f"Benchmark data at scale {scale:g}: {sizes.areas} areas × {sizes.agencies} agencies × "
               f"{sizes.audits} audits, {sizes.actions:,} actions, {sizes.training:,} training records …")
    try:
        data = generate.generate(scale)
    except RuntimeError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"  {f'generated in {data.seconds:.1f} s' if data.generated else 'already there: reused'}; "
               + ", ".join(f"{k} {v:,}" for k, v in data.counts.items()))

    report = measure.Report(database=measure.database_label(db.engine), scale=scale, requests=n,
                            counts=data.counts, generate_seconds=data.seconds if data.generated else None,
                            machine=measure.machine(), when=measure.now_text())
    # A fresh app with the same settings, so that the trivial page can be added before its first
    # request; no scheduler, and cookies a test client sends over http. The benchmark's board manager
    # signs in with both factors (enrolled by the generator), once, before the pages are timed.
    bench_app = create_app(config={**current_app.config, "HSBTRACK_SCHEDULER": "off",
                                   "SESSION_COOKIE_SECURE": False, "REMEMBER_COOKIE_SECURE": False})
    measure.add_trivial_page(bench_app)
    click.echo(f"Timing pages: {n} requests per route …")
    try:
        report.rows.extend(measure.measure_pages(bench_app, data, generate.PASSWORD, n, page_budget,
                                                        p95_budget))
    finally:
        with bench_app.app_context():
            db.session.remove()
            db.engine.dispose()
    for benchmark in current_app.extensions["hsbtrack_plugins"].hook.hsbtrack_benchmarks(
            scale=scale, settings=plugin_settings):
        for run in benchmark:
            row = run()
            click.echo(f"Measured: {row.label}")
            report.rows.append(row)

    click.echo("")
    click.echo(measure.describe(report))
    click.echo("")
    click.echo(measure.table(report))
    if docs is not None:
        if scale >= 1:
            measure.write_docs(docs, report)
            click.echo(f"\nWrote the {measure.section_name(report)} section of {docs}")
        else:
            click.echo(f"\n{docs} not updated: only full-scale runs are recorded")
    if not report.ok:
        click.echo("\nBudget missed: " + ", ".join(r.label for r in report.missed), err=True)
        raise SystemExit(1)
    click.echo("\nEvery budget met.")
