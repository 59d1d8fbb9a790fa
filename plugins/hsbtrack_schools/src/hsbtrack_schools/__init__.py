"""Beyond Referrals schools: Beyond Referrals: school self-assessments of the response to harmful sexual behaviour, and the multi-agency checklist."""

from pathlib import Path

from flask_babel import lazy_gettext as _l

from hsbtrack.plugins import hookimpl

PLUGIN = {
    "title": _l("Beyond Referrals schools"),
    "description": _l("Beyond Referrals: school self-assessments of the response to harmful sexual behaviour, and the multi-agency checklist."),
}

HERE = Path(__file__).parent

from . import models  # noqa: E402,F401  (the tables are on the metadata before migrations and tests run)


@hookimpl
def hsbtrack_migration_dirs():
    return [str(HERE / "migrations")]


@hookimpl
def hsbtrack_load_blueprints(app, api):
    from .views import bp

    app.register_blueprint(bp)


@hookimpl
def hsbtrack_roles():
    from hsbtrack.areas.roles import Perm, Permission, Role

    from .services import ASSESS, ROLE

    # A school lead sees its own school's checklist and scorecard, nothing of the audit or the plan
    # (area.view is the area's home, which sends them on to their schools).
    return [Permission(ASSESS, _l("Assess your own school (self-assessment and scorecard)"), reveals=Perm.VIEW_AREA,
                       implied_by=frozenset({Perm.MANAGE_AREA})),
            Role(ROLE, _l("School lead"), permissions=frozenset({Perm.VIEW_AREA, ASSESS}), order=60)]


@hookimpl
def hsbtrack_nav_items(area, user):
    from flask import url_for

    from hsbtrack.plugins.types import NavItem

    url = url_for("schools.home", area_id=area.id)
    return [NavItem(_l("Schools"), url, order=60, active_prefix=url)]


@hookimpl
def hsbtrack_dashboard_widgets(area, user):
    from hsbtrack.plugins.types import Widget

    from . import services

    if not services.can_view_all(user, area):
        return []
    return [Widget(_l("Schools' self-assessments"), "schools/widget.html", {"data": services.rollup(area)}, order=60)]


@hookimpl
def hsbtrack_statement_evidence(area, audit, codes):
    from .services import evidence

    return evidence(area, codes)


@hookimpl
def hsbtrack_demo_data(area):
    from .services import demo

    demo(area)
