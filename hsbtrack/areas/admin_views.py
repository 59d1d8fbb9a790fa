"""Install-wide administration: regions, areas and users. Admins only (others get 404)."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from wtforms.validators import DataRequired, Length

from hsbtrack.areas import forms, services
from hsbtrack.areas.models import Agency, Area, Membership, Region, in_display_order, pick_name
from hsbtrack.areas.roles import Perm
from hsbtrack.auth.models import User
from hsbtrack.auth.services import change_account_status
from hsbtrack.downloads.services import recent
from hsbtrack.errors import ForbiddenError, ServiceError
from hsbtrack.extensions import db
from hsbtrack.forms import (
    FlaskForm,
    GovSubmitInput,
    GovTextInput,
    StringField,
    SubmitField,
    apply_service_errors,
)
from hsbtrack.permissions import requires

bp = Blueprint("admin", __name__, url_prefix="/admin")


class UserForm(FlaskForm):
    email = StringField(_l("Email address"), widget=GovTextInput(), validators=[DataRequired(_l("Enter an email address"))])
    name = StringField(_l("Name"), widget=GovTextInput(), validators=[Length(max=200)])
    submit = SubmitField(_l("Invite user"), widget=GovSubmitInput())


@bp.route("/")
@requires(Perm.ADMIN)
def index():
    counts = {
        "regions": db.session.scalar(select(func.count()).select_from(Region)),
        "areas": db.session.scalar(select(func.count()).select_from(Area)),
        "agencies": db.session.scalar(select(func.count()).select_from(Agency)),
        "users": db.session.scalar(select(func.count()).select_from(User).where(User.erased_at.is_(None))),
    }
    return render_template("admin/index.html", counts=counts)


@bp.route("/regions", methods=["GET", "POST"])
@requires(Perm.ADMIN)
def regions():
    form = forms.NameForm()
    form.name.label.text = _("Name of the region")
    form.submit.label.text = _("Add region")
    if form.validate_on_submit():
        try:
            region = services.create_region(form.name.data, form.name_cy.data)
        except ServiceError as error:
            apply_service_errors(form, error)
        else:
            flash(_("%(name)s has been added", name=region.display_name), "success")
            return redirect(url_for("admin.regions"))
    rows = db.session.execute(
        select(Region, func.count(Area.id)).outerjoin(Area, Area.region_id == Region.id).group_by(Region.id)
        .order_by(Region.name)
    ).all()
    return render_template("admin/regions.html", form=form, rows=rows)


@bp.route("/areas", methods=["GET", "POST"])
@requires(Perm.ADMIN)
def areas():
    form = forms.AreaForm()
    form.region_id.choices = [("", _("No region"))] + [
        (str(r.id), r.display_name) for r in db.session.scalars(select(Region).order_by(Region.name))
    ]
    if form.validate_on_submit():
        try:
            area = services.create_area(form.name.data, form.region_id.data or None, form.name_cy.data)
        except ServiceError as error:
            apply_service_errors(form, error)
        else:
            flash(_("%(name)s has been added", name=area.display_name), "success")
            return redirect(url_for("admin.areas"))
    rows = db.session.execute(
        select(Area, Region.name, Region.name_cy, func.count(Agency.id))
        .outerjoin(Region, Region.id == Area.region_id)
        .outerjoin(Agency, Agency.area_id == Area.id)
        .group_by(Area.id, Region.name, Region.name_cy)
        .order_by(Area.name)
    ).all()
    rows = in_display_order([(area, pick_name(region_name, region_name_cy) if region_name else None, n)
                             for area, region_name, region_name_cy, n in rows], lambda row: row[0])
    return render_template("admin/areas.html", form=form, rows=rows)


@bp.route("/users", methods=["GET", "POST"])
@requires(Perm.ADMIN)
def users():
    form = UserForm()
    if form.validate_on_submit():
        try:
            user = services.invite_new_user(form.email.data, form.name.data, inviter=current_user)
        except ServiceError as error:
            apply_service_errors(form, error)
        else:
            flash(_("%(email)s has been invited by email", email=user.email), "success")
            return redirect(url_for("admin.users"))
    rows = db.session.execute(
        select(User, func.count(Membership.id)).outerjoin(Membership, Membership.user_id == User.id)
        .where(User.erased_at.is_(None))  # (erased people: placeholders, in the privacy log only)
        .group_by(User.id).order_by(User.email)
    ).all()
    return render_template("admin/users.html", form=form, rows=rows)


@bp.route("/users/<int:user_id>", methods=["POST"])
@requires(Perm.ADMIN)
def update_user(user_id):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    try:
        change_account_status(user, request.form.get("action"), by=current_user)
    except ForbiddenError as error:
        flash(str(error), "info")
        return redirect(url_for("admin.users"))
    except ServiceError:
        abort(400)
    flash(_("%(email)s has been updated", email=user.email), "success")
    return redirect(url_for("admin.users"))


@bp.route("/downloads")
@requires(Perm.ADMIN)
def downloads():
    """The download log: every export, report and file, who took it and when (newest first)."""

    return render_template("admin/downloads.html", entries=recent())
