"""The administrators' privacy pages: a person's data (subject access export, hold, erasure), the
retention review and the privacy log. Administrators only (everyone else gets 404)."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from hsbtrack.areas.roles import Perm
from hsbtrack.auth.models import User
from hsbtrack.errors import ForbiddenError, NotFoundError, ServiceError
from hsbtrack.extensions import db
from hsbtrack.forms import apply_service_errors
from hsbtrack.permissions import requires
from hsbtrack.privacy import retention, services
from hsbtrack.privacy.forms import EraseForm, HoldForm
from hsbtrack.privacy.subject_access import subject_access_zip
from hsbtrack.storage import attachment_headers

bp = Blueprint("privacy", __name__, url_prefix="/admin")


def _person(user_id) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _me() -> User:
    return current_user._get_current_object()


@bp.route("/privacy")
@requires(Perm.ADMIN)
def index():
    """The privacy log, and where each duty is done."""
    due = sum(len(rule["items"]) for rule in retention.review())
    return render_template("privacy/index.html", entries=services.log_entries(), due=due)


@bp.route("/users/<int:user_id>/privacy")
@requires(Perm.ADMIN)
def person(user_id):
    user = _person(user_id)
    return _person_page(user, HoldForm(formdata=None))


def _person_page(user, hold_form, status=200):
    return render_template("privacy/person.html", user=user, hold=services.hold_of(user), form=hold_form,
                           summary=services.erasure_summary(user) if user.erased_at is None else None), status


@bp.route("/users/<int:user_id>/privacy/export", methods=["POST"])
@requires(Perm.ADMIN)
def subject_access(user_id):
    """The subject access export: a ZIP, made now and never stored (the download log and the privacy log
    keep that it was made, by whom)."""
    user = _person(user_id)
    if user.erased_at is not None:
        flash(_("This person has been erased: nothing is held about them any more"), "info")
        return redirect(url_for("privacy.person", user_id=user.id))
    data, filename = subject_access_zip(user, by=_me())
    return data, 200, {**attachment_headers(filename), "Content-Type": "application/zip"}


@bp.route("/users/<int:user_id>/privacy/hold", methods=["POST"])
@requires(Perm.ADMIN)
def hold(user_id):
    user = _person(user_id)
    if request.form.get("lift"):
        if services.lift_hold(user, by=_me()):
            flash(_("The hold has been lifted"), "success")
        return redirect(url_for("privacy.person", user_id=user.id))
    form = HoldForm()
    if form.validate_on_submit():
        try:
            services.set_hold(user, form.reason.data, by=_me())
        except ServiceError as error:
            apply_service_errors(form, error)
        else:
            flash(_("The hold has been set: this person cannot be erased until it is lifted"), "success")
            return redirect(url_for("privacy.person", user_id=user.id))
    return _person_page(user, form)


@bp.route("/users/<int:user_id>/erase", methods=["GET", "POST"])
@requires(Perm.ADMIN)
def erase(user_id):
    """GET asks (what changes, the hold if there is one); POST erases, with a reason and a confirmation."""
    user = _person(user_id)
    if user.erased_at is not None:
        flash(_("This person has already been erased"), "info")
        return redirect(url_for("privacy.person", user_id=user.id))
    form = EraseForm()
    hold = services.hold_of(user)
    refusal = None
    if user.id == current_user.id:
        refusal = _("You cannot erase yourself")
    elif hold is not None:
        refusal = _("This person is on hold and cannot be erased: %(reason)s. Lift the hold first.",
                    reason=hold.reason)
    if request.method == "POST" and refusal is None and form.validate_on_submit():
        try:
            services.erase_person(user, by=_me(), reason=form.reason.data)
        except ForbiddenError as error:
            refusal = error.message
        except ServiceError as error:
            apply_service_errors(form, error)
        else:
            flash(_("Person number %(id)s has been erased: they now show as “former member”", id=user.id),
                  "success")
            return redirect(url_for("privacy.index"))
    status = 403 if request.method == "POST" and refusal else 200
    return render_template("privacy/erase.html", user=user, form=form, refusal=refusal, hold=hold,
                           summary=services.erasure_summary(user)), status


@bp.route("/privacy/retention", methods=["GET", "POST"])
@requires(Perm.ADMIN)
def retention_review():
    """The retention rules with their periods and the records due; POST checks now (the daily scan)."""
    if request.method == "POST":
        found = retention.scan_retention()
        flash(ngettext("Checked: %(num)d record is due for deletion", "Checked: %(num)d records are due for deletion",
                       found), "success")
        return redirect(url_for("privacy.retention_review"))
    return render_template("privacy/retention.html", rules=retention.review(), last_scan=retention.last_scan(),
                           setting_name=retention.setting_name)


@bp.route("/privacy/retention/delete", methods=["GET", "POST"])
@requires(Perm.ADMIN)
def retention_delete():
    """GET: the records of one rule (``?rule=``) to delete, ticked; POST deletes those ticked, all or nothing."""
    name = request.values.get("rule", "")
    try:
        rule = retention.rule_named(name)
    except NotFoundError:
        flash(_("Choose a retention rule"), "info")
        return redirect(url_for("privacy.retention_review"))
    rows = next(r for r in retention.review() if r["rule"].name == rule.name)
    error, status = None, 200
    if request.method == "POST":
        try:
            deleted = retention.delete_due(rule.name, request.form.getlist("keys"), by=_me())
        except ServiceError as problem:  # (a ConflictError too: the list changed, nothing deleted)
            error, status = problem.message, problem.status
        else:
            flash(ngettext("%(num)d record was deleted under the rule “%(rule)s”",
                           "%(num)d records were deleted under the rule “%(rule)s”", deleted, rule=rule.title),
                  "success")
            return redirect(url_for("privacy.retention_review"))
    return render_template("privacy/retention_delete.html", rule=rule, row=rows, error=error), status
