"""Area pages: the area picker, agencies and members (the list of your areas is the dashboard's)."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from hsbtrack.areas import forms, services
from hsbtrack.areas.models import Agency, Membership, pick_name
from hsbtrack.areas.roles import AREA, Perm
from hsbtrack.auth.services import invite
from hsbtrack.errors import ServiceError
from hsbtrack.extensions import db
from hsbtrack.forms import apply_service_errors
from hsbtrack.permissions import can, get_area_or_404, loaded, requires
from hsbtrack.views_support import set_current_area

bp = Blueprint("areas", __name__)


@bp.route("/areas/switch")
@requires(Perm.SIGNED_IN)
def switch():
    try:
        area_id = int(request.args.get("area_id", ""))
    except ValueError:  # "Choose an area" itself: stay on the list of areas
        return redirect(url_for("dashboard.home"))
    get_area_or_404(current_user, area_id, Perm.VIEW_AREA)
    return redirect(url_for("dashboard.area", area_id=area_id))


@bp.route("/areas/<int:area_id>/agencies", methods=["GET", "POST"])
@requires(Perm.VIEW_AREA, POST=Perm.MANAGE_AREA)
def agencies(area_id):
    area = set_current_area(loaded("area_id"))
    manage = can(current_user, Perm.MANAGE_AREA, area.id)
    form = forms.NameForm()
    form.name.label.text = _("Name of the agency")
    form.submit.label.text = _("Add agency")
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                agency = services.create_agency(area, form.name.data, form.name_cy.data)
            except ServiceError as error:
                apply_service_errors(form, error)
            else:
                flash(_("%(name)s has been added", name=agency.display_name), "success")
                return redirect(url_for("areas.agencies", area_id=area.id))
    return render_template("areas/agencies.html", area=area, form=form, manage=manage)


@bp.route("/areas/<int:area_id>/members", methods=["GET", "POST"])
@requires(Perm.READ_MEMBERS, POST=Perm.MANAGE_MEMBERS)
def members(area_id):

    area = set_current_area(loaded("area_id"))
    manage = can(current_user, Perm.MANAGE_MEMBERS, area.id)
    form = forms.MemberForm()
    form.role.choices = forms.role_select_choices(AREA, include_admin=current_user.is_admin)
    form.agency_id.choices = [("", _("No agency"))] + [(str(a.id), a.display_name) for a in area.agencies]
    if request.method == "POST":
        if form.validate_on_submit() and form.role.data == "admin" and not current_user.is_admin:
            # The role select offers "admin" to administrators only; the service would grant it.
            form.role.errors = [_("Only administrators can make someone an administrator")]
        elif form.validate_on_submit():
            try:
                _membership, user, created = services.add_area_member(
                    area, form.email.data, form.role.data, form.agency_id.data or None, form.name.data
                )
            except ServiceError as error:
                apply_service_errors(form, error)
            else:
                if invite(user, created, inviter=current_user):
                    flash(_("%(email)s has been invited by email", email=user.email), "success")
                else:
                    flash(_("%(email)s has been given the role", email=user.email), "success")
                return redirect(url_for("areas.members", area_id=area.id))
    rows = db.session.execute(
        select(Membership, Agency.name, Agency.name_cy)
        .outerjoin(Agency, Agency.id == Membership.agency_id)
        .where(Membership.area_id == area.id)
        .order_by(Membership.role, Membership.id)
        .options(db.joinedload(Membership.user))
    ).all()
    rows = [(membership, pick_name(name, name_cy) if name else None) for membership, name, name_cy in rows]
    return render_template("areas/members.html", area=area, form=form, rows=rows, manage=manage,
                           roles=services.role_labels())


@bp.route("/areas/<int:area_id>/members/<int:membership_id>/remove", methods=["GET", "POST"])
@requires(Perm.MANAGE_MEMBERS)
def remove_member(area_id, membership_id):
    """GET asks (what removing the role means); POST removes it."""
    area = set_current_area(loaded("area_id"))
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.area_id != area.id:
        abort(404)
    if request.method == "GET":
        agency = db.session.get(Agency, membership.agency_id) if membership.agency_id else None
        return render_template("areas/remove_member.html", area=area, membership=membership, agency=agency,
                               role=services.role_labels().get(membership.role, membership.role))
    email = membership.user.email
    services.remove_membership(membership, by=current_user._get_current_object())
    flash(_("The role of %(email)s has been removed", email=email), "success")
    return redirect(url_for("areas.members", area_id=area.id))
