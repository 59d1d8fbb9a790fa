"""Scotland: FRAME and CARM: Scotland's national variant: child protection committee terminology, and CARM case management under FRAME."""

from pathlib import Path

from hsbtrack.plugins import hookimpl

PLUGIN = {
    "title": "Scotland: FRAME and CARM",
    "version": "0.1.0",
    "description": "Scotland's national variant: child protection committee terminology, and CARM case management under FRAME.",
}

HERE = Path(__file__).parent


@hookimpl
def hsbtrack_migration_dirs():
    return [str(HERE / "migrations")]
