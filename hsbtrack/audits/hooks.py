"""The audit cycle, registered through the core's own hooks."""

from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from hsbtrack.audits import api as audits_api
from hsbtrack.audits import (
    exports,
    moderation,
    offline_api,
    offline_views,
    overview,
    report_files,
    returns,
    views,
)
from hsbtrack.audits.demo import load_demo_audits
from hsbtrack.plugins import hookimpl
from hsbtrack.plugins.types import NavItem
from hsbtrack.timeutil import local_today


@hookimpl
def hsbtrack_load_blueprints(app, api):
    app.register_blueprint(views.bp)
    app.register_blueprint(moderation.bp)
    app.register_blueprint(overview.bp)
    app.register_blueprint(exports.bp)
    app.register_blueprint(report_files.bp)  # the board report as PDF and Word (a job kind too)
    api.register_blueprint(audits_api.bp)
    app.register_blueprint(offline_views.bp)  # the offline return workbook and the imported baseline
    api.register_blueprint(offline_api.bp)
    # the task panel (templates/audits/_tasks.html) on the area dashboard and on the home page, which
    # sits below the audits and so cannot ask them itself
    app.jinja_env.globals["return_tasks"] = _return_tasks
    app.jinja_env.globals.setdefault("local_today", local_today)


def _return_tasks(area_id=None):
    return returns.tasks_for(current_user, area_id)


@hookimpl
def hsbtrack_nav_items(area, user):
    # (shown only to those the page lets in: hsbtrack.views_support.area_nav_items)
    return [NavItem(_l("Audits"), url_for("audits.index", area_id=area.id), order=10,
                    active_prefix=f"/areas/{area.id}/audits")]


@hookimpl(wrapper=True)
def hsbtrack_demo_data(area):
    # A wrapper, so that the audits exist before any other demo runs (the actions demo turns their
    # findings into actions; plugins' demos evidence them): pluggy calls plain implementations last
    # registered first, which would put the core's own after every plugin's.

    load_demo_audits(area)
    return (yield)
