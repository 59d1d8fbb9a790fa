"""Beyond Referrals schools: Beyond Referrals: school self-assessments of the response to harmful sexual behaviour, and the multi-agency checklist."""

from pathlib import Path

from hsbtrack.plugins import hookimpl

PLUGIN = {
    "title": "Beyond Referrals schools",
    "version": "0.1.0",
    "description": "Beyond Referrals: school self-assessments of the response to harmful sexual behaviour, and the multi-agency checklist.",
}

HERE = Path(__file__).parent


@hookimpl
def hsbtrack_migration_dirs():
    return [str(HERE / "migrations")]
