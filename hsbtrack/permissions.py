"""The one permission check every page and API call goes through.

Each view names the permission it needs with :func:`requires` (per HTTP method where a page both
shows and changes). Before the view runs (and before an API body is parsed), :func:`authorize_request`

1. finds the records the URL names with the *record loaders* (``area_id``, ``audit_id``,
   ``action_id``, a plugin's ``case_id``...; registered with :func:`record_loader`). A loader
   returns the record with the area, region and agency it belongs to, or None (404). A record
   may carry its own wall (a CARM plan action: only readers of its case) as ``Target.visible``, and
   a record whose kind decides what the route's permission means for it says so
   (``Target.permission_for``: a partnership's document is read with ``audit.read`` where an
   agency's needs ``audit.responses.read_own``);
2. applies one rule: the caller needs the permission in the records' area (or region, or
   install); without the permission's *read* permission the records do not exist for them (404);
   with it but without the write, 403.

Pages, the API with a bearer token and the API with the browser session all pass here. Holding
some role in an area is never enough by itself: a permission that no role grants, or a view
that names none, is a programming error (the route walk in tests/integration/test_access_matrix.py fails).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import abort, current_app, g, request
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from hsbtrack.areas.models import Agency, Area, Membership, Region
from hsbtrack.areas.roles import AREA, INSTALL, Perm
from hsbtrack.extensions import db, login_manager


@dataclass
class Grants:
    """What one user holds, loaded once per request in two queries."""

    is_admin: bool = False
    # area -> [(role, agency id or None)]
    area_memberships: dict[int, list[tuple[str, int | None]]] = field(default_factory=dict)
    region_roles: dict[int, set[str]] = field(default_factory=dict)
    region_area_ids: dict[int, set[int]] = field(default_factory=dict)

    @property
    def area_roles(self) -> dict[int, set[str]]:
        return {area_id: {role for role, _a in rows} for area_id, rows in self.area_memberships.items()}


def roles_registry() -> dict:
    return current_app.extensions["hsbtrack_roles"]


def permissions_registry() -> dict:
    return current_app.extensions["hsbtrack_permissions"]


def _load_grants(user) -> Grants:
    grants = Grants(is_admin=bool(getattr(user, "is_admin", False)))
    rows = db.session.execute(
        select(Membership.area_id, Membership.region_id, Membership.role, Membership.agency_id).where(
            Membership.user_id == user.id
        )
    ).all()
    for area_id, region_id, role, agency_id in rows:
        if area_id is not None:
            grants.area_memberships.setdefault(area_id, []).append((role, agency_id))
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


def is_admin(user) -> bool:
    return grants_for(user).is_admin


def area_roles(user, area_id: int) -> set[str]:
    """Roles the user holds in an area, including regional roles over it."""
    grants = grants_for(user)
    roles = {role for role, _agency in grants.area_memberships.get(area_id, ())}
    for rid, area_ids in grants.region_area_ids.items():
        if area_id in area_ids:
            roles |= grants.region_roles.get(rid, set())
    return roles


def _permission(permission: str):
    definition = permissions_registry().get(permission)
    if definition is None:  # a typo must not quietly mean "nobody" or "anybody"
        raise LookupError(f"Unknown permission {permission!r}: declare it through the hsbtrack_roles hook")
    return definition


def with_implied(held: set[str]) -> set[str]:
    """``held`` and every permission implied by one of them (``Permission.implied_by``)."""
    return held | {p.id for p in permissions_registry().values() if p.implied_by & held}


def effective_permissions(role) -> set[str]:
    """What a role holds: its own permissions and those they imply (the role table shows these)."""
    return with_implied(set(role.permissions))


def permissions_in_area(user, area_id: int, agency_id: int | None = None) -> set[str]:
    """Permissions the user holds in an area. Per-agency permissions (an agency lead's scoring)
    count only from a membership for ``agency_id`` (any agency's membership when it is None)."""
    registry = roles_registry()
    grants = grants_for(user)
    perms: set[str] = set()
    memberships = list(grants.area_memberships.get(area_id, ()))
    for rid, area_ids in grants.region_area_ids.items():
        if area_id in area_ids:
            memberships += [(role, None) for role in grants.region_roles.get(rid, ())]
    per_agency = {p.id for p in permissions_registry().values() if p.per_agency}
    for role, membership_agency in memberships:
        definition = registry.get(role)
        if definition is None:
            continue
        for perm in definition.permissions:
            if perm in per_agency and agency_id is not None and membership_agency != agency_id:
                continue
            if perm in per_agency and membership_agency is None:
                continue  # an agency lead's rights need the agency of the membership
            perms.add(perm)
    return with_implied(perms)


def can(user, permission: str, area_id: int, agency_id: int | None = None) -> bool:
    """Does the user hold ``permission`` in the area (for ``agency_id``, if the permission is per agency)?"""
    definition = _permission(permission)
    if grants_for(user).is_admin:
        return True
    held = permissions_in_area(user, area_id, agency_id)
    return permission in held or (definition.any_agency is not None and definition.any_agency in held)


def can_in_region(user, permission: str, region_id: int) -> bool:
    _permission(permission)
    grants = grants_for(user)
    if grants.is_admin:
        return True
    registry = roles_registry()
    return any(permission in effective_permissions(registry[r]) for r in grants.region_roles.get(region_id, ())
               if r in registry)


def can_score_for(user, area_id: int, agency_id: int) -> bool:
    """Board managers and admins score for any agency; an agency lead only through an agency-lead
    membership of that very agency (a viewer membership tagged with another agency gives nothing)."""
    return can(user, Perm.SCORE, area_id, agency_id)


def agencies_user_scores_for(user, area_id: int) -> set[int]:
    """Agencies whose responses the user may enter through an agency-lead membership."""
    registry = roles_registry()
    return {agency for role, agency in grants_for(user).area_memberships.get(area_id, ())
            if agency is not None and role in registry and Perm.SCORE in registry[role].permissions}


def can_read_responses_of(user, area, agency_id: int, all_submitted: bool = False) -> bool:
    """Every agency's responses for those who read them all; an agency lead its own agency's; and,
    when the area shares evidence once every agency has submitted, every agency's for those leads."""
    if can(user, Perm.READ_OWN_RESPONSES, area.id, agency_id):  # (READ_RESPONSES covers every agency)
        return True
    return all_submitted and shares_evidence(area) and can(user, Perm.READ_OWN_RESPONSES, area.id)


def shares_evidence(area) -> bool:
    """Area setting (default off): agency leads read each other's evidence once all have submitted,
    for the moderation meeting."""
    return bool((area.settings or {}).get("share_evidence_after_submission"))


def readable_restrictions(user, area_id: int) -> set[str]:
    """The walls a user may look behind in an area: restricted records (``restricted_to``) whose
    permission they hold. Admins see every record."""
    return permissions_in_area(user, area_id)


def visible_area_ids(user, permission: str = Perm.VIEW_AREA) -> set[int] | None:
    """Ids of the areas where the user holds ``permission``; None means every area (admins)."""
    grants = grants_for(user)
    if grants.is_admin:
        return None
    candidates = set(grants.area_memberships)
    for area_ids in grants.region_area_ids.values():
        candidates |= area_ids
    return {area_id for area_id in candidates if can(user, permission, area_id)}


def users_holding(users, permissions: set[str], area) -> list:
    """Those of ``users`` who hold every one of ``permissions`` in ``area`` (through a role there or
    over its region, or as admins), in one query: for owner lists and recipients, not per person."""
    from sqlalchemy import or_

    users = list(users)
    registry = roles_registry()
    for permission in permissions:
        _permission(permission)
    scope = Membership.area_id == area.id
    if area.region_id is not None:
        scope = or_(scope, Membership.region_id == area.region_id)
    held: dict[int, set[str]] = {}
    for user_id, role in db.session.execute(
            select(Membership.user_id, Membership.role).where(scope, Membership.user_id.in_([u.id for u in users]))):
        definition = registry.get(role)
        if definition is not None:
            held.setdefault(user_id, set()).update(effective_permissions(definition))
    return [u for u in users if u.is_admin or permissions <= held.get(u.id, set())]


def can_see_region(user, region_id: int) -> bool:
    return can_in_region(user, Perm.VIEW_REGION, region_id)


# -- record loaders and the one check ---------------------------------------------------------


@dataclass
class Target:
    """A record named by a URL, with what decides who may reach it."""

    record: object
    area_id: int | None = None
    region_id: int | None = None
    agency_id: int | None = None
    # A wall of the record's own (e.g. a restricted action): called with the user; False -> 404.
    visible: Callable | None = None
    # What the route's permission means for this record, where its kind decides (a document of the
    # partnership is read with ``audit.read`` on the routes that read an agency's documents with
    # ``audit.responses.read_own``): {route's permission: the one checked}.
    permission_for: dict[str, str] | None = None


_LOADERS: dict[tuple[str | None, str], Callable] = {}


def record_loader(argument: str, blueprint: str | None = None):
    """Register the loader of a URL argument (``audit_id``): ``loader(value) -> Target | None``.

    ``blueprint`` limits it to one blueprint's routes where an argument name means something else
    there (a schools round and a regional round are both ``round_id``)."""

    def decorator(loader):
        _LOADERS[blueprint, argument] = loader
        return loader

    return decorator


def _loader_for(argument: str, blueprint: str | None = None):
    blueprint = (request.blueprint if blueprint is None else blueprint) or ""
    for key in ((blueprint, argument), (blueprint.rsplit(".", 1)[0], argument), (None, argument)):
        if key in _LOADERS:
            return _LOADERS[key]
    return None


def current_actor():
    """The caller: the API's authenticated user, else the signed-in browser user."""
    from flask_login import current_user

    return g.get("api_user") or current_user


def loaded(argument: str):
    """The record a URL argument named, as loaded by the check (no second query)."""
    return g._loaded[argument].record


def _refusal(user, permission: str, area_id, region_id) -> int:
    """403 when the user may read the records but not do this; 404 when they may not read them."""
    read = _permission(permission).read_permission
    return 403 if read != permission and _holds(user, read, area_id, region_id, None) else 404


def _deny(user, permission: str, area_id, region_id, agency_id):
    abort(_refusal(user, permission, area_id, region_id))


def _holds(user, permission, area_id, region_id, agency_id) -> bool:
    definition = _permission(permission)
    grants = grants_for(user)
    if grants.is_admin:
        return True
    if definition.scope == INSTALL:
        return permission == Perm.SIGNED_IN and getattr(user, "is_authenticated", False)
    if area_id is not None:
        return can(user, permission, area_id, agency_id)  # (regional roles count in member areas)
    if region_id is not None:
        return can_in_region(user, permission, region_id)
    return False


def authorize(user, permission: str, *, area_id=None, region_id=None, agency_id=None) -> None:
    """Abort with 404 (no read permission) or 403 (read but not this write) unless allowed."""
    if not _holds(user, permission, area_id, region_id, agency_id):
        _deny(user, permission, area_id, region_id, agency_id)


def _decide(user, permission: str, view_args: dict, blueprint: str | None, pulled_area=None,
            pulled_region=None) -> tuple[int | None, dict]:
    """The one rule (see the module text), without aborting: ``(None, loaded records)`` when the
    user may go ahead, else ``(404 or 403, {})``."""
    found = {}
    for argument, value in (view_args or {}).items():
        loader = _loader_for(argument, blueprint)
        if loader is None:
            continue
        target = loader(value)
        if target is None:
            return 404, {}
        found[argument] = target
    area_ids = {t.area_id for t in found.values() if t.area_id is not None}
    region_ids = {t.region_id for t in found.values() if t.region_id is not None}
    agency_ids = {t.agency_id for t in found.values() if t.agency_id is not None}
    if pulled_area is not None:
        area_ids.add(pulled_area.id)
    if pulled_region is not None:
        region_ids.add(pulled_region.id)
    if len(area_ids) > 1 or len(region_ids) > 1 or len(agency_ids) > 1:
        return 404, {}  # /areas/<A>/members/<a membership of B>: B's record is not in A
    area_id = next(iter(area_ids), None)
    region_id = next(iter(region_ids), None)
    agency_id = next(iter(agency_ids), None)
    if area_id is not None and region_id is not None:
        area = db.session.get(Area, area_id)
        if area is None or area.region_id != region_id:
            return 404, {}
    for target in found.values():
        if target.permission_for:
            permission = target.permission_for.get(permission, permission)
    definition = _permission(permission)
    if definition.scope == AREA and area_id is None and region_id is None:
        raise LookupError(f"{permission!r} is an area permission but the URL names no record of an area")
    # A record behind its own wall does not exist for those outside it: 404 before anything else, so
    # that a write refused with 403 never confirms that a walled record is there.
    for target in found.values():
        if target.visible is not None and not target.visible(user):
            return 404, {}
    if not _holds(user, permission, area_id, region_id, agency_id if definition.per_agency else None):
        return _refusal(user, permission, area_id, region_id), {}
    return None, found


def authorize_request(permission: str) -> None:
    """Load every record the URL names and check ``permission`` on them (see the module text)."""
    pulled_area, pulled_region = g.get("pulled_area"), g.get("pulled_region")  # a plugin page's (blueprints)
    refused, found = _decide(current_actor(), permission, request.view_args, request.blueprint,
                             pulled_area, pulled_region)
    if refused:
        abort(refused)
    g._loaded = found
    if pulled_area is not None:  # only now may the page show where it is
        g.area = pulled_area
    if pulled_region is not None:
        g.region = pulled_region


def may_open(user, url: str) -> bool:
    """Would ``GET url`` let ``user`` in? The same rule as the page itself (its ``requires`` and
    the records its URL names), for links: a menu or a list of links offers only pages that open.
    (A plugin's page is also off where the plugin is: links come from the plugins enabled there.)"""
    path = urlsplit(url).path
    root = request.script_root if request else ""
    if root and path.startswith(root + "/"):
        path = path[len(root):]
    try:
        endpoint, view_args = current_app.url_map.bind("localhost").match(path, method="GET")
    except RequestRedirect:
        return True  # (a missing trailing slash: the page it redirects to decides when followed)
    except HTTPException:
        return False
    permission = required_permission(current_app.view_functions.get(endpoint), "GET")
    if permission is None:
        return False  # a view that names no permission is refused (blueprints)
    if permission == PUBLIC:
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    blueprint = endpoint.rsplit(".", 1)[0] if "." in endpoint else ""
    refused, _found = _decide(user, permission, view_args, blueprint)
    return refused is None


PUBLIC = "public"  # pages anyone may open without signing in (sign-in, reset links, health)


def requires(permission: str, **per_method: str):
    """Name the permission a view needs (``requires(Perm.VIEW_AREA, POST=Perm.MANAGE_AREA)``).

    Place it directly under the route decorator: on API views it then runs before the request
    body is parsed, so a caller without access gets 404/403, never a validation error that
    reveals the record. The route walk reads ``view.required_permissions``."""
    table = {"GET": permission, **{method.upper(): perm for method, perm in per_method.items()}}

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            wanted = table.get(request.method, permission)
            if wanted != PUBLIC:
                if not getattr(current_actor(), "is_authenticated", False):
                    return login_manager.unauthorized()  # sign-in page, or 401 on the API
                authorize_request(wanted)
            return view(*args, **kwargs)

        wrapper.required_permissions = table
        return wrapper

    return decorator


def required_permission(view, method: str) -> str | None:
    table = getattr(view, "required_permissions", None)
    if table is None:
        return None
    return table.get(method, table["GET"])


# -- the core's own loaders: areas, regions, agencies, memberships ------------------------------


@record_loader("area_id")
def _load_area(area_id):
    area = db.session.get(Area, area_id)
    return Target(area, area_id=area.id) if area is not None else None


@record_loader("region_id")
def _load_region(region_id):
    region = db.session.get(Region, region_id)
    return Target(region, region_id=region.id) if region is not None else None


@record_loader("agency_id")
def _load_agency(agency_id):
    agency = db.session.get(Agency, agency_id)
    return Target(agency, area_id=agency.area_id, agency_id=agency.id) if agency is not None else None


@record_loader("membership_id")
def _load_membership(membership_id):
    membership = db.session.get(Membership, membership_id)
    if membership is None:
        return None
    return Target(membership, area_id=membership.area_id, region_id=membership.region_id)


# -- helpers for views that load by hand ------------------------------------------------------


def get_area_or_404(user, area_id: int, permission: str) -> Area:
    """The area, if the user holds ``permission`` there (404 without its read permission, else 403)."""
    area = db.session.get(Area, area_id)
    if area is None:
        abort(404)
    authorize(user, permission, area_id=area.id)
    return area


def get_region_or_404(user, region_id: int, permission: str) -> Region:
    region = db.session.get(Region, region_id)
    if region is None:
        abort(404)
    authorize(user, permission, region_id=region.id)
    return region


def require_admin(user) -> None:
    if not grants_for(user).is_admin:
        abort(404)


# -- the role table (docs/security.md and ``hsbtrack roles``) -----------------------------------


def role_table_markdown() -> str:
    """Roles × permissions as a Markdown table, from the registry in force (core and plugins)."""
    roles = sorted(roles_registry().values(), key=lambda r: (r.order, r.id))
    permissions = sorted(permissions_registry().values(), key=lambda p: (p.plugin or "", p.id))
    header = "| permission | what it allows | " + " | ".join(f"`{r.id}`" for r in roles) + " |"
    lines = [header, "| --- | --- | " + " | ".join(":---:" for _r in roles) + " |"]
    for permission in permissions:
        if permission.scope == INSTALL:
            continue
        marks = " | ".join("✓" if permission.id in effective_permissions(role) else "" for role in roles)
        implied = f" (comes with {', '.join(f'`{p}`' for p in sorted(permission.implied_by))})" if permission.implied_by else ""
        lines.append(f"| `{permission.id}` | {permission.label}{implied} | {marks} |")
    return "\n".join(lines)
