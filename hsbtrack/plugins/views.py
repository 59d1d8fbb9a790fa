"""Pages to switch plugins on and off for an area or for a whole region, and edit their settings."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from hsbtrack.areas.roles import Perm
from hsbtrack.extensions import db
from hsbtrack.permissions import loaded, requires
from hsbtrack.plugins import services
from hsbtrack.plugins.models import PluginState
from hsbtrack.views_support import set_current_area

bp = Blueprint("plugins", __name__)


def _enabled_from_form() -> bool:
    value = request.form.get("enabled")
    if value not in {"on", "off"}:
        abort(400)
    return value == "on"


def _installed_or_404(name):
    if not services.registry().is_plugin(name):
        abort(404)


@bp.route("/areas/<int:area_id>/plugins")
@requires(Perm.MANAGE_PLUGINS)
def area_plugins(area_id):
    area = set_current_area(loaded("area_id"))
    states = services.effective_states(area)
    # a Settings link only for plugins that have a settings form (the page would answer 404 otherwise)
    with_settings = set(services.registry().collect_by_plugin("hsbtrack_settings_form", area=area))
    return render_template("plugins/area_plugins.html", area=area, plugins=services.registry().plugins(),
                           states=states, with_settings=with_settings)


@bp.route("/areas/<int:area_id>/plugins/<name>", methods=["POST"])
@requires(Perm.MANAGE_PLUGINS)
def toggle_area_plugin(area_id, name):
    area = loaded("area_id")
    _installed_or_404(name)
    if services.effective_states(area)[name]["source"] == "region":
        flash(_("This plugin is set by the region for all its areas"), "info")
        return redirect(url_for("plugins.area_plugins", area_id=area.id))
    enabled = _enabled_from_form()
    services.set_area_plugin(area, name, enabled, user=current_user)
    info = services.registry().infos[name]
    flash((_("%(title)s is now on") if enabled else _("%(title)s is now off")) % {"title": info.title}, "success")
    return redirect(url_for("plugins.area_plugins", area_id=area.id))


@bp.route("/areas/<int:area_id>/plugins/<name>/settings", methods=["GET", "POST"])
@requires(Perm.MANAGE_PLUGINS)
def area_plugin_settings(area_id, name):
    area = set_current_area(loaded("area_id"))
    _installed_or_404(name)
    if not services.is_enabled(area, name):
        abort(404)
    form_classes = services.registry().collect_by_plugin("hsbtrack_settings_form", {name}, area=area)
    form_class = form_classes.get(name)
    if form_class is None:
        abort(404)
    current = services.plugin_settings(area, name)
    form = form_class(data=current) if request.method == "GET" else form_class()
    if form.validate_on_submit():
        data = {k: v for k, v in form.data.items() if k not in {"csrf_token", "submit"}}
        services.set_area_plugin(area, name, settings=data, user=current_user)
        flash(_("The settings have been saved"), "success")
        return redirect(url_for("plugins.area_plugins", area_id=area.id))
    return render_template("plugins/settings.html", area=area, form=form, info=services.registry().infos[name])


@bp.route("/regions/<int:region_id>/plugins", methods=["GET", "POST"])
@requires(Perm.MANAGE_PLUGINS)
def region_plugins(region_id):
    region = loaded("region_id")
    if request.method == "POST":
        name = request.form.get("plugin", "")
        _installed_or_404(name)
        enabled = _enabled_from_form()
        services.set_region_plugin(region, name, enabled, user=current_user)
        title = services.registry().infos[name].title
        if enabled:
            flash(_("%(title)s is now on in every area of %(region)s", title=title, region=region.display_name), "success")
        else:
            flash(_("%(title)s is now off in every area of %(region)s", title=title, region=region.display_name), "success")
        return redirect(url_for("plugins.region_plugins", region_id=region.id))

    rows = {r.plugin: r for r in db.session.scalars(db.select(PluginState).where(PluginState.region_id == region.id))}
    return render_template("plugins/region_plugins.html", region=region, plugins=services.registry().plugins(),
                           rows=rows)
