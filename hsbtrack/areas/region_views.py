"""A region's page: its member areas and its regional members (regional coordinators, admins)."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from hsbtrack.areas import forms, services
from hsbtrack.areas.models import Membership
from hsbtrack.areas.roles import REGION, Perm
from hsbtrack.auth.services import invite
from hsbtrack.errors import ServiceError
from hsbtrack.extensions import db
from hsbtrack.forms import apply_service_errors
from hsbtrack.permissions import can_in_region, loaded, requires

bp = Blueprint("regions", __name__, url_prefix="/regions")


@bp.route("/<int:region_id>/", methods=["GET", "POST"])
@requires(Perm.VIEW_REGION, POST=Perm.MANAGE_REGION)
def detail(region_id):

    region = loaded("region_id")
    manage = can_in_region(current_user, Perm.MANAGE_REGION, region.id)
    form = forms.MemberForm()
    del form.agency_id
    form.role.choices = forms.role_select_choices(REGION)
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                _m, user, created = services.add_region_member(region, form.email.data, form.role.data, form.name.data)
            except ServiceError as error:
                apply_service_errors(form, error)
            else:
                invite(user, created, inviter=current_user)
                flash(_("%(email)s has been added to %(region)s", email=user.email, region=region.display_name), "success")
                return redirect(url_for("regions.detail", region_id=region.id))
    members = db.session.scalars(
        select(Membership).where(Membership.region_id == region.id).options(db.joinedload(Membership.user))
    ).all()
    return render_template("regions/detail.html", region=region, form=form, members=members, manage=manage,
                           roles=services.role_labels())
