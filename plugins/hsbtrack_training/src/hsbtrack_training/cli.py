"""``hsbtrack training import FILE --area ID`` (with a progress bar) and ``hsbtrack training bench``."""

from pathlib import Path

import click
from flask.cli import with_appcontext

from hsbtrack.areas.models import Area
from hsbtrack.extensions import db

from . import importer
from .bench import main


@click.group("training")
def training_cli():
    """Workforce training plugin."""

@training_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--area", "area_id", type=int, required=True, help="Id of the area the training belongs to.")
@click.option("--map", "mapping_options", multiple=True, metavar="FIELD=COLUMN",
              help="Column for a field when its header is not recognised, e.g. --map date='Session date'.")
@with_appcontext
def import_command(file, area_id, mapping_options):
    """Import training completions from a CSV or XLSX FILE: all rows or none."""
    area = db.session.get(Area, area_id)
    if area is None:
        raise click.UsageError(f"No area with id {area_id}")
    try:
        headers, rows = importer.read_table(file.name, file.read_bytes())
    except importer.ImportFileError as error:
        raise click.ClickException(str(error)) from error
    mapping = importer.guess_mapping(headers)
    lowered = [h.lower() for h in headers]
    for option in mapping_options:
        field, _sep, column = option.partition("=")
        if field not in importer.FIELDS or column.lower() not in lowered:
            raise click.UsageError(f"--map {option}: unknown field or column")
        mapping[field] = lowered.index(column.lower())
    problems = importer.mapping_errors(mapping)
    if problems:
        raise click.ClickException("; ".join(str(p) for p in problems.values()) + f". Columns: {', '.join(headers)}")
    bars = {}

    def progress(stage, done, total):
        if stage not in bars:
            label = "Checking rows " if stage == "validate" else "Saving rows   "
            bars[stage] = click.progressbar(length=total, label=label)
            bars[stage].__enter__()
            bars[stage].last = 0
        bar = bars[stage]
        bar.update(done - bar.last)
        bar.last = done
        if done >= total:
            bar.__exit__(None, None, None)

    result = importer.import_rows(area, rows, mapping, progress=progress)
    for bar in bars.values():
        if not bar.finished:
            bar.__exit__(None, None, None)
    if not result.ok:
        for number, reasons in result.errors[:importer.MAX_ERRORS_SHOWN]:
            click.echo(f"row {number}: " + "; ".join(str(r) for r in reasons), err=True)
        raise click.ClickException(f"{len(result.errors)} bad rows: nothing was imported")
    click.echo(f"Imported {result.imported} rows ({len(result.new_people)} new people, "
               f"{len(result.skipped)} already recorded).")


@training_cli.command("bench")
@click.option("--rows", default=100_000, show_default=True)
@with_appcontext
def bench_command(rows):
    """Import rate against a bare executemany of the same rows (budget ≥ 25%)."""

    main(rows)
