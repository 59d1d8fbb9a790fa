"""The documents' pages: uploading to a response from the scoring page, and downloading.

The upload posts to its own route and goes back to the statement on the scoring page; a refused file
comes back as an error at the file field (kept in the session for that one page view)."""

from flask import Blueprint, abort, redirect, request, session, url_for
from flask_login import current_user

from hsbtrack.areas.roles import Perm
from hsbtrack.audits import loaders as audit_loaders  # noqa: F401  (the audit_id loader)
from hsbtrack.audits import services as audits
from hsbtrack.documents import loaders, services  # noqa: F401  (the document_id loader)
from hsbtrack.documents.forms import DocumentUploadForm
from hsbtrack.errors import ServiceError
from hsbtrack.permissions import loaded, requires

bp = Blueprint("documents", __name__)
ERROR_KEY = "document_upload_error"


def slug(code: str) -> str:
    return code.replace(".", "-")


@bp.before_request
def _document_size_limit():
    if request.method == "POST":
        request.max_content_length = services.max_bytes() + 1024 * 1024


@bp.route("/areas/<int:area_id>/audits/<int:audit_id>/agencies/<int:agency_id>/statements/<code>/documents",
          methods=["POST"])
@requires(Perm.SCORE)
def upload(area_id, audit_id, agency_id, code):
    audit = loaded("audit_id")
    framework = audits.framework_of(audit)
    try:
        statement = framework.statement(code)
    except KeyError:
        abort(404)
    form = DocumentUploadForm()
    back = url_for("audits.score", area_id=area_id, audit_id=audit_id, agency_id=agency_id,
                   number=statement.domain_number)
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        field, message = "effective_on", str(form.effective_on.errors[0])
        session[ERROR_KEY] = {"code": code, "field": field, "message": message,
                              "title": form.title.data or "", "date": form.effective_on.parts()}
        return redirect(f"{back}#documents-{slug(code)}-effective_on-day")
    upload = form.file.data
    try:
        services.upload_to_response(audit, agency_id, code, upload.stream if upload else None,
                                    upload.filename if upload else None, title=form.title.data,
                                    effective_on=form.effective_on.data, user=current_user)
    except ServiceError as error:
        field = next(iter(error.fields or {"file": None}))
        message = (error.fields or {}).get(field) or error.message
        session[ERROR_KEY] = {"code": code, "field": field, "message": message,
                              "title": form.title.data or "", "date": form.effective_on.parts()}
        anchor = f"documents-{slug(code)}-{field}" + ("-day" if field == "effective_on" else "")
        return redirect(f"{back}#{anchor}")
    return redirect(f"{back}#documents-{slug(code)}")


@bp.route("/documents/<int:document_id>/content")
@requires(Perm.READ_OWN_RESPONSES)
def content(document_id):
    """The file, as a download, for the readers of the responses it is attached to (404 for others)."""
    return services.download(loaded("document_id"))
