"""Build hook: bundle the top-level ``templates/`` and ``migrations/`` folders into the wheel.

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


setup(cmdclass={"build_py": BuildPyWithBundledFolders})
