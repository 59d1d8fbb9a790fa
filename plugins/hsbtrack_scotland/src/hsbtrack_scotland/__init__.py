"""Scotland: FRAME and CARM — Scotland's national variant: FRAME terminology and CARM case management."""

from pathlib import Path

from flask_babel import lazy_gettext as _l

from hsbtrack.areas.roles import Perm, Permission, Role
from hsbtrack.plugins import hookimpl
from hsbtrack.plugins.types import NavItem, ScheduledJob

from . import api as scotland_api
from . import (
    archive,
    models,  # noqa: F401  (register the tables)
    privacy,
    yearly,
)
from .demo import create_demo
from .forms import ReviewSettingsForm
from .services import CASE_PERM, evidence, scan_reviews
from .views import bp

PLUGIN = {
    "title": _l("Scotland: FRAME and CARM"),
    "description": _l("Scotland's national variant: FRAME terminology and CARM case management."),
}

HERE = Path(__file__).parent

TERMS = {
    "partnership": _l("Child Protection Committee"),
    "Partnership": _l("Child Protection Committee"),
    "partnerships": _l("Child Protection Committees"),
    "lead_professional": _l("Lead Professional"),
    "childs_plan": _l("Child's Plan"),
}


@hookimpl
def hsbtrack_migration_dirs():
    return [str(HERE / "migrations")]


@hookimpl
def hsbtrack_load_blueprints(app, api):
    app.register_blueprint(bp)
    api.register_blueprint(scotland_api.bp)


@hookimpl
def hsbtrack_terminology(area):
    return dict(TERMS)


@hookimpl
def hsbtrack_roles():
    # Cases are about children: only case workers (and admins) see them, and everything made from
    # them (a plan action carries this permission as its wall: hsbtrack.actions.services.walls).
    return [Permission(CASE_PERM, _l("See and record CARM cases and their risk management plans")),
            # actions.read: case workers own the plan's actions, which live in the area's action plan
            Role("case_worker", _l("Case worker (CARM)"),
                 permissions=frozenset({Perm.VIEW_AREA, Perm.READ_ACTIONS, CASE_PERM}), order=60)]


@hookimpl
def hsbtrack_settings_form(area):
    return ReviewSettingsForm


@hookimpl
def hsbtrack_scheduled_jobs():
    return [ScheduledJob("scotland.reviews", scan_reviews, hours=24)]


@hookimpl
def hsbtrack_nav_items(area, user):
    from flask import url_for


    return [NavItem(_l("CARM"), url_for("scotland.home", area_id=area.id), order=60,
                    active_prefix=f"/areas/{area.id}/scotland")]


@hookimpl
def hsbtrack_statement_evidence(area, audit, codes):
    return evidence(area, codes)


@hookimpl
def hsbtrack_yearly_report_kinds():
    return yearly.kinds()  # the three-question self-evaluation


@hookimpl
def hsbtrack_yearly_report_data(area, period_start, period_end, user):
    return yearly.carm_block(area, period_start, period_end)


@hookimpl
def hsbtrack_demo_data(area):
    create_demo(area)


@hookimpl
def hsbtrack_area_archive_types():
    return archive.archive_types()  # the area's CARM records travel with its archive


@hookimpl
def hsbtrack_personal_data(user):
    return privacy.personal_data(user)  # what staff did in CARM records, by case reference


@hookimpl
def hsbtrack_erase_person(user, replacement):
    return privacy.erase_person(user, replacement)


@hookimpl
def hsbtrack_retention_rules():
    return privacy.retention_rules()  # closed cases, 6 years after closing by default
