"""The one permission service every view and API call goes through.

Rule: objects of an area where the user holds no role answer 404 (they do not exist for that
user); a role without the needed permission answers 403.
"""

from dataclasses import dataclass, field

from flask import abort, current_app, g
from sqlalchemy import select

from hsbtrack.areas.models import Area, Membership, Region
from hsbtrack.extensions import db


@dataclass
class Grants:
    """What one user may do, loaded once per request in two queries."""

    is_admin: bool = False
    area_roles: dict[int, set[str]] = field(default_factory=dict)
    region_roles: dict[int, set[str]] = field(default_factory=dict)
    agency_ids: dict[int, set[int]] = field(default_factory=dict)  # area -> agencies the user leads
    region_area_ids: dict[int, set[int]] = field(default_factory=dict)


def roles_registry() -> dict:
    return current_app.extensions["hsbtrack_roles"]


def _load_grants(user) -> Grants:
    grants = Grants(is_admin=bool(getattr(user, "is_admin", False)))
    rows = db.session.execute(
        select(Membership.area_id, Membership.region_id, Membership.role, Membership.agency_id).where(
            Membership.user_id == user.id
        )
    ).all()
    for area_id, region_id, role, agency_id in rows:
        if area_id is not None:
            grants.area_roles.setdefault(area_id, set()).add(role)
            if agency_id is not None:
                grants.agency_ids.setdefault(area_id, set()).add(agency_id)
        else:
            grants.region_roles.setdefault(region_id, set()).add(role)
    if grants.region_roles:
        member_rows = db.session.execute(
            select(Area.id, Area.region_id).where(Area.region_id.in_(grants.region_roles))
        ).all()
        for area_id, region_id in member_rows:
            grants.region_area_ids.setdefault(region_id, set()).add(area_id)
    return grants


def grants_for(user) -> Grants:
    if user is None or not getattr(user, "is_authenticated", False):
        return Grants()
    cache = g.setdefault("_grants", {})
    if user.id not in cache:
        cache[user.id] = _load_grants(user)
    return cache[user.id]


def forget_grants() -> None:
    g.pop("_grants", None)


def area_roles(user, area_id: int, region_id: int | None = None) -> set[str]:
    """Roles the user holds in an area, including regional roles over it."""
    grants = grants_for(user)
    roles = set(grants.area_roles.get(area_id, set()))
    for rid, area_ids in grants.region_area_ids.items():
        if area_id in area_ids:
            roles |= grants.region_roles.get(rid, set())
    return roles


def permissions_in_area(user, area_id: int) -> set[str]:
    registry = roles_registry()
    perms = set()
    for role in area_roles(user, area_id):
        definition = registry.get(role)
        if definition is not None:
            perms |= definition.permissions
    return perms


def can_see_area(user, area_id: int) -> bool:
    return grants_for(user).is_admin or bool(area_roles(user, area_id))


def can(user, permission: str, area_id: int) -> bool:
    if grants_for(user).is_admin:
        return True
    return permission in permissions_in_area(user, area_id)


def can_score_for(user, area_id: int, agency_id: int) -> bool:
    """Agency leads score only for their own agency; board managers and admins for any."""
    from hsbtrack.areas.roles import Perm

    if can(user, Perm.SCORE_ANY_AGENCY, area_id):
        return True
    return can(user, Perm.SCORE, area_id) and agency_id in grants_for(user).agency_ids.get(area_id, set())


def visible_area_ids(user) -> set[int] | None:
    """Ids of the areas the user may see; None means every area (admins)."""
    grants = grants_for(user)
    if grants.is_admin:
        return None
    ids = set(grants.area_roles)
    for area_ids in grants.region_area_ids.values():
        ids |= area_ids
    return ids


def can_see_region(user, region_id: int) -> bool:
    grants = grants_for(user)
    return grants.is_admin or region_id in grants.region_roles


def can_in_region(user, permission: str, region_id: int) -> bool:
    grants = grants_for(user)
    if grants.is_admin:
        return True
    registry = roles_registry()
    return any(permission in registry[r].permissions for r in grants.region_roles.get(region_id, ()) if r in registry)


def get_area_or_404(user, area_id: int, permission: str | None = None) -> Area:
    """Load an area the user may see, else 404; check ``permission`` there, else 403."""
    if not can_see_area(user, area_id):
        abort(404)
    area = db.session.get(Area, area_id)
    if area is None:
        abort(404)
    if permission is not None and not can(user, permission, area_id):
        abort(403)
    return area


def get_region_or_404(user, region_id: int, permission: str | None = None) -> Region:
    if not can_see_region(user, region_id):
        abort(404)
    region = db.session.get(Region, region_id)
    if region is None:
        abort(404)
    if permission is not None and not can_in_region(user, permission, region_id):
        abort(403)
    return region


def require_admin(user) -> None:
    if not grants_for(user).is_admin:
        abort(404)
