"""The pages and API of documents carried into a re-audit (:mod:`hsbtrack.documents.carry_over`): "Still
current", "Replace" and "Remove from this audit" for each document waiting to be re-confirmed, on the
scoring page (an agency's) or the moderation statement page (the partnership's), and in the API."""

from flask import Blueprint, redirect, request, session, url_for
from flask_login import current_user

from hsbtrack.api.auth import api_blueprint, current_api_user
from hsbtrack.areas.roles import Perm
from hsbtrack.audits import loaders as audit_loaders  # noqa: F401  (the audit_id loader)
from hsbtrack.audits import services as audits
from hsbtrack.documents import kinds, loaders, services  # noqa: F401  (the document_id loader)
from hsbtrack.documents.api import DocumentSchema, FileInSchema
from hsbtrack.documents.carry_over import (
    API,
    ERROR_KEY,
    VIEWS,
    confirm,
    find_link,
    reconfirm_error,
    remove,
    replace,
    to_reconfirm,
)
from hsbtrack.errors import ServiceError
from hsbtrack.permissions import loaded, requires
from hsbtrack.storage.limits import takes_documents

# -- pages ------------------------------------------------------------------------------------

bp = Blueprint(VIEWS, __name__)
# (the agency is the document's: a URL naming it too could name two agencies)
PAGE = "/areas/<int:area_id>/audits/<int:audit_id>/statements/<code>/documents/<int:document_id>"


def _page_link(code):
    return find_link(loaded("audit_id"), code, loaded("document_id"))


def _back(area_id, audit_id, code, anchor=None):
    agency_id = loaded("document_id").agency_id
    if agency_id is None:  # the partnership's document: back to the statement's page (moderation)
        url = url_for("moderation.statement", area_id=area_id, audit_id=audit_id, code=code)
        return redirect(f"{url}#{anchor or 'partnership-documents'}")
    audit = loaded("audit_id")
    try:
        number = audits.framework_of(audit).statement(code).domain_number
    except KeyError:
        number = 1
    url = url_for("audits.score", area_id=area_id, audit_id=audit_id, agency_id=agency_id, number=number)
    return redirect(f"{url}#{anchor or 'documents-' + code.replace('.', '-')}")


@bp.route(PAGE + "/confirm", methods=["POST"])
@requires(Perm.SCORE)
def confirm_page(area_id, audit_id, code, document_id):
    confirm(_page_link(code), user=current_user)
    return _back(area_id, audit_id, code)


@bp.route(PAGE + "/replace", methods=["POST"])
@requires(Perm.SCORE)
@takes_documents
def replace_page(area_id, audit_id, code, document_id):
    link = _page_link(code)
    upload = request.files.get("replacement")
    try:
        replace(link, upload.stream if upload and upload.filename else None, upload.filename if upload else None,
                user=current_user)
    except ServiceError as error:
        message = (error.fields or {}).get("file") or error.message
        session[ERROR_KEY] = {"code": code, "document_id": document_id, "message": message}
        return _back(area_id, audit_id, code, f"reconfirm-{document_id}-{code.replace('.', '-')}-file")
    return _back(area_id, audit_id, code)


@bp.route(PAGE + "/remove", methods=["POST"])
@requires(Perm.SCORE)
def remove_page(area_id, audit_id, code, document_id):
    remove(_page_link(code), user=current_user)
    return _back(area_id, audit_id, code)


# -- the API ----------------------------------------------------------------------------------

api_bp = api_blueprint(API, __name__, "Documents carried into a re-audit: confirm, replace or unlink")
# a document's link to its agency's response to a statement of an audit
RESPONSE_DOCUMENT = "/audits/<int:audit_id>/statements/<code>/documents/<int:document_id>"


def _api_link(code):
    return find_link(loaded("audit_id"), code, loaded("document_id"))


@api_bp.post(RESPONSE_DOCUMENT + "/confirm")
@requires(Perm.SCORE)
@api_bp.response(200, DocumentSchema)
@api_bp.alt_response(403, response="FORBIDDEN")
@api_bp.alt_response(404, response="NOT_FOUND")
@api_bp.alt_response(409, response="CONFLICT")
def confirm_api(audit_id, code, document_id):
    """"Still current": a document carried from the previous cycle ("to re-confirm") is linked to this
    audit's response as it is (no new version, no bytes copied)."""
    link = confirm(_api_link(code), user=current_api_user())
    return link.document


@api_bp.post(RESPONSE_DOCUMENT + "/replace")
@requires(Perm.SCORE)
@api_bp.arguments(FileInSchema, location="files")
@api_bp.response(201, DocumentSchema)
@api_bp.alt_response(403, response="FORBIDDEN")
@api_bp.alt_response(404, response="NOT_FOUND")
@api_bp.alt_response(409, response="CONFLICT")
@api_bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
@takes_documents
def replace_api(files, audit_id, code, document_id):
    """"Replace": a new version of a document carried from the previous cycle (multipart ``file``; the
    earlier versions are kept), then linked to this audit's response."""
    link = _api_link(code)
    upload = files["file"]
    replace(link, upload.stream, upload.filename, user=current_api_user())
    return link.document


@api_bp.delete(RESPONSE_DOCUMENT)
@requires(Perm.SCORE)
@api_bp.response(204)
@api_bp.alt_response(403, response="FORBIDDEN")
@api_bp.alt_response(404, response="NOT_FOUND")
@api_bp.alt_response(409, response="CONFLICT")
def remove_api(audit_id, code, document_id):
    """"Remove from this audit": unlink the document from this audit's response only (the document and
    its other links, such as the previous cycle's, stay; in the history)."""
    remove(_api_link(code), user=current_api_user())


def register(app, api):
    app.register_blueprint(bp)
    api.register_blueprint(api_bp)
    app.jinja_env.globals["documents_to_reconfirm"] = to_reconfirm
    app.jinja_env.globals["document_reconfirm_error"] = reconfirm_error
