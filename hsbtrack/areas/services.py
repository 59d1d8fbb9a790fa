"""Rules for regions, areas, agencies and memberships; used by the admin pages and the API."""

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from hsbtrack.areas.models import Agency, Area, Membership, Region, in_display_order
from hsbtrack.areas.roles import AREA, REGION
from hsbtrack.auth.models import User
from hsbtrack.auth.services import invite, normalise_email, offboard
from hsbtrack.errors import ConflictError, ServiceError
from hsbtrack.extensions import db
from hsbtrack.i18n import current_language
from hsbtrack.permissions import forget_grants, grants_for, visible_area_ids
from hsbtrack.security import get_by_id


def _clean_name(name, field="name", limit=200, required=True) -> str | None:
    """The name trimmed; blank is refused, or means none when ``required`` is false (a Welsh name)."""
    value = (name or "").strip()
    if not value and required:
        raise ServiceError.field(field, _("Enter a name"))
    if len(value) > limit:
        raise ServiceError.field(field, _("Name must be %(n)d characters or fewer", n=limit))
    return value or None


def _clean_names(name, name_cy) -> tuple[str, str | None]:
    return _clean_name(name), _clean_name(name_cy, "name_cy", required=False)


def _name_taken(model, name, **scope) -> bool:
    # lower() on both sides; the exact comparison as well because SQLite's lower() folds ASCII only,
    # so "Ä" would otherwise slip past the check and hit the unique constraint (a 500, not a 409)
    query = select(func.count()).select_from(model).where(
        or_(model.name == name, func.lower(model.name) == name.lower()))
    for column, value in scope.items():
        query = query.where(getattr(model, column) == value)
    return db.session.scalar(query) > 0


def create_region(name, name_cy=None) -> Region:
    name, name_cy = _clean_names(name, name_cy)
    if _name_taken(Region, name):
        raise ConflictError.field("name", _("A region called %(name)s already exists", name=name))
    region = Region(name=name, name_cy=name_cy)
    db.session.add(region)
    db.session.commit()
    return region


def _region_id(value) -> int | None:
    """``value`` as the id of an existing region, or None for no region."""
    if value in (None, ""):
        return None
    region = get_by_id(Region, value)
    if region is None:
        raise ServiceError.field("region_id", _("Choose a region that exists"))
    return region.id


def create_area(name, region_id=None, name_cy=None) -> Area:
    name, name_cy = _clean_names(name, name_cy)
    if _name_taken(Area, name):
        raise ConflictError.field("name", _("An area called %(name)s already exists", name=name))
    area = Area(name=name, name_cy=name_cy, region_id=_region_id(region_id), settings={})
    db.session.add(area)
    db.session.commit()
    return area


def set_area_region(area: Area, region_id) -> Area:
    area.region_id = _region_id(region_id)
    db.session.commit()
    return area


def create_agency(area: Area, name, name_cy=None) -> Agency:
    name, name_cy = _clean_names(name, name_cy)
    if _name_taken(Agency, name, area_id=area.id):
        raise ConflictError.field("name", _("%(area)s already has an agency called %(name)s", area=area.display_name, name=name))
    agency = Agency(area_id=area.id, name=name, name_cy=name_cy)
    db.session.add(agency)
    db.session.commit()
    return agency


def role_choices(scope=AREA) -> list:
    roles = current_app.extensions["hsbtrack_roles"].values()
    return sorted((r for r in roles if r.scope == scope), key=lambda r: (r.order, r.id))


def get_or_create_user(email, name="") -> tuple[User, bool]:
    from email_validator import EmailNotValidError, validate_email

    address = normalise_email(email)
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        raise ServiceError.field("email", _("Enter an email address in the correct format, like name@example.org")) from None
    user = db.session.scalar(select(User).where(User.email == address))
    if user is not None:
        return user, False
    # Someone new starts in the language of whoever invited them (a Welsh page invites in Welsh);
    # they can switch on any page, and their choice is kept.
    user = User(email=address, name=(name or "").strip()[:200], locale=current_language())
    db.session.add(user)
    db.session.flush()
    return user, True


def invite_new_user(email, name, inviter=None) -> User:
    """An administrator adds someone: a new account, invited by email to set a password. Someone who
    already has an account is a field error, and nothing is written."""
    user, created = get_or_create_user(email, name)
    if not created:
        raise ServiceError.field("email", _("%(email)s already has an account", email=user.email))
    db.session.commit()
    invite(user, True, inviter=inviter)
    return user


def _check_role(role: str, scope: str):
    definition = current_app.extensions["hsbtrack_roles"].get(role or "")
    if role == "admin":
        return None
    if definition is None or definition.scope != scope:
        known = ", ".join(r.id for r in role_choices(scope))
        raise ServiceError.field("role", _("Unknown role %(role)s. Choose one of: %(known)s", role=role or "", known=known))
    return definition


def add_area_member(area: Area, email, role, agency_id=None, name="") -> tuple[Membership | None, User, bool]:
    """Give a user (created if new) a role in ``area``. Returns (membership, user, created).

    Role ``admin`` makes the user an install-wide administrator instead.
    """
    definition = _check_role(role, AREA)
    agency = None
    if agency_id not in (None, ""):
        agency = get_by_id(Agency, agency_id)
        if agency is None or agency.area_id != area.id:
            raise ServiceError.field("agency_id", _("Choose an agency of %(area)s", area=area.display_name))
    if definition is not None and definition.needs_agency and agency is None:
        raise ServiceError.field("agency_id", _("An agency lead must belong to an agency: choose one"))
    user, created = get_or_create_user(email, name)
    if role == "admin":
        user.is_admin = True
        db.session.commit()
        forget_grants()
        return None, user, created
    existing = db.session.scalar(
        select(Membership).where(
            Membership.user_id == user.id,
            Membership.area_id == area.id,
            Membership.role == role,
            Membership.agency_id == agency.id if agency else Membership.agency_id.is_(None),
        )
    )
    if existing is not None:
        db.session.rollback()
        raise ConflictError.field("email", _("%(email)s already has this role here", email=user.email))
    membership = Membership(user_id=user.id, area_id=area.id, role=role, agency_id=agency.id if agency else None)
    db.session.add(membership)
    db.session.commit()
    forget_grants()
    return membership, user, created


def add_region_member(region: Region, email, role, name="") -> tuple[Membership, User, bool]:
    _check_role(role, REGION)
    if role == "admin":
        raise ServiceError.field("role", _("Admin is an install-wide role; add it to a user, not a region"))
    user, created = get_or_create_user(email, name)
    existing = db.session.scalar(
        select(Membership).where(Membership.user_id == user.id, Membership.region_id == region.id, Membership.role == role)
    )
    if existing is not None:
        db.session.rollback()
        raise ConflictError.field("email", _("%(email)s already has this role here", email=user.email))
    membership = Membership(user_id=user.id, region_id=region.id, role=role)
    db.session.add(membership)
    db.session.commit()
    forget_grants()
    return membership, user, created


def remove_membership(membership: Membership, by: User | None = None) -> None:
    """Remove a role. When it was the person's last (and they are no administrator), they have left:
    their API tokens are revoked and their sessions end (``offboard``, in the account's history)."""
    user = membership.user
    db.session.delete(membership)
    db.session.flush()
    left = db.session.scalar(select(func.count()).select_from(Membership).where(Membership.user_id == user.id))
    if not left and not user.is_admin:
        offboard(user, "last_role_removed", by)
    db.session.commit()
    forget_grants()


def areas_for_user(user) -> list[Area]:
    ids = visible_area_ids(user)
    query = select(Area)  # sorted by the name shown, below
    if ids is not None:
        if not ids:
            return []
        query = query.where(Area.id.in_(ids))
    return in_display_order(db.session.scalars(query))


def regions_for_user(user) -> list[Region]:
    grants = grants_for(user)
    query = select(Region).order_by(Region.name)
    if not grants.is_admin:
        if not grants.region_roles:
            return []
        query = query.where(Region.id.in_(grants.region_roles))
    return list(db.session.scalars(query))


def role_labels() -> dict:
    labels = {r.id: r.label for r in current_app.extensions["hsbtrack_roles"].values()}
    labels["admin"] = _("Administrator")
    return labels
