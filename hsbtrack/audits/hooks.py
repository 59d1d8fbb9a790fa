"""The audit cycle, registered through the core's own hooks."""

from flask import url_for
from flask_babel import lazy_gettext as _l

from hsbtrack.areas.roles import Perm
from hsbtrack.audits import api as audits_api
from hsbtrack.audits import exports, moderation, overview, views
from hsbtrack.audits.demo import load_demo_audits
from hsbtrack.permissions import can
from hsbtrack.plugins import hookimpl
from hsbtrack.plugins.types import NavItem


@hookimpl
def hsbtrack_load_blueprints(app, api):
    app.register_blueprint(views.bp)
    app.register_blueprint(moderation.bp)
    app.register_blueprint(overview.bp)
    app.register_blueprint(exports.bp)
    api.register_blueprint(audits_api.bp)


@hookimpl
def hsbtrack_nav_items(area, user):
    if not can(user, Perm.READ_AUDIT, area.id):
        return []  # no menu item to a page that would answer 404
    return [NavItem(_l("Audits"), url_for("audits.index", area_id=area.id), order=10,
                    active_prefix=f"/areas/{area.id}/audits")]


@hookimpl(wrapper=True)
def hsbtrack_demo_data(area):
    # A wrapper, so that the audits exist before any other demo runs (the actions demo turns their
    # findings into actions; plugins' demos evidence them): pluggy calls plain implementations last
    # registered first, which would put the core's own after every plugin's.

    load_demo_audits(area)
    return (yield)
