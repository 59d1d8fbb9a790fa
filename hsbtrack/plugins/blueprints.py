"""Blueprints for plugin pages, guarded so they answer 404 where the plugin is off.

A plugin's pages live under ``/areas/<area_id>/<plugin>/`` (and regional pages under
``/regions/<region_id>/<plugin>/``). The guard pulls the area (or region) out of the URL and
answers 404 where it does not exist or the plugin is off; who may see what is decided by each
view's ``requires`` (hsbtrack.permissions), which takes the area from ``g.area``. A plugin view
that names no permission is refused as a programming error rather than served to any role.
"""

from flask import Blueprint, abort, current_app, g, request
from flask_login import current_user

from hsbtrack.api.auth import api_blueprint
from hsbtrack.areas.models import Area, Region
from hsbtrack.extensions import db, login_manager
from hsbtrack.plugins.services import is_enabled, region_enabled


def _names_its_permission():
    view = current_app.view_functions.get(request.endpoint)
    if view is not None and getattr(view, "required_permissions", None) is None:
        raise LookupError(f"{request.endpoint} names no permission: decorate it with hsbtrack.permissions.requires")


def area_plugin_blueprint(plugin_name: str, import_name: str, **kwargs) -> Blueprint:
    kwargs.setdefault("template_folder", "templates")
    bp = Blueprint(plugin_name, import_name, url_prefix=f"/areas/<int:area_id>/{plugin_name}", **kwargs)

    @bp.url_value_preprocessor
    def pull_area(endpoint, values):
        if not current_user.is_authenticated:
            return  # before_request below sends the user to sign in
        area = db.session.get(Area, values.pop("area_id"))
        if area is None or not is_enabled(area, plugin_name):
            abort(404)
        g.pulled_area = area  # the page's area once ``requires`` has let the user in (not before:
        # a refused page must not show the area's name)

    @bp.url_defaults
    def add_area(endpoint, values):
        area = getattr(g, "area", None) or getattr(g, "pulled_area", None)
        if "area_id" not in values and area is not None:
            values["area_id"] = area.id

    @bp.before_request
    def require_login():
        if not current_user.is_authenticated:

            return login_manager.unauthorized()
        _names_its_permission()
        return None

    return bp


def region_plugin_blueprint(plugin_name: str, import_name: str, **kwargs) -> Blueprint:
    kwargs.setdefault("template_folder", "templates")
    bp = Blueprint(f"{plugin_name}_region", import_name, url_prefix=f"/regions/<int:region_id>/{plugin_name}", **kwargs)

    @bp.url_value_preprocessor
    def pull_region(endpoint, values):
        if not current_user.is_authenticated:
            return
        region = db.session.get(Region, values.pop("region_id"))
        if region is None or not region_enabled(region, plugin_name):
            abort(404)
        g.pulled_region = region

    @bp.url_defaults
    def add_region(endpoint, values):
        region = getattr(g, "region", None) or getattr(g, "pulled_region", None)
        if "region_id" not in values and region is not None:
            values["region_id"] = region.id

    @bp.before_request
    def require_login():
        if not current_user.is_authenticated:

            return login_manager.unauthorized()
        _names_its_permission()
        return None

    return bp


def area_plugin_api_blueprint(plugin_name: str, import_name: str, description: str = ""):
    """The JSON API of a plugin's records in an area, under ``/api/v1/areas/<area_id>/<plugin>/…``.

    The same authentication as the core's API (a bearer token, or the session with X-CSRFToken)
    and the same permission check (each operation names its permission with ``requires``); 404
    where the area does not exist or the plugin is off there. Operations are listed in the
    OpenAPI document: register the blueprint with ``api.register_blueprint`` in
    ``hsbtrack_load_blueprints``."""

    bp = api_blueprint(f"api_{plugin_name}", import_name, description)

    @bp.before_request
    def plugin_is_on():  # (after the blueprint's authentication, registered first)
        area_id = (request.view_args or {}).get("area_id")
        area = db.session.get(Area, area_id) if area_id is not None else None
        if area is None or not is_enabled(area, plugin_name):
            abort(404)
        _names_its_permission()

    return bp
