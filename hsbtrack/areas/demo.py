"""``hsbtrack demo``: a small partnership to explore, loaded once into a development database."""

from functools import cache

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from hsbtrack.areas import services
from hsbtrack.areas.models import Agency, Area, Membership, Region
from hsbtrack.auth.models import User
from hsbtrack.auth.services import hash_password
from hsbtrack.extensions import db
from hsbtrack.timeutil import utcnow

DEMO_PASSWORD = "demo-password-2019"  # noqa: S105  # nosec B105  # a local demo database only; `demo` refuses in production
DEMO_AGENCIES = ("Police", "Health", "Children's social care", "Education", "Youth justice")


@cache
def demo_password_hash() -> str:
    """The argon2 hash of :data:`DEMO_PASSWORD`, made once a process and given to every demo account (core
    and plugins'): one hash costs about a third of a second by design, and the demo has a dozen accounts
    sharing one published password, so a salt of their own would protect nothing."""
    return hash_password(DEMO_PASSWORD)


def demo_users():
    """(email, name, role, agency) — the logins `make run` prints."""
    return [
        ("admin@example.org", "Alex Admin", "admin", None),
        ("board@example.org", "Bola Board", "board_manager", None),
        ("police@example.org", "Priya Police", "agency_lead", "Police"),
        ("senior@example.org", "Sian Senior", "senior_officer", "Police"),
        ("health@example.org", "Huw Health", "agency_lead", "Health"),
        ("social@example.org", "Sam Social", "agency_lead", "Children's social care"),
        ("education@example.org", "Eve Education", "agency_lead", "Education"),
        ("training@example.org", "Tomos Training", "training_lead", None),
        ("viewer@example.org", "Vic Viewer", "viewer", None),
    ]


def load_demo() -> bool:
    """Create the demo partnership. Returns False (and changes nothing) if data already exists."""

    if db.session.scalar(select(func.count()).select_from(User)):
        return False
    region = services.create_region("Demo region")
    area = services.create_area("Riverside Safeguarding Partnership", region.id)
    services.create_area("Hillside Safeguarding Partnership", region.id)
    agencies = {name: services.create_agency(area, name) for name in DEMO_AGENCIES}
    for email, name, role, agency in demo_users():
        _m, user, _created = services.add_area_member(area, email, role, agencies[agency].id if agency else None, name)
        user.password_hash = demo_password_hash()
        user.activated_at = user.activated_at or utcnow()
    db.session.commit()
    current_app.extensions["hsbtrack_plugins"].hook.hsbtrack_demo_data(area=area)
    return True


def print_logins() -> None:
    """Every demo account in the database (the core's and the plugins'), with its roles."""

    rows = db.session.execute(
        select(User.email, User.is_admin, Membership.role, Area.name, Region.name, Agency.name)
        .outerjoin(Membership, Membership.user_id == User.id)
        .outerjoin(Area, Area.id == Membership.area_id)
        .outerjoin(Region, Region.id == Membership.region_id)
        .outerjoin(Agency, Agency.id == Membership.agency_id)
        .where(User.email.like("%@example.org"))
        .order_by(User.id, Membership.id)
    ).all()
    logins: dict[str, list[str]] = {}
    for email, is_admin, role, area, region, agency in rows:
        roles = logins.setdefault(email, ["admin"] if is_admin else [])
        if role:
            where = " – ".join(part for part in (agency, area or region) if part)
            roles.append(f"{role} ({where})" if where else role)
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for email, roles in logins.items():
        click.echo(f"  {email:<26} {'; '.join(roles)}")
    required = sorted(current_app.config.get("HSBTRACK_TWO_FACTOR_REQUIRED_ROLES") or ())
    if required:  # the install's default applies to the demo too: it shows what a partnership gets
        click.echo(f"Two-factor authentication is required for: {', '.join(required)}. Those logins set it up "
                   "with an authenticator app at their first sign-in (to try without: "
                   "HSBTRACK_TWO_FACTOR_REQUIRED_ROLES= make run).")


@click.command("demo")
@click.option("--force", is_flag=True, help="Allow in production (never on real data)")
@with_appcontext
def demo_command(force):
    """Load demo data into an empty database and print the demo logins."""
    if current_app.config["HSBTRACK_ENV"] == "production" and not force:
        raise click.ClickException("Refusing to load demo data in production (use --force on a throwaway database)")
    if load_demo():
        click.echo("Demo data loaded.")
    else:
        click.echo("The database already has users: demo data not loaded.")
    print_logins()
