"""The documents part of the API: documents attached to an agency's response, their versions, their
content (an attachment, after the permission check) and the bin.

Thin, like every API module: the rules are in :mod:`hsbtrack.documents.services`; the shared loaders
(``audit_id``, ``agency_id``, ``document_id``) find and check the records before the body is read.
"""

import marshmallow as ma
from flask import request
from flask_babel import gettext as _

from hsbtrack.api.auth import api_blueprint, current_api_user
from hsbtrack.areas.roles import Perm
from hsbtrack.audits import loaders as audit_loaders  # noqa: F401  (the audit_id loader)
from hsbtrack.documents import loaders, services  # noqa: F401  (the document_id loader)
from hsbtrack.errors import NotFoundError, ServiceError
from hsbtrack.permissions import loaded, requires
from hsbtrack.storage.limits import takes_documents

bp = api_blueprint("api_documents", __name__, "Documents behind agencies' responses: upload, versions, download, bin")




class DocumentSchema(ma.Schema):
    id = ma.fields.Integer()
    title = ma.fields.String()
    filename = ma.fields.Function(lambda d: d.latest.filename, metadata={"type": "string"})
    content_type = ma.fields.Function(lambda d: d.latest.content_type, metadata={
        "type": "string", "description": "Decided from the file's content, not its name"})
    size = ma.fields.Function(lambda d: d.latest.size, metadata={"type": "integer", "description": "Bytes"})
    effective_on = ma.fields.Date(allow_none=True, metadata={
        "description": "The date the document speaks for (not the day it was uploaded)"})
    version = ma.fields.Function(lambda d: d.latest.number, metadata={"type": "integer"})
    agency_id = ma.fields.Integer(allow_none=True, metadata={"description": "The owning agency"})
    sha256 = ma.fields.Function(lambda d: d.latest.sha256, metadata={"type": "string"})


class VersionSchema(ma.Schema):
    document_id = ma.fields.Integer()
    version = ma.fields.Integer(attribute="number")
    filename = ma.fields.String()
    content_type = ma.fields.String()
    size = ma.fields.Integer()
    sha256 = ma.fields.String()


class FileInSchema(ma.Schema):
    file = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class DocumentFormSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    title = ma.fields.String(load_default=None, metadata={"description": "Default: the file's name"})
    effective_on = ma.fields.String(load_default=None, metadata={
        "format": "date", "description": "ISO date the document speaks for"})


class DocumentUploadSchema(FileInSchema, DocumentFormSchema):
    """The upload as the OpenAPI document shows it: one multipart body with the file and its fields."""


# the multipart request body of every document upload of the API (this module's, the partnership's, the shared answers')
UPLOAD_BODY = {"required": True, "content": {"multipart/form-data": {"schema": DocumentUploadSchema}}}


class FileOrNoneSchema(ma.Schema):
    file = ma.fields.Raw(load_default=None, metadata={"type": "string", "format": "binary"})


class LinkFormSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    document_id = ma.fields.Integer(load_default=None, metadata={
        "description": "Instead of ``file``: link this document of the agency's, already uploaded (to another "
                       "statement), to this response (no bytes copied)"})


class ResponseDocumentSchema(DocumentFormSchema, LinkFormSchema):
    """A response's new document as the OpenAPI document shows it: a file and its fields, or the id of a
    document already uploaded."""

    file = ma.fields.Raw(metadata={"type": "string", "format": "binary", "description": "Or ``document_id``"})


_RESPONSE_BODY = {"required": True, "content": {"multipart/form-data": {"schema": ResponseDocumentSchema}}}


def _file_content(description):
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {"200": {"description": description, "content": {kind: binary for kind in services.ALLOWED_TYPES}}}


@bp.post("/audits/<int:audit_id>/responses/<int:agency_id>/<code>/documents")
@requires(Perm.SCORE)
@bp.arguments(FileOrNoneSchema, location="files")
@bp.doc(requestBody=_RESPONSE_BODY)
@bp.response(201, DocumentSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
@takes_documents
def upload(files, audit_id, agency_id, code):
    """Attach a document to an agency's response to a statement (multipart: ``file``, ``title``,
    ``effective_on``), or link one of the agency's documents already uploaded (``document_id``).

    The type is decided from the content (PDF, DOCX, XLSX, ODT, ODS, PNG, JPEG, CSV, TXT); a file whose
    content is not what its name says (a ``.pdf`` holding a web page) answers 422 with ``fields.file``,
    as does one over the document size limit. With ``document_id`` instead of ``file``, that document
    (already attached to another statement of the agency's, in this audit or another of the area) is
    linked here too, without copying its bytes (linking it again changes nothing). Both, or neither:
    422 with ``fields.file``.
    """
    upload = files["file"]
    try:
        document_id = LinkFormSchema().load(request.form)["document_id"]
    except ma.ValidationError as error:
        raise ServiceError.field("document_id", " ".join(error.messages.get("document_id", []))) from None
    if (upload is None) == (document_id is None):
        raise ServiceError.field("file", _("Send either a file or the id of a document already uploaded"))
    audit = loaded("audit_id")
    if document_id is not None:
        document = services.get_document(document_id)
        if document is None or document.agency_id != agency_id:
            raise NotFoundError.field("document_id", _("Choose one of the documents listed"))
        services.link_document(document, audit, code, user=current_api_user())
        return document
    form = DocumentFormSchema().load(request.form)  # (the multipart body's other fields)
    return services.upload_to_response(audit, agency_id, code, upload.stream, upload.filename,
                                       title=form.get("title"), effective_on=form.get("effective_on"),
                                       user=current_api_user())


@bp.get("/audits/<int:audit_id>/responses/<int:agency_id>/<code>/documents")
@requires(Perm.READ_OWN_RESPONSES)
@bp.response(200, DocumentSchema(many=True))
@bp.alt_response(404, response="NOT_FOUND")
def list_documents(audit_id, agency_id, code):
    """The documents attached to an agency's response to a statement."""
    return services.documents_for_response(loaded("audit_id"), agency_id, code)


@bp.delete("/audits/<int:audit_id>/responses/<int:agency_id>/<code>/documents/<int:document_id>")
@requires(Perm.SCORE)
@bp.response(204)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
def unlink(audit_id, agency_id, code, document_id):
    """Remove a document from an agency's response to a statement: only that link goes, the document stays
    linked wherever else it is (other statements, other audits). When that was its only link, the document
    goes to the bin instead (restorable for 30 days, still linked here), as on the scoring page. 404 when
    the document is not linked to this response."""
    link = services.find_response_link(loaded("audit_id"), agency_id, code, loaded("document_id"))
    services.remove_link(link, user=current_api_user())


@bp.get("/documents/<int:document_id>")
@requires(Perm.READ_OWN_RESPONSES)
@bp.response(200, DocumentSchema)
@bp.alt_response(404, response="NOT_FOUND")
def get_document(document_id):
    """A document's metadata (its latest version)."""
    return loaded("document_id")


@bp.get("/documents/<int:document_id>/content")
@requires(Perm.READ_OWN_RESPONSES)
@bp.response(200)
@bp.doc(responses=_file_content("The latest version's bytes, as an attachment"))
@bp.alt_response(404, response="NOT_FOUND")
def content(document_id):
    """The document's file, as a download (for those who read the responses it is attached to)."""
    return services.download(loaded("document_id"))


@bp.post("/documents/<int:document_id>/versions")
@requires(Perm.SCORE)
@bp.arguments(FileInSchema, location="files")
@bp.response(201, VersionSchema)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
@takes_documents
def add_version(files, document_id):
    """A new version of the document's file; the earlier versions are kept."""
    upload = files["file"]
    return services.add_version(loaded("document_id"), upload.stream, upload.filename, user=current_api_user())


@bp.delete("/documents/<int:document_id>")
@requires(Perm.SCORE)
@bp.response(204)
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
def delete_document(document_id):
    """Move the document to the bin (restorable; in the history)."""
    services.delete_document(loaded("document_id"), user=current_api_user())
