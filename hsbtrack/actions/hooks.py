"""Action plans, registered through the core's own hooks."""

from flask import url_for
from flask_babel import lazy_gettext as _l

from hsbtrack.actions import api as actions_api
from hsbtrack.actions import views
from hsbtrack.actions.demo import load_demo_actions
from hsbtrack.areas.roles import Perm
from hsbtrack.permissions import can
from hsbtrack.plugins import hookimpl
from hsbtrack.plugins.types import NavItem


@hookimpl
def hsbtrack_load_blueprints(app, api):
    app.register_blueprint(views.bp)
    api.register_blueprint(actions_api.bp)


@hookimpl
def hsbtrack_nav_items(area, user):
    if not can(user, Perm.READ_ACTIONS, area.id):
        return []  # no menu item to a page that would answer 404
    return [NavItem(_l("Action plan"), url_for("actions.plan", area_id=area.id), order=20,
                    active_prefix=f"/areas/{area.id}/actions")]


@hookimpl(tryfirst=True)
def hsbtrack_demo_data(area):
    # First after the audits demo (a wrapper around every demo), before the plugins' demos.

    load_demo_actions(area)
