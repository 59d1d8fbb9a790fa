"""The area dashboard and its status chart."""

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from hsbtrack.areas.roles import Perm
from hsbtrack.areas.services import areas_for_user, regions_for_user
from hsbtrack.dashboard import inspection_pack
from hsbtrack.dashboard.services import actions_chart_response, areas_page, dashboard_data
from hsbtrack.organisations.services import organisations_for
from hsbtrack.permissions import can, loaded, requires
from hsbtrack.plugins.services import collect
from hsbtrack.views_support import area_nav_items, set_current_area

bp = Blueprint("dashboard", __name__)


@bp.route("/")
@requires(Perm.SIGNED_IN)
def home():
    """Your areas, each with its status (audit in progress, returns, overdue actions, next re-audit),
    a page at a time; your regions."""
    areas = areas_for_user(current_user)
    if len(areas) == 1 and not current_user.is_admin:
        return redirect(url_for("dashboard.area", area_id=areas[0].id))
    listing = areas_page(areas, current_user, page=request.args.get("page", 1, type=int))
    return render_template("areas/home.html", listing=listing, regions=regions_for_user(current_user),
                           organisations=[] if current_user.is_admin else organisations_for(current_user))


@bp.route("/areas/<int:area_id>/")
@requires(Perm.VIEW_AREA)
def area(area_id):
    """The area's home: latest radar against the previous cycle, actions by status, what is due."""
    area = set_current_area(loaded("area_id"))
    read_audit = can(current_user, Perm.READ_AUDIT, area.id)
    read_actions = can(current_user, Perm.READ_ACTIONS, area.id)
    widgets = collect("hsbtrack_dashboard_widgets", area, user=current_user)
    if not (read_audit or read_actions or widgets):
        # Someone whose roles here are a plugin's only (a school lead): their first page is the plugin's.
        landing = _landing_page(area)
        if landing is not None:
            return redirect(landing)
    data = dashboard_data(area, current_user) if (read_audit or read_actions) else {}
    return render_template("areas/dashboard.html", area=area, widgets=widgets, read_audit=read_audit,
                           read_actions=read_actions, may_pack=inspection_pack.may_make(current_user, area.id),
                           **data)


@bp.route("/areas/<int:area_id>/actions-by-status.svg")
@requires(Perm.READ_ACTIONS)
def actions_chart(area_id):
    return actions_chart_response(loaded("area_id"), current_user)


def _landing_page(area) -> str | None:
    """The first page of the area's menu beyond its overview and agencies (a plugin's page), for
    people whose roles there are a plugin's only; None when there is none."""
    skip = {url_for("dashboard.area", area_id=area.id), url_for("areas.agencies", area_id=area.id)}
    return next((item.url for item in area_nav_items(area) if item.url not in skip), None)
