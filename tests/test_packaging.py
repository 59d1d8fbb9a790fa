"""The wheel carries what an installed hsbtrack needs: the top-level ``templates/`` and
``migrations/`` folders (bundled by setup.py as ``hsbtrack/_bundled``) and the catalogue files, and an
installed copy finds them without the source tree.

The wheel is built from a copy of the working tree, so the repository gets no ``build/`` or
``*.egg-info`` left behind.
"""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
# Not copied: environments, caches, local data and earlier build output.
SKIP = shutil.ignore_patterns(
    ".git", ".venv", "node_modules", "instance", "test-artifacts", "build", "dist", "*.egg-info",
    "__pycache__", "*.pyc", ".ruff_cache", ".pytest_cache",
)
EXPECTED = (  # (the tests below also check every other file of these folders)
    "hsbtrack/_bundled/templates/layout.html",
    "hsbtrack/_bundled/migrations/env.py",
    "hsbtrack/_bundled/migrations/versions/0001_core.py",
    "hsbtrack/catalogue/frameworks/nspcc-hsb-2019.yaml",
)

# Run by the installed copy: where does it find its folders, and does a page render from them?
PROBE = """
import json, sys
import hsbtrack
from hsbtrack.paths import resource_dir
from hsbtrack import create_app

app = create_app({"HSBTRACK_ENV": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
from hsbtrack.extensions import db
with app.app_context():
    db.create_all()  # (the sign-in page lists the single sign-on providers kept in the database)
response = app.test_client().get("/login")
print(json.dumps({
    "package": hsbtrack.__file__,
    "templates": str(resource_dir("templates")),
    "migrations": str(resource_dir("migrations")),
    "template_folder": app.template_folder,
    "login_status": response.status_code,
    "login_has_form": 'name="password"' in response.get_data(as_text=True),
}))
"""


def _run(args, **kwargs):
    result = subprocess.run(args, capture_output=True, text=True, timeout=120, **kwargs)
    assert result.returncode == 0, f"{' '.join(map(str, args))} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def _build_output_in_repository() -> set[str]:
    return {p.name for p in ROOT.iterdir() if p.name in {"build", "dist"} or p.name.endswith(".egg-info")} | (
        {"hsbtrack/_bundled"} if (ROOT / "hsbtrack" / "_bundled").exists() else set()
    )


@pytest.fixture(scope="module")
def repository_before():
    return _build_output_in_repository()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory, repository_before):
    source = tmp_path_factory.mktemp("source") / "hsbtrack"
    shutil.copytree(ROOT, source, ignore=SKIP, symlinks=True)
    outdir = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(outdir), str(source)],
         cwd=source)
    wheels = list(outdir.glob("hsbtrack-*.whl"))
    assert len(wheels) == 1, wheels
    # the tree it was built from: compare with that, as the checkout may change meanwhile
    return SimpleNamespace(path=wheels[0], source=source)


def test_building_leaves_the_repository_clean(wheel, repository_before):
    # The build ran in a copy: no new build/, dist/ or *.egg-info in the checkout, and above all no
    # hsbtrack/_bundled, which hsbtrack.paths would prefer to the real templates and migrations.
    assert _build_output_in_repository() == repository_before
    assert "hsbtrack/_bundled" not in repository_before


def test_wheel_bundles_templates_migrations_and_catalogue(wheel):
    with zipfile.ZipFile(wheel.path) as archive:
        names = set(archive.namelist())
    missing = [name for name in EXPECTED if name not in names]
    assert not missing, f"missing from {wheel.path.name}: {missing}"
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert not [n for n in names if n.startswith("tests/")], "the test suite must not be installed"
    # every migration and every top-level template made it, not just the ones named above
    source = wheel.source
    for folder in ("templates", "migrations"):
        for path in (source / folder).rglob("*"):
            if path.is_file():
                name = f"hsbtrack/_bundled/{folder}/{path.relative_to(source / folder).as_posix()}"
                assert name in names, f"{name} is not in the wheel"
    # the first-party plugins are distributions of their own, not part of the core's wheel
    assert not [n for n in names if n.startswith("hsbtrack_")], "a plugin was packaged into the core"
    # and the built front-end assets (`npm run build`: CSS, GOV.UK Frontend, its icons, axe-core)
    static = [p.relative_to(source).as_posix() for p in (source / "hsbtrack" / "static").rglob("*") if p.is_file()]
    not_packaged = [name for name in static if name not in names]
    assert not not_packaged, f"static files missing from the wheel (package-data in pyproject.toml?): {not_packaged}"


def test_installed_wheel_finds_its_bundled_folders(wheel, tmp_path):
    target = tmp_path / "site"
    _run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile",
          "--disable-pip-version-check", "--target", str(target), str(wheel.path)])
    env = {
        **os.environ,
        "PYTHONPATH": str(target),  # first on sys.path, before the editable install of the checkout
        "HSBTRACK_INSTANCE_PATH": str(tmp_path / "instance"),
        "HSBTRACK_PLUGINS": "none",  # no entry-point plugins of the development install
    }
    env.pop("DATABASE_URL", None)
    # run from tmp_path: with the checkout as working directory, `import hsbtrack` would find it
    result = _run([sys.executable, "-c", PROBE], cwd=tmp_path, env=env)
    found = json.loads(result.stdout.strip().splitlines()[-1])
    print(found)
    for key in ("package", "templates", "migrations", "template_folder"):
        assert Path(found[key]).resolve().is_relative_to(target.resolve()), f"{key} is outside the install: {found}"
    assert Path(found["templates"], "layout.html").is_file()
    assert Path(found["migrations"], "env.py").is_file()
    assert found["login_status"] == 200 and found["login_has_form"], found


# -- a first-party plugin is its own distribution ---------------------------------------------------

PLUGIN_PROBE = """
import json, sys
from flask_babel import force_locale, gettext
from flask_migrate import upgrade
from hsbtrack import create_app
from hsbtrack.testing import World, api_headers

app = create_app({"HSBTRACK_ENV": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[1]})
with app.app_context():
    upgrade(revision="heads")  # the plugin's migrations came with its wheel
    headers = api_headers(World().user("admin@example.org", admin=True))
listed = app.test_client().get("/api/v1/plugins", headers=headers).get_json()
import hsbtrack_training
with app.test_request_context(), force_locale("cy"):
    welsh = gettext("Workforce training")
print(json.dumps({"plugins": [{"name": p["name"], "version": p["version"]} for p in listed],
                  "package": hsbtrack_training.__file__, "welsh_title": welsh}))
"""


def test_a_plugin_installs_from_its_own_wheel(wheel, tmp_path):
    """`pip install ./plugins/hsbtrack_training` (here its wheel, beside the core's): the app lists it with
    its package's version and speaks Welsh from its catalogue, compiled at start from the .po source."""
    source = tmp_path / "hsbtrack_training"
    shutil.copytree(ROOT / "plugins" / "hsbtrack_training", source, ignore=SKIP)
    for mo in source.rglob("*.mo"):
        mo.unlink()  # as in a clean checkout: only the .po sources are committed
    pyproject = source / "pyproject.toml"
    # a version that only the metadata knows: the app must read it from there
    pyproject.write_text(pyproject.read_text().replace('version = "0.1.0"', 'version = "0.1.0.post7"'))
    outdir = tmp_path / "dist"
    _run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(outdir), str(source)],
         cwd=source)
    (plugin_wheel,) = outdir.glob("hsbtrack_training-*.whl")
    with zipfile.ZipFile(plugin_wheel) as archive:
        names = set(archive.namelist())
    assert "hsbtrack_training/templates/training/home.html" in names
    assert "hsbtrack_training/migrations/training_0001_tables.py" in names
    assert "hsbtrack_training/translations/cy/LC_MESSAGES/messages.po" in names
    assert not [n for n in names if "/tests/" in n], "the plugin's tests are not installed"

    target = tmp_path / "site"
    _run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile",
          "--disable-pip-version-check", "--target", str(target), str(wheel.path), str(plugin_wheel)])
    env = {
        **os.environ,
        "PYTHONPATH": str(target),  # first on sys.path: its hsbtrack-training shadows the editable one
        "HSBTRACK_INSTANCE_PATH": str(tmp_path / "instance"),
        "HSBTRACK_PLUGINS": "training",
    }
    env.pop("DATABASE_URL", None)
    result = _run([sys.executable, "-c", PLUGIN_PROBE, str(tmp_path / "probe.db")], cwd=tmp_path, env=env)
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["plugins"] == [{"name": "training", "version": "0.1.0.post7"}], found
    assert Path(found["package"]).resolve().is_relative_to(target.resolve()), found
    assert found["welsh_title"] == "Hyfforddiant y gweithlu", found
    assert list((tmp_path / "instance" / "translations" / "hsbtrack_training").rglob("messages.mo"))
