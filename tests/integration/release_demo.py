"""Builds a demo install with an older release's own code (for tests/integration/test_upgrade_populated.py).

Run as a script, in a subprocess whose PYTHONPATH puts the release's source tree (and its plugins) in
front of the installed hsbtrack::

    python release_demo.py RELEASE_ROOT OUT.json regional=hsbtrack_regional,...

It migrates DATABASE_URL to the release's heads, loads its demo data (``hsbtrack demo``: the core's
and every plugin's) and writes what that release's code says about the accounts to OUT.json.
:func:`accounts` is also what the test asks of the current code, after the upgrade.
"""

import importlib
import json
import sys
from pathlib import Path

from sqlalchemy import select, text


def accounts(session, User, Membership, Area, Region, Agency) -> dict:
    """``{email: {name, is_admin, active, password_hash, memberships: [[role, area, region, agency]]}}``,
    read through the models of whichever release is running."""

    rows = session.execute(
        select(User.email, User.name, User.is_admin, User.active, User.password_hash,
               Membership.role, Area.name, Region.name, Agency.name)
        .outerjoin(Membership, Membership.user_id == User.id)
        .outerjoin(Area, Area.id == Membership.area_id)
        .outerjoin(Region, Region.id == Membership.region_id)
        .outerjoin(Agency, Agency.id == Membership.agency_id)
    ).all()
    out: dict[str, dict] = {}
    for email, name, is_admin, active, password_hash, role, area, region, agency in rows:
        user = out.setdefault(email, {"name": name, "is_admin": bool(is_admin), "active": bool(active),
                                      "password_hash": password_hash, "memberships": []})
        if role is not None:
            user["memberships"].append([role, area, region, agency])
    for user in out.values():
        user["memberships"].sort(key=repr)
    return dict(sorted(out.items()))


def main(root: Path, out: Path, plugin_modules: dict[str, str]) -> None:
    import hsbtrack

    loaded = {"hsbtrack": hsbtrack}
    plugins = {name: importlib.import_module(module) for name, module in plugin_modules.items()}
    loaded.update(plugins)
    for name, module in loaded.items():  # never the installed (current) code by mistake
        if not Path(module.__file__).resolve().is_relative_to(root):
            raise SystemExit(f"{name} came from {module.__file__}, not from the release in {root}")

    from flask_migrate import upgrade

    from hsbtrack import create_app
    from hsbtrack.areas import demo
    from hsbtrack.areas.models import Agency, Area, Membership, Region
    from hsbtrack.auth.models import User
    from hsbtrack.extensions import db

    # HSBTRACK_PLUGINS "": no entry point (they name the installed plugins); the release's are given.
    app = create_app(config={"HSBTRACK_ENV": "testing", "HSBTRACK_PLUGINS": "", "HSBTRACK_SCHEDULER": "off",
                             "MAIL_SERVER": "", "SERVER_NAME": None}, plugins=plugins)
    with app.app_context():
        upgrade(revision="heads")
        if not demo.load_demo():
            raise SystemExit("the release's demo data was not loaded (the database was not empty)")
        heads = sorted(db.session.scalars(text("SELECT version_num FROM alembic_version")))
        view = {"heads": heads, "demo_password": demo.DEMO_PASSWORD,
                "plugins": sorted(app.extensions["hsbtrack_plugins"].infos),
                "accounts": accounts(db.session, User, Membership, Area, Region, Agency)}
        db.session.remove()
        db.engine.dispose()
    out.write_text(json.dumps(view, indent=1))


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve(), Path(sys.argv[2]),
         dict(pair.split("=", 1) for pair in sys.argv[3].split(",")))
