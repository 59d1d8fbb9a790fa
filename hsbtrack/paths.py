"""Where the top-level folders (templates, migrations) are, in a source tree or an installed wheel."""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """Return the folder ``name`` ("templates" or "migrations").

    A wheel carries them in ``hsbtrack/_bundled`` (see setup.py); a source checkout keeps them
    beside the package.
    """
    bundled = PACKAGE_DIR / "_bundled" / name
    if bundled.is_dir():
        return bundled
    return PACKAGE_DIR.parent / name
