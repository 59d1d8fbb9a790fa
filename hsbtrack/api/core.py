"""Core API resources: frameworks, regions, areas, agencies, members, plugins."""

from flask import abort, current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from hsbtrack.api.auth import api_blueprint, current_api_user
from hsbtrack.api.schemas import (
    AgencySchema,
    AreaSchema,
    FrameworkSchema,
    FrameworkSummarySchema,
    MemberInSchema,
    MemberSchema,
    PluginSchema,
    PluginStateInSchema,
    PluginStateSchema,
    RegionSchema,
    RoleSchema,
)
from hsbtrack.areas import services as area_services
from hsbtrack.areas.models import Agency, Area, Membership
from hsbtrack.areas.roles import Perm
from hsbtrack.auth.services import invite
from hsbtrack.errors import ConflictError
from hsbtrack.extensions import db
from hsbtrack.permissions import (
    effective_permissions,
    is_admin,
    loaded,
    permissions_registry,
    requires,
    roles_registry,
)
from hsbtrack.plugins import services as plugin_services

bp = api_blueprint("api_core", __name__, "Frameworks, regions, areas, agencies, members and plugins")


def _require_admin():
    if not is_admin(current_api_user()):
        abort(403, description="Only administrators can do this")


def _member_out(membership, user, created):
    return {
        "id": getattr(membership, "id", None),
        "user_id": user.id,
        "email": user.email,
        "role": membership.role if membership else "admin",
        "area_id": getattr(membership, "area_id", None),
        "region_id": getattr(membership, "region_id", None),
        "agency_id": getattr(membership, "agency_id", None),
        "created_user": created,
    }


def _invite_if_new(user, created):
    """New people get the same invitation email as from the members page."""
    invite(user, created, inviter=current_api_user())


@bp.get("/frameworks")
@requires(Perm.SIGNED_IN)
@bp.response(200, FrameworkSummarySchema(many=True))
def list_frameworks():
    """Frameworks in the catalogue."""
    return [fw.to_dict() for fw in current_app.extensions["hsbtrack_catalogue"].all()]


@bp.get("/frameworks/<slug>")
@requires(Perm.SIGNED_IN)
@bp.response(200, FrameworkSchema)
@bp.alt_response(404, response="NOT_FOUND")
def get_framework(slug):
    """A framework: its domains, statements (code, text, scored, parent) and scale."""
    try:
        framework = current_app.extensions["hsbtrack_catalogue"].get(slug)
    except KeyError:
        abort(404, description=f"No framework called {slug!r}")
    return framework.to_dict()


@bp.get("/areas")
@requires(Perm.SIGNED_IN)
@bp.response(200, AreaSchema(many=True))
def list_areas():
    """Areas the caller has a role in (every area for administrators)."""
    areas = area_services.areas_for_user(current_api_user())
    agencies = {}
    if areas:
        for agency in db.session.scalars(select(Agency).where(Agency.area_id.in_([a.id for a in areas]))):
            agencies.setdefault(agency.area_id, []).append(agency)
    return [_area_out(a, agencies.get(a.id, [])) for a in areas]


def _area_out(area, agencies) -> dict:
    return {"id": area.id, "name": area.name, "name_cy": area.name_cy, "region_id": area.region_id,
            "agencies": agencies}


def _region_out(region, area_ids) -> dict:
    return {"id": region.id, "name": region.name, "name_cy": region.name_cy, "area_ids": area_ids}


@bp.post("/areas")
@requires(Perm.ADMIN)
@bp.arguments(AreaSchema)
@bp.response(201, AreaSchema)
@bp.alt_response(409, response="CONFLICT")
def create_area(data):
    """Create an area (administrators)."""
    area = area_services.create_area(data["name"], data.get("region_id"), data.get("name_cy"))
    return _area_out(area, [])


@bp.get("/areas/<int:area_id>")
@requires(Perm.VIEW_AREA)
@bp.response(200, AreaSchema)
def get_area(area_id):
    area = loaded("area_id")
    return _area_out(area, list(area.agencies))


@bp.get("/areas/<int:area_id>/agencies")
@requires(Perm.VIEW_AREA)
@bp.response(200, AgencySchema(many=True))
def list_agencies(area_id):
    area = loaded("area_id")
    return list(area.agencies)


@bp.post("/areas/<int:area_id>/agencies")
@requires(Perm.MANAGE_AREA)
@bp.arguments(AgencySchema)
@bp.response(201, AgencySchema)
@bp.alt_response(409, response="CONFLICT")
def create_agency(data, area_id):
    """Add a partner agency to an area (administrators and the area's board managers)."""
    area = loaded("area_id")
    return area_services.create_agency(area, data["name"], data.get("name_cy"))


@bp.get("/areas/<int:area_id>/members")
@requires(Perm.READ_MEMBERS)
@bp.response(200, MemberSchema(many=True))
def list_members(area_id):
    area = loaded("area_id")
    rows = db.session.scalars(
        select(Membership).where(Membership.area_id == area.id).options(db.joinedload(Membership.user))
    ).all()
    return [_member_out(m, m.user, False) for m in rows]


@bp.post("/areas/<int:area_id>/members")
@requires(Perm.MANAGE_MEMBERS)
@bp.arguments(MemberInSchema)
@bp.response(201, MemberSchema)
@bp.alt_response(409, response="CONFLICT")
def add_member(data, area_id):
    """Give a user (created if new) a role in the area. Role ``admin`` is install-wide."""
    area = loaded("area_id")
    if data["role"] == "admin":
        _require_admin()
    membership, user, created = area_services.add_area_member(
        area, data["email"], data["role"], data.get("agency_id"), data.get("name", "")
    )
    _invite_if_new(user, created)
    return _member_out(membership, user, created)


@bp.get("/regions")
@requires(Perm.SIGNED_IN)
@bp.response(200, RegionSchema(many=True))
def list_regions():
    regions = area_services.regions_for_user(current_api_user())
    area_ids = {}
    if regions:
        for area_id, region_id in db.session.execute(
            select(Area.id, Area.region_id).where(Area.region_id.in_([r.id for r in regions]))
        ):
            area_ids.setdefault(region_id, []).append(area_id)
    return [_region_out(r, sorted(area_ids.get(r.id, []))) for r in regions]


@bp.post("/regions")
@requires(Perm.ADMIN)
@bp.arguments(RegionSchema)
@bp.response(201, RegionSchema)
@bp.alt_response(409, response="CONFLICT")
def create_region(data):
    """Create a region (administrators)."""
    region = area_services.create_region(data["name"], data.get("name_cy"))
    return _region_out(region, [])


@bp.post("/regions/<int:region_id>/members")
@requires(Perm.MANAGE_REGION)
@bp.arguments(MemberInSchema)
@bp.response(201, MemberSchema)
@bp.alt_response(409, response="CONFLICT")
def add_region_member(data, region_id):
    region = loaded("region_id")
    membership, user, created = area_services.add_region_member(region, data["email"], data["role"],
                                                                 data.get("name", ""))
    _invite_if_new(user, created)
    return _member_out(membership, user, created)


@bp.get("/roles")
@requires(Perm.SIGNED_IN)
@bp.response(200, RoleSchema(many=True))
def list_roles():
    """Every role (core and plugins) with the permissions it holds: the access model in force.

    ``scope`` says where a role is given (an area, or a region whose member areas it covers);
    ``admin`` is install-wide and holds every permission."""

    permissions = permissions_registry()
    roles = sorted(roles_registry().values(), key=lambda r: (r.order, r.id))
    out = [{"id": "admin", "title": str(_l("Administrator")), "scope": "install", "permissions": sorted(permissions)}]
    for role in roles:
        out.append({"id": role.id, "title": str(role.label), "scope": role.scope,
                    "permissions": sorted(effective_permissions(role))})
    return out


@bp.get("/plugins")
@requires(Perm.SIGNED_IN)
@bp.response(200, PluginSchema(many=True))
def list_plugins():
    """Installed plugins."""
    return plugin_services.registry().plugins()


def _plugin_or_404(name):
    if not plugin_services.registry().is_plugin(name):
        abort(404, description=f"No plugin called {name!r} is installed")


@bp.get("/areas/<int:area_id>/plugins")
@requires(Perm.VIEW_AREA)
@bp.response(200, PluginStateSchema(many=True))
def area_plugins(area_id):
    area = loaded("area_id")
    return [{"name": n, **s} for n, s in plugin_services.effective_states(area).items()]


@bp.put("/areas/<int:area_id>/plugins/<name>")
@requires(Perm.MANAGE_PLUGINS)
@bp.arguments(PluginStateInSchema)
@bp.response(200, PluginStateSchema)
@bp.alt_response(409, response="CONFLICT")
def set_area_plugin(data, area_id, name):
    """Switch a plugin on or off in one area."""
    area = loaded("area_id")
    _plugin_or_404(name)

    if plugin_services.effective_states(area)[name]["source"] == "region":
        raise ConflictError("This plugin is set by the area's region; change it for the region")
    plugin_services.set_area_plugin(area, name, data["enabled"], data.get("settings"), user=current_api_user())
    return {"name": name, **plugin_services.effective_states(area)[name]}


@bp.put("/regions/<int:region_id>/plugins/<name>")
@requires(Perm.MANAGE_PLUGINS)
@bp.arguments(PluginStateInSchema)
@bp.response(200, PluginStateSchema)
def set_region_plugin(data, region_id, name):
    """Switch a plugin on or off for every member area of a region at once."""
    region = loaded("region_id")
    _plugin_or_404(name)
    row = plugin_services.set_region_plugin(region, name, data["enabled"], data.get("settings"),
                                            user=current_api_user())
    return {"name": name, "enabled": row.enabled, "source": "region", "settings": row.settings}


