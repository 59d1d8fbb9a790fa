"""Workforce training: Tiered workforce training: courses, completions, coverage, impact and supervision, as audit evidence."""

from pathlib import Path

from hsbtrack.plugins import hookimpl

PLUGIN = {
    "title": "Workforce training",
    "version": "0.1.0",
    "description": "Tiered workforce training: courses, completions, coverage, impact and supervision, as audit evidence.",
}

HERE = Path(__file__).parent


@hookimpl
def hsbtrack_migration_dirs():
    return [str(HERE / "migrations")]
