"""Area archives, registered through the core's own hooks: the core's record types (the same hook the plugins
implement for theirs), the admin page and ``hsbtrack area``."""

from hsbtrack.area_archive import (
    export,  # noqa: F401  (registers the area.archive job kind)
    views,
)
from hsbtrack.area_archive.cli import area_cli
from hsbtrack.area_archive.core_types import core_types
from hsbtrack.plugins import hookimpl


@hookimpl
def hsbtrack_area_archive_types():
    return core_types()


@hookimpl
def hsbtrack_load_blueprints(app, api):
    app.register_blueprint(views.bp)


@hookimpl
def hsbtrack_cli(cli):
    cli.add_command(area_cli)
