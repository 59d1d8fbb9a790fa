"""``hsbtrack area export AREA_ID PATH``, ``hsbtrack area import PATH`` and ``hsbtrack area schema``."""

import os

import click
from flask.cli import AppGroup

from hsbtrack.area_archive import export, importing
from hsbtrack.area_archive.schema import schema_markdown
from hsbtrack.areas.models import Area
from hsbtrack.errors import ServiceError
from hsbtrack.extensions import db

area_cli = AppGroup("area", help="Export an area (and everything of its plugins) to an archive, or import one.")


@area_cli.command("export")
@click.argument("area_id", type=int)
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def export_command(area_id, path):
    """Write the archive of the area AREA_ID to PATH (a .zip file)."""
    area = db.session.get(Area, area_id)
    if area is None:
        raise click.ClickException(f"No area {area_id}")
    partial = f"{path}.part"
    try:
        with open(partial, "wb") as out:
            manifest = export.export_area(area, out)
        os.replace(partial, path)  # (a file at PATH is always a whole archive)
    except ServiceError as error:
        raise click.ClickException(error.message) from None
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    click.echo(f"Exported {area.name} (area {area.id}) to {path}")
    for name, entry in manifest["record_types"].items():
        if entry["count"]:
            click.echo(f"  {name}: {entry['count']}")
    if manifest["plugins"]:
        click.echo(f"Needs the plugins: {', '.join(manifest['plugins'])}")


@area_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--name", default=None, help="The area's name here (default: its name in the archive)")
@click.option("--skip-missing-plugins", is_flag=True,
              help="Import without the records of plugins not installed here (else the archive is refused)")
def import_command(path, name, skip_missing_plugins):
    """Import the area archive at PATH as a new area, all or nothing. No email is sent."""
    try:
        result = importing.import_archive(path, name=name, skip_missing_plugins=skip_missing_plugins)
    except ServiceError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Imported {result.area.name} as area {result.area.id}")
    for name_, count in result.counts.items():
        if count or result.in_archive.get(name_):
            click.echo(f"  {name_}: {count} of {result.in_archive.get(name_, count)}")
    click.echo(f"People: {len(result.matched_people)} matched to existing accounts, {len(result.new_people)} new "
               "pending accounts (no invitation sent)")
    for note in result.notes:
        click.echo(f"Note: {note}")


@area_cli.command("schema")
def schema_command():
    """Print the archive's record types and their fields (Markdown), for the core and the installed plugins."""
    click.echo(schema_markdown(), nl=False)
