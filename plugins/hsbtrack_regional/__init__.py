"""Regional safeguarding board: A regional board over several areas (North Wales first): audits in step, roll-ups, a regional action plan, shared commissioning and the annual report."""

from pathlib import Path

from hsbtrack.plugins import hookimpl

PLUGIN = {
    "title": "Regional safeguarding board",
    "version": "0.1.0",
    "description": "A regional board over several areas (North Wales first): audits in step, roll-ups, a regional action plan, shared commissioning and the annual report.",
}

HERE = Path(__file__).parent


@hookimpl
def hsbtrack_migration_dirs():
    return [str(HERE / "migrations")]
