"""The documents' pages: uploading to a response from the scoring page, linking a document already
uploaded to another statement and removing it from one, and downloading.

The upload posts to its own route and goes back to the statement on the scoring page; a refused file
comes back as errors at their fields (every field in error at once, kept in the session for that one
page view), listed in the page's error summary too. Asked by the page's upload script
(``X-Requested-With: XMLHttpRequest``: static/js/upload-progress.js, which shows the upload's progress),
the route answers ``{"location": url}`` instead of the redirect, so that the script loads that page itself
(a redirect followed by the script would show the page, and use up the kept errors, out of sight)."""

from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from hsbtrack.areas.roles import Perm
from hsbtrack.audits import loaders as audit_loaders  # noqa: F401  (the audit_id loader)
from hsbtrack.audits import services as audits
from hsbtrack.documents import loaders, services  # noqa: F401  (the document_id loader)
from hsbtrack.documents.forms import DocumentUploadForm
from hsbtrack.documents.models import RESPONSE, Document
from hsbtrack.errors import ForbiddenError, NotFoundError, ServiceError
from hsbtrack.permissions import loaded, requires
from hsbtrack.storage.limits import takes_documents
from hsbtrack.views_support import form_error_summary

bp = Blueprint("documents", __name__)
# {"code": statement, "errors": {field: message}, "title": typed, "date": [day, month, year]}
ERROR_KEY = "document_upload_error"
RECONFIRM_ERROR_KEY = "document_reconfirm_error"  # (hsbtrack.documents.carry_over's: a refused "Replace")
FIELDS = ("file", "title", "effective_on")


def slug(code: str) -> str:
    return code.replace(".", "-")




def link_counts(document_ids) -> dict[int, int]:
    """``{document id: how many links it has}``, one query, kept for the request."""
    return services.link_counts(document_ids, g.setdefault("document_link_counts", {}))


# -- template helpers of the scoring page (no query of their own but the link counts) -------------


def document_link_choices(docs_by_code: dict, code: str, carried=()) -> list[Document]:
    """The agency's documents in this audit not yet linked to ``code`` (nor waiting there to be
    re-confirmed), by title: those it may link to this statement too."""
    here = {d.id for d in docs_by_code.get(code, [])} | {d.id for d in carried}
    seen, choices = set(here), []
    for docs in docs_by_code.values():
        for document in docs:
            if document.id not in seen and document.kind == RESPONSE:  # (not a shared answer's: its own pages)
                seen.add(document.id)
                choices.append(document)
    return sorted(choices, key=lambda d: (d.title.casefold(), d.id))


def document_other_codes(docs_by_code: dict) -> dict[int, list[str]]:
    """``{document id: [codes]}``: the statements of this audit each document is linked to."""
    codes: dict[int, list[str]] = {}
    for code, docs in docs_by_code.items():
        for document in docs:
            codes.setdefault(document.id, []).append(code)
    return codes


def _pending_upload_error(code):
    """The kept errors of the last refused upload when it was ``code``'s (taken from the session once,
    then kept for the request: the page's title, its error summary and the form all show them)."""
    cache = g.setdefault("document_upload_errors", {})
    if code not in cache:
        error = session.get(ERROR_KEY)
        if error and error.get("code") == code:
            session.pop(ERROR_KEY, None)
            if "errors" not in error:  # (kept by the previous release: one field)
                error = {**error, "errors": {error.get("field", "file"): error.get("message", "")}}
            cache[code] = error
        else:
            cache[code] = None
    return cache[code]


def upload_form(code) -> DocumentUploadForm:
    """The upload form of one statement, with the errors of the last refused upload if it was this one.
    Its fields' ids are the page's (``documents-<slug>-file`` …), for the error summary's links."""
    form = DocumentUploadForm(formdata=None, prefix=f"documents-{slug(code)}")
    error = _pending_upload_error(code)
    if error:
        form.title.data = error.get("title", "")
        form.effective_on._raw_parts = error.get("date")
        for field, message in error["errors"].items():
            getattr(form, field if field in FIELDS else "file").errors = [message]
    return form


def document_error_summary(codes) -> list[dict]:
    """The error summary's items (``{"text", "href"}``) for the scoring page showing ``codes``: the
    refused upload's errors (each linking to its field; a date to its day box) and a refused "Replace" of
    a document carried from the previous cycle. Empty when there is none."""
    items = []
    for code in codes:
        if _pending_upload_error(code):
            for item in form_error_summary(upload_form(code), {})["errorList"]:
                items.append({"text": f"{code}: {item['text']}", "href": item["href"]})
    replace = session.get(RECONFIRM_ERROR_KEY)  # (read, not taken: the document's own block takes it)
    if replace and replace.get("code") in codes:
        items.append({"text": f"{replace['code']}: {replace['message']}",
                      "href": f"#reconfirm-{replace['document_id']}-{slug(replace['code'])}-file"})
    return items


for _helper in (document_link_choices, document_other_codes, document_error_summary):
    bp.add_app_template_global(_helper)
bp.add_app_template_global(link_counts, "document_link_counts")


# -- pages ------------------------------------------------------------------------------------


def _scoring_url(audit, agency_id, code, anchor):
    try:
        number = audits.framework_of(audit).statement(code).domain_number
    except KeyError:
        abort(404)
    url = url_for("audits.score", area_id=audit.area_id, audit_id=audit.id, agency_id=agency_id, number=number)
    return f"{url}#{anchor}"


def _go(url):
    """Back to the page: a redirect, or for the page's upload script the address to load."""
    if request.headers.get("X-Requested-With") == "XMLHttpRequest":
        return jsonify(location=url)
    return redirect(url)


def _anchor(code, field):
    return f"documents-{slug(code)}-{field}" + ("-day" if field == "effective_on" else "")


@bp.route("/areas/<int:area_id>/audits/<int:audit_id>/agencies/<int:agency_id>/statements/<code>/documents",
          methods=["POST"])
@requires(Perm.SCORE)
@takes_documents
def upload(area_id, audit_id, agency_id, code):
    audit = loaded("audit_id")
    _scoring_url(audit, agency_id, code, "")  # (404 for a code not in the framework)
    form = DocumentUploadForm()
    upload = form.file.data
    errors = {}
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        errors = {field: str(messages[0]) for field, messages in form.errors.items() if field in FIELDS}
        if not upload:  # every error at once: the date's and the missing file's
            errors = {"file": _("Choose a file to upload"), **errors}
    else:
        try:
            services.upload_to_response(audit, agency_id, code, upload.stream if upload else None,
                                        upload.filename if upload else None, title=form.title.data,
                                        effective_on=form.effective_on.data, user=current_user)
        except ServiceError as error:
            if isinstance(error, NotFoundError | ForbiddenError):
                raise
            errors = dict(error.fields) or {"file": error.message}
            if "file" not in errors and not upload:
                errors = {"file": _("Choose a file to upload"), **errors}
    if errors:
        errors = {field: errors[field] for field in sorted(errors, key=lambda f: FIELDS.index(f) if f in FIELDS
                                                             else -1)}
        session[ERROR_KEY] = {"code": code, "errors": errors, "title": form.title.data or "",
                              "date": form.effective_on.parts()}
        return _go(_scoring_url(audit, agency_id, code, _anchor(code, next(iter(errors)))))
    return _go(_scoring_url(audit, agency_id, code, f"documents-{slug(code)}"))


@bp.route("/areas/<int:area_id>/audits/<int:audit_id>/agencies/<int:agency_id>/statements/<code>/documents/link",
          methods=["POST"])
@requires(Perm.SCORE)
def link(area_id, audit_id, agency_id, code):
    """Link one of the agency's documents already uploaded (to another statement) to this statement's
    response: no bytes copied."""
    audit = loaded("audit_id")
    back = _scoring_url(audit, agency_id, code, f"documents-{slug(code)}")
    raw = request.form.get("document_id", "")
    document = services.get_document(int(raw)) if raw.isdigit() else None
    try:
        if document is None or document.agency_id != agency_id:
            raise NotFoundError.field("document_id", _("Choose one of the documents listed"))
        services.link_document(document, audit, code, user=current_user)
    except NotFoundError as error:  # (gone to the bin meanwhile, or not one of the agency's)
        if "document_id" not in error.fields:
            raise
        flash(error.fields["document_id"], "error")
    return redirect(back)


UNLINK = "/areas/<int:area_id>/audits/<int:audit_id>/statements/<code>/documents/<int:document_id>/unlink"


@bp.route(UNLINK, methods=["GET", "POST"])
@requires(Perm.SCORE)
def unlink(area_id, audit_id, code, document_id):
    """"Remove from this statement": GET asks first (what removing means: only this link, or the bin when
    it is linked nowhere else); POST removes. (The agency is the document's: a URL naming it too could
    name two agencies.)"""
    audit, document = loaded("audit_id"), loaded("document_id")
    link = services.find_response_link(audit, document.agency_id, code, document)
    back = _scoring_url(audit, document.agency_id, code, f"documents-{slug(code)}")
    if request.method == "GET":
        others = sorted({lk.code for lk in document.links if lk is not link and lk.audit_id == audit.id and lk.code})
        return render_template("documents/unlink.html", area=loaded("area_id"), audit=audit, document=document,
                               code=code, back=back, to_bin=len(document.links) <= 1, others=others)
    if services.remove_link(link, user=current_user):
        flash(_("“%(title)s” is in the bin: it can be restored from there for %(n)d days", title=document.title,
                n=services.BIN_DAYS), "success")
    return redirect(back)


@bp.route("/documents/<int:document_id>/content")
@requires(Perm.READ_OWN_RESPONSES)
def content(document_id):
    """The file, as a download, for the readers of the responses it is attached to (404 for others)."""
    return services.download(loaded("document_id"))
