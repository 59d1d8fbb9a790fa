"""Pages of partner organisations and their shared returns: the list, the organisation's page (its
areas, leads, shared returns and the sets of audits it may answer once; administrators link areas and
add leads), the one scoring page of a shared return (read-only, with the sign-off, for a senior officer),
an area's exception, the submission and the organisation's history. The documents behind the shared
answers are the documents feature's (above this one): hsbtrack.documents.shared, through template globals."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from hsbtrack.areas.models import Area, Region
from hsbtrack.areas.roles import Perm
from hsbtrack.audits import services as audits
from hsbtrack.errors import ConflictError, ServiceError
from hsbtrack.extensions import db
from hsbtrack.i18n import current_language
from hsbtrack.organisations import (
    loaders,  # noqa: F401  (the organisation_id and shared_return_id loaders)
    services,
)
from hsbtrack.organisations.models import ORGANISATION_LEAD, ORGANISATION_SENIOR_OFFICER
from hsbtrack.permissions import is_admin, loaded, requires

bp = Blueprint("organisations", __name__)


def role_names() -> dict:
    return {ORGANISATION_LEAD: _("Organisation lead"), ORGANISATION_SENIOR_OFFICER: _("Senior officer of the organisation")}


def _checked() -> bool:
    """A POST with a valid CSRF token (the form's own check)."""
    return FlaskForm().validate_on_submit()


def _errors_of(error: ServiceError) -> dict:
    return dict(error.fields) or {"form": error.message}


@bp.route("/organisations/")
@requires(Perm.SIGNED_IN)
def index():
    return render_template("organisations/index.html", organisations=services.organisations_for(current_user),
                           admin=is_admin(current_user))


@bp.route("/admin/organisations/new", methods=["GET", "POST"])
@requires(Perm.ADMIN)
def new():
    errors, values = {}, {"name": "", "name_cy": "", "region_id": ""}
    if request.method == "POST" and _checked():
        values = {key: request.form.get(key, "") for key in values}
        try:
            organisation = services.create_organisation(values["name"], values["name_cy"], values["region_id"] or None,
                                                        user=current_user)
        except ServiceError as error:
            errors = _errors_of(error)
        else:
            flash(_("%(name)s was added", name=organisation.display_name))
            return redirect(url_for("organisations.detail", organisation_id=organisation.id))
    regions = list(db.session.scalars(db.select(Region).order_by(Region.name)))
    return render_template("organisations/new.html", errors=errors, values=values, regions=regions), \
        (422 if errors else 200)


def _detail(organisation, errors=None, values=None, status=200):
    link_rows = services.links(organisation)
    linked = {area.id for _link, area, _agency in link_rows}
    areas = []
    if is_admin(current_user):
        areas = [a for a in db.session.scalars(db.select(Area).order_by(Area.name)) if a.id not in linked]
    return render_template(
        "organisations/detail.html", organisation=organisation, links=link_rows, members=services.members(organisation),
        returns=[(r, services.progress(r)) for r in services.shared_returns(organisation)],
        offered=services.offered_audit_sets(organisation), admin=is_admin(current_user), areas=areas,
        may_answer=services.has_role(current_user, organisation.id, ORGANISATION_LEAD),
        errors=errors or {}, values=values or {}, form=FlaskForm(), role_names=role_names()), status


@bp.route("/organisations/<int:organisation_id>")
@requires(Perm.SIGNED_IN)
def detail(organisation_id):
    return _detail(loaded("organisation_id"))


@bp.route("/organisations/<int:organisation_id>/history")
@requires(Perm.SIGNED_IN)
def history(organisation_id):
    """What was recorded about the organisation in its areas (links, members, shared returns, answers,
    exceptions, submissions, sign-offs, documents), each change once, newest first, a page at a time;
    ``?shared_return=<id>``: one shared return's only."""
    organisation = loaded("organisation_id")
    returns = services.shared_returns(organisation)
    chosen = next((r for r in returns if str(r.id) == request.args.get("shared_return", "")), None)
    listing = services.history_page(organisation, request.args.get("page", 1), chosen.id if chosen else None)
    return render_template("organisations/history.html", organisation=organisation, listing=listing,
                           shared_return=chosen, role_names=role_names())


@bp.route("/admin/organisations/<int:organisation_id>/areas", methods=["POST"])
@requires(Perm.ADMIN)
def link_area(organisation_id):
    organisation = loaded("organisation_id")
    values = {"area_id": request.form.get("area_id", ""), "agency_id": request.form.get("agency_id", "")}
    if _checked():
        try:
            link = services.link_area(organisation, values["area_id"] or None, values["agency_id"] or None,
                                      user=current_user)
        except ServiceError as error:
            return _detail(organisation, _errors_of(error), values, 422)
        flash(_("%(area)s is linked", area=link.area.display_name))
    return redirect(url_for("organisations.detail", organisation_id=organisation.id))


@bp.route("/admin/organisations/<int:organisation_id>/members", methods=["POST"])
@requires(Perm.ADMIN)
def add_member(organisation_id):
    organisation = loaded("organisation_id")
    values = {"email": request.form.get("email", ""), "role": request.form.get("role", ORGANISATION_LEAD)}
    if _checked():
        try:  # (the service sends the invitation email, as for the API)
            _member, person, _created = services.add_member(organisation, values["email"], values["role"],
                                                            user=current_user)
        except ServiceError as error:
            return _detail(organisation, _errors_of(error), values, 422)
        flash(_("%(email)s leads the organisation's returns", email=person.email) if values["role"] == ORGANISATION_LEAD
              else _("%(email)s signs the organisation's returns off", email=person.email))
    return redirect(url_for("organisations.detail", organisation_id=organisation.id))


@bp.route("/organisations/<int:organisation_id>/returns", methods=["POST"])
@requires(Perm.SIGNED_IN)
def open_return(organisation_id):
    organisation = loaded("organisation_id")
    if not _checked():
        return redirect(url_for("organisations.detail", organisation_id=organisation.id))
    offered = {s.key: s for s in services.offered_audit_sets(organisation)}
    chosen = offered.get(request.form.get("key", ""))
    try:
        if chosen is None:
            raise ServiceError.field("key", _("Choose the audits to answer"))
        row = services.open_shared_return(organisation, chosen.audit_ids, str(chosen.title), chosen.key,
                                          user=current_user)
    except ServiceError as error:
        return _detail(organisation, _errors_of(error), {}, 422)
    return redirect(url_for("organisations.shared_return", shared_return_id=row.id))


def _scoring(shared_return, errors=None, values=None, status=200):
    framework = audits.catalogue().get(shared_return.framework)
    rows = services.return_audits(shared_return)
    return render_template(
        "organisations/shared_return.html", shared_return=shared_return, organisation=shared_return.organisation,
        framework=framework, audits=rows, open_areas=[area for audit, area, _a in rows if audit.is_open],
        answers=services.shared_responses(shared_return), exceptions=services.exceptions(shared_return),
        progress=services.progress(shared_return), errors=errors or {}, values=values or {}, form=FlaskForm(),
        lang=current_language(), sign_off_areas=[t.area_id for t in services.sign_off_targets(shared_return)],
        may_sign_off=services.has_role(current_user, shared_return.organisation_id, ORGANISATION_SENIOR_OFFICER),
        may_answer=services.has_role(current_user, shared_return.organisation_id, ORGANISATION_LEAD)), status


@bp.route("/shared-returns/<int:shared_return_id>", methods=["GET", "POST"])
@requires(Perm.SIGNED_IN)
def shared_return(shared_return_id):
    """The one scoring page: each statement once, the areas it goes to, their exceptions."""
    row = loaded("shared_return_id")
    if request.method == "POST" and _checked():
        if not services.has_role(current_user, row.organisation_id, ORGANISATION_LEAD):
            # (a senior officer reads the return and signs it off: the page shows them no form to post)
            return _scoring(row, {"read-only": _("Only the organisation's leads can change the shared answers")}, None, 403)
        code = request.form.get("code", "")
        values = {name: request.form.get(name, "") for name in ("score", "evidence", "assurance")}
        try:
            services.save_shared_response(row, code, **values, user=current_user,
                                          expected_version=request.form.get("version") or None)
        except ServiceError as error:
            fields = {f"{code}-{name}": message for name, message in _errors_of(error).items()}
            return _scoring(row, fields, {code: values}, 409 if isinstance(error, ConflictError) else 422)
        flash(_("Your answer to %(code)s was saved for every linked audit", code=code))
        return redirect(url_for("organisations.shared_return", shared_return_id=row.id) + "#statement-"
                        + code.replace(".", "-"))
    return _scoring(row)


@bp.route("/shared-returns/<int:shared_return_id>/statements/<code>/areas/<int:area_id>/exception",
          methods=["GET", "POST"])
@requires(Perm.SIGNED_IN)
def exception(shared_return_id, code, area_id):
    """An area's own answer to one statement, with a reason; or remove it (the shared answer again)."""
    row = loaded("shared_return_id")
    area = loaded("area_id")
    framework = audits.catalogue().get(row.framework)
    try:
        statement = audits.scored_statement(framework, code)
    except ServiceError:
        abort(404)
    if area.id not in {link.area_id for link in row.audits}:
        abort(404)
    current = next((e for e in services.exceptions(row).get(code, []) if e.area_id == area.id), None)
    errors, values = {}, {"score": "" if current is None or current.score is None else str(current.score),
                          "evidence": current.evidence if current else "", "reason": current.reason if current else ""}
    if request.method == "POST" and _checked():
        try:
            if request.form.get("remove"):
                services.remove_exception(row, area.id, code, user=current_user)
                flash(_("%(area)s follows the shared answer to %(code)s again", area=area.display_name, code=code))
            else:
                values = {name: request.form.get(name, "") for name in ("score", "evidence", "reason")}
                services.set_exception(row, area.id, code, **values, user=current_user,
                                       expected_version=request.form.get("version") or None)
                flash(_("The exception for %(area)s on %(code)s was saved", area=area.display_name, code=code))
        except ServiceError as error:
            errors = _errors_of(error)
        else:
            return redirect(url_for("organisations.shared_return", shared_return_id=row.id) + "#statement-"
                            + code.replace(".", "-"))
    return render_template("organisations/exception.html", shared_return=row, area=area, statement=statement,
                           framework=framework, current=current, errors=errors, values=values, form=FlaskForm(),
                           answer=services.shared_responses(row).get(code), lang=current_language(),
                           may_answer=services.has_role(current_user, row.organisation_id, ORGANISATION_LEAD)), \
        (422 if errors else 200)


@bp.route("/shared-returns/<int:shared_return_id>/submit", methods=["GET", "POST"])
@requires(Perm.SIGNED_IN)
def submit(shared_return_id):
    """Confirm, then submit once: the return of the organisation's agency in every linked open audit."""
    row = loaded("shared_return_id")
    error = None
    if request.method == "POST" and _checked():
        try:
            services.submit_shared_return(row, user=current_user)
        except ServiceError as problem:
            error = problem.message
        else:
            flash(_("The shared return was submitted in every linked open audit"))
            return redirect(url_for("organisations.shared_return", shared_return_id=row.id))
    return render_template("organisations/submit.html", shared_return=row, progress=services.progress(row),
                           audits=services.return_audits(row), error=error, form=FlaskForm()), (422 if error else 200)


@bp.route("/admin/organisations/<int:organisation_id>/members/<int:user_id>/remove", methods=["GET", "POST"])
@requires(Perm.ADMIN)
def remove_member(organisation_id, user_id):
    """Confirm, then remove someone's roles on the organisation (and those made for it in its areas)."""
    organisation = loaded("organisation_id")
    held = [m for m in services.members(organisation) if m.user_id == user_id]
    if not held:
        abort(404)
    error = None
    if request.method == "POST" and _checked():
        try:
            services.remove_member(organisation, user_id, user=current_user)
        except ServiceError as problem:
            error = problem.message
        else:
            flash(_("%(email)s no longer holds a role on %(organisation)s", email=held[0].user.email,
                    organisation=organisation.display_name))
            return redirect(url_for("organisations.detail", organisation_id=organisation.id))
    return render_template("organisations/remove_member.html", organisation=organisation, person=held[0].user,
                           roles=held, links=services.links(organisation), error=error, role_names=role_names(),
                           form=FlaskForm()), (422 if error else 200)


@bp.route("/admin/organisations/<int:organisation_id>/areas/<int:area_id>/unlink", methods=["GET", "POST"])
@requires(Perm.ADMIN)
def unlink_area(organisation_id, area_id):
    """Confirm, then unlink an area: shared answers stop reaching it; its answers stay as its agency's."""
    organisation = loaded("organisation_id")
    area = loaded("area_id")
    link = next((row for row in services.links(organisation) if row[1].id == area.id), None)
    if link is None:
        abort(404)
    error = None
    if request.method == "POST" and _checked():
        try:
            services.unlink_area(organisation, area.id, user=current_user)
        except ServiceError as problem:
            error = problem.message
        else:
            flash(_("%(area)s is no longer linked to %(organisation)s", area=area.display_name,
                    organisation=organisation.display_name))
            return redirect(url_for("organisations.detail", organisation_id=organisation.id))
    return render_template("organisations/unlink_area.html", organisation=organisation, area=area, agency=link[2],
                           error=error, form=FlaskForm()), (422 if error else 200)


@bp.route("/shared-returns/<int:shared_return_id>/sign-off", methods=["GET", "POST"])
@requires(Perm.SIGNED_IN)
def sign_off(shared_return_id):
    """Confirm, then sign the submitted shared return off once: in every linked area that asks for it."""
    row = loaded("shared_return_id")
    error = None
    if request.method == "POST" and _checked():
        try:
            services.sign_off_shared_return(row, user=current_user)
        except ServiceError as problem:  # (a lead, not a senior officer: told so, as other refusals)
            error = problem.message
        else:
            flash(_("The shared return was signed off in every linked area that asks for it"))
            return redirect(url_for("organisations.shared_return", shared_return_id=row.id))
    return render_template("organisations/sign_off.html", shared_return=row, progress=services.progress(row),
                           may_sign_off=services.has_role(current_user, row.organisation_id, ORGANISATION_SENIOR_OFFICER),
                           targets=services.sign_off_targets(row), audits=services.return_audits(row), error=error,
                           form=FlaskForm()), (422 if error else 200)
