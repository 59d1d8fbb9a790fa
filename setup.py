"""Build hook: bundle the top-level ``templates/`` and ``migrations/`` folders into the wheel, and
compile the translation catalogues.

They live at the top of the repository (so that templates and migrations are easy to find and
review), but an installed hsbtrack must carry them. ``hsbtrack.paths`` looks for the bundled copy
first and falls back to the source tree, so editable installs need no copy.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

BUNDLED = ("templates", "migrations")


class BuildPyWithBundledFolders(build_py):
    def run(self):
        super().run()
        root = Path(__file__).parent
        target = Path(self.build_lib) / "hsbtrack" / "_bundled"
        for name in BUNDLED:
            dest = target / name
            if dest.exists():
                shutil.rmtree(dest)
            shutil.copytree(root / name, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        self.compile_catalogues(Path(self.build_lib))

    @staticmethod
    def compile_catalogues(build_lib: Path) -> None:
        """Ship compiled translations (.mo files are not committed, only their .po sources)."""
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po in build_lib.glob("hsbtrack*/translations/*/LC_MESSAGES/*.po"):
            with po.open("rb") as fh:
                catalog = read_po(fh)
            with po.with_suffix(".mo").open("wb") as fh:
                write_mo(fh, catalog)


setup(cmdclass={"build_py": BuildPyWithBundledFolders})
