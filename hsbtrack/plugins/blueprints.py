"""Blueprints for plugin pages, guarded so they answer 404 where the plugin is off.

A plugin's pages live under ``/areas/<area_id>/<plugin>/`` (and regional pages under
``/regions/<region_id>/<plugin>/``). The guard also applies the area permission rule: users
without a role in the area get 404, like everywhere else.
"""

from flask import Blueprint, abort, g
from flask_login import current_user

from hsbtrack.permissions import get_area_or_404, get_region_or_404


def area_plugin_blueprint(plugin_name: str, import_name: str, **kwargs) -> Blueprint:
    kwargs.setdefault("template_folder", "templates")
    bp = Blueprint(plugin_name, import_name, url_prefix=f"/areas/<int:area_id>/{plugin_name}", **kwargs)

    @bp.url_value_preprocessor
    def pull_area(endpoint, values):
        from hsbtrack.plugins.services import is_enabled
        from hsbtrack.views_support import set_current_area

        if not current_user.is_authenticated:
            return  # before_request below sends the user to sign in
        area = set_current_area(get_area_or_404(current_user, values.pop("area_id")))
        if not is_enabled(area, plugin_name):
            abort(404)

    @bp.url_defaults
    def add_area(endpoint, values):
        if "area_id" not in values and getattr(g, "area", None) is not None:
            values["area_id"] = g.area.id

    @bp.before_request
    def require_login():
        if not current_user.is_authenticated:
            from hsbtrack.extensions import login_manager

            return login_manager.unauthorized()
        return None

    return bp


def region_plugin_blueprint(plugin_name: str, import_name: str, **kwargs) -> Blueprint:
    kwargs.setdefault("template_folder", "templates")
    bp = Blueprint(f"{plugin_name}_region", import_name, url_prefix=f"/regions/<int:region_id>/{plugin_name}", **kwargs)

    @bp.url_value_preprocessor
    def pull_region(endpoint, values):
        from hsbtrack.plugins.services import region_enabled

        if not current_user.is_authenticated:
            return
        region = get_region_or_404(current_user, values.pop("region_id"))
        if not region_enabled(region, plugin_name):
            abort(404)
        g.region = region

    @bp.url_defaults
    def add_region(endpoint, values):
        if "region_id" not in values and getattr(g, "region", None) is not None:
            values["region_id"] = g.region.id

    @bp.before_request
    def require_login():
        if not current_user.is_authenticated:
            from hsbtrack.extensions import login_manager

            return login_manager.unauthorized()
        return None

    return bp
