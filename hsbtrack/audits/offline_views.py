"""Pages for data that comes from outside the app: an agency's offline return workbook (download, upload,
preview, "Save these changes") and the board's baseline done elsewhere (the imported baseline form).

Thin: the rules are in :mod:`hsbtrack.audits.workbook` and :mod:`hsbtrack.audits.baselines`.
"""

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf.file import FileField

from hsbtrack.areas.roles import Perm
from hsbtrack.audits import (
    baselines,
    loaders,  # noqa: F401  (the audit_id loader)
    services,
    workbook,
)
from hsbtrack.errors import ConflictError, NotFoundError, ServiceError
from hsbtrack.forms import (
    BooleanField,
    DayMonthYearField,
    FlaskForm,
    GovCheckboxInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
    StringField,
    SubmitField,
    TextAreaField,
    apply_service_errors,
)
from hsbtrack.i18n import current_language
from hsbtrack.permissions import loaded, requires
from hsbtrack.views_support import set_current_area

bp = Blueprint("offline", __name__)


class WorkbookUploadForm(FlaskForm):
    file = FileField(_l("Upload the filled-in workbook"))
    submit = SubmitField(_l("Upload and preview the changes"), widget=GovSubmitInput())


class ConfirmChangesForm(FlaskForm):
    submit = SubmitField(_l("Save these changes"), widget=GovSubmitInput())


def _load_return(area_id, audit_id, agency_id):
    """Area, audit and the agency taking part (``requires(Perm.SCORE)`` checked the agency)."""
    area = set_current_area(loaded("area_id"))
    audit = loaded("audit_id")
    agency = next((a for _p, a in services.participants(audit) if a.id == agency_id), None)
    if agency is None:
        abort(404)
    return area, audit, agency


def _render_offline(area, audit, agency, form, problems=(), file_error=None, status=200):
    return render_template("audits/offline.html", area=area, audit=audit, agency=agency, upload_form=form,
                           problems=list(problems), file_error=file_error), status


@bp.route("/areas/<int:area_id>/audits/<int:audit_id>/agencies/<int:agency_id>/offline", methods=["GET", "POST"])
@requires(Perm.SCORE)
def offline(area_id, audit_id, agency_id):
    """"Fill in offline": download the return as a workbook, upload it filled in (then the preview)."""
    area, audit, agency = _load_return(area_id, audit_id, agency_id)
    form = WorkbookUploadForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            data = workbook.upload_from_request_file(request.files.get("file"))
            upload = workbook.stage_upload(audit, agency, data, user=current_user)
        except workbook.WorkbookError as error:
            return _render_offline(area, audit, agency, form, error.problems, error.message, 422)
        except ServiceError as error:
            return _render_offline(area, audit, agency, form, (), error.message, error.status)
        return redirect(url_for("offline.preview", area_id=area.id, audit_id=audit.id, agency_id=agency.id,
                                token=upload.token))
    return _render_offline(area, audit, agency, form)


@bp.route("/areas/<int:area_id>/audits/<int:audit_id>/agencies/<int:agency_id>/offline/workbook.xlsx")
@requires(Perm.SCORE)
def download(area_id, audit_id, agency_id):
    """The return as an offline workbook, in the reader's language."""
    _area, audit, agency = _load_return(area_id, audit_id, agency_id)
    return workbook_response(audit, agency)


def workbook_response(audit, agency) -> Response:
    response = Response(workbook.build(audit, agency, current_language()), mimetype=workbook.XLSX_MIMETYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{workbook.filename(audit, agency)}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/areas/<int:area_id>/audits/<int:audit_id>/agencies/<int:agency_id>/offline/<token>",
          methods=["GET", "POST"])
@requires(Perm.SCORE)
def preview(area_id, audit_id, agency_id, token):
    """What the uploaded workbook would change, with the conflicts; "Save these changes" saves it."""
    area, audit, agency = _load_return(area_id, audit_id, agency_id)
    try:
        upload = workbook.get_upload(audit, agency, token, user=current_user)
    except NotFoundError as error:
        flash(error.message, "error")
        return redirect(url_for("offline.offline", area_id=area.id, audit_id=audit.id, agency_id=agency.id))
    form = ConfirmChangesForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            result = workbook.apply_upload(audit, agency, upload, user=current_user)
        except ConflictError as error:
            flash(error.message, "error")
            return redirect(url_for("offline.offline", area_id=area.id, audit_id=audit.id, agency_id=agency.id))
        message = ngettext("%(num)d answer from the workbook is saved.", "%(num)d answers from the workbook are saved.",
                           len(result.saved))
        if result.conflicts:
            message += " " + _("Not saved, because they were changed online after the download: %(codes)s. "
                               "Check them on the scoring pages.", codes=", ".join(result.conflicts))
        flash(message, "success")
        return redirect(url_for("audits.detail", area_id=area.id, audit_id=audit.id) + f"#agency-{agency.id}")
    rows = workbook.preview(audit, upload, current_language())
    return render_template("audits/offline_preview.html", area=area, audit=audit, agency=agency, rows=rows,
                           changes=[r for r in rows if not r.conflict], conflicts=[r for r in rows if r.conflict],
                           confirm_form=form, upload=upload, scale=services.framework_of(audit).scale)


# -- the imported baseline ----------------------------------------------------------------------


class ImportedBaselineForm(FlaskForm):
    completed_on = DayMonthYearField(_l("Date the baseline audit was completed"),
                                     required_message=_l("Enter the date the baseline audit was completed"),
                                     description=_l("For example, 27 3 2024. A real date, not in the future."))
    title = StringField(_l("Title (optional)"), widget=GovTextInput(),
                        description=_l("For example, “Paper baseline 2024”."))
    note = TextAreaField(_l("Where was it done? (optional)"), widget=GovTextArea(),
                         description=_l("For example, “On the NSPCC’s spreadsheet, agreed at the board on 27 March "
                                        "2024”. Shown with the baseline."))
    schedule_reaudits = BooleanField(_l("Schedule re-audits from this baseline"), widget=GovCheckboxInput(),
                                     description=_l("T2 six months and T3 twelve months after its date, with the "
                                                    "usual reminders. Leave it unticked to open the next audit "
                                                    "when you choose."))
    submit = SubmitField(_l("Record the imported baseline"), widget=GovSubmitInput())


def _framework_choice():
    slugs = [f.slug for f in services.catalogue().all()]
    asked = request.values.get("framework") or services.DEFAULT_FRAMEWORK
    if asked not in slugs:
        asked = services.DEFAULT_FRAMEWORK
    return services.catalogue().get(asked)


@bp.route("/areas/<int:area_id>/audits/imported-baseline", methods=["GET", "POST"])
@requires(Perm.MANAGE_AREA)
def imported_baseline(area_id):
    """Record a past audit done on paper or in the NSPCC's spreadsheet as the area's closed first cycle."""
    area = set_current_area(loaded("area_id"))
    framework = _framework_choice()
    form = ImportedBaselineForm()
    scores, comments, errors = {}, {}, {}
    if request.method == "POST":
        form.validate()  # (reads the date; the service checks every field, all at once)
        if "csrf_token" in form.errors:
            abort(400)
        scores = {s.code: request.form.get(f"score-{s.code}", "") for s in framework.scored_statements}
        comments = {s.code: request.form.get(f"comment-{s.code}", "") for s in framework.scored_statements}
        date_errors = list(form.completed_on.errors)
        try:
            audit = baselines.create_imported_baseline(
                area, completed_on=form.completed_on.data, scores=scores, comments=comments, note=form.note.data,
                title=form.title.data, framework_slug=framework.slug, schedule_reaudits=form.schedule_reaudits.data,
                user=current_user)
        except ServiceError as error:
            errors = dict(error.fields)
            if date_errors:
                errors["completed_on"] = date_errors[0]
            form.completed_on.errors = [errors["completed_on"]] if "completed_on" in errors else []
            placed = {k: v for k, v in errors.items() if k in ("title", "note")}
            if placed:
                apply_service_errors(form, ServiceError(error.message, placed))
        else:
            flash(_("%(label)s is recorded: the next audit you open compares against it", label=audit.label),
                  "success")
            return redirect(url_for("audits.detail", area_id=area.id, audit_id=audit.id))
    summary = []
    for name, message in errors.items():
        href = {"completed_on": "#completed_on-day", "framework": "#framework", "scores": "#statements"}.get(
            name, f"#{name.replace('.', '-')}")
        summary.append({"text": message, "href": href})
    return render_template(
        "audits/imported_baseline.html", area=area, framework=framework, baseline_form=form, scores=scores,
        comments=comments, errors=errors, summary=summary, lang=current_language(),
        allowed=baselines.may_import(area.id, framework.slug), frameworks=services.catalogue().all(),
        slug=lambda code: code.replace(".", "-"),
    ), 422 if errors else 200

