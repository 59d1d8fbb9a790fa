"""Areas, regions and the admin pages, registered through the core's own hooks."""

from flask import url_for
from flask_babel import lazy_gettext as _l

from hsbtrack.areas import admin_views, region_views, views
from hsbtrack.areas.demo import demo_command
from hsbtrack.areas.roles import core_permissions, core_roles
from hsbtrack.plugins import hookimpl
from hsbtrack.plugins.types import NavItem


@hookimpl
def hsbtrack_load_blueprints(app, api):
    app.register_blueprint(views.bp)
    app.register_blueprint(admin_views.bp)
    app.register_blueprint(region_views.bp)


@hookimpl
def hsbtrack_roles():
    return core_permissions() + core_roles()


@hookimpl
def hsbtrack_nav_items(area, user):
    # Each is shown only to those its page lets in (hsbtrack.views_support.area_nav_items).
    return [NavItem(_l("Overview"), url_for("dashboard.area", area_id=area.id), order=0),
            NavItem(_l("Agencies"), url_for("areas.agencies", area_id=area.id), order=80),
            NavItem(_l("Members"), url_for("areas.members", area_id=area.id), order=85),
            NavItem(_l("Plugins"), url_for("plugins.area_plugins", area_id=area.id), order=90)]


@hookimpl
def hsbtrack_cli(cli):
    cli.add_command(demo_command)
