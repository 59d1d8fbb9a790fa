"""Documents behind a shared answer (issue 20): a partner organisation's lead attaches a document to its
shared answer to a statement once, and it shows behind that statement's response of the organisation's
agency in every linked area's audit (the statement page, the moderation grid, the evidence index, the
inspection pack), to whoever may read that agency's documents there.

- **One document, many links.** The document is stored once (one version, its bytes scanned as any
  upload's: :func:`hsbtrack.documents.services._store`) and linked to the agency's response to the
  statement in each linked audit that is open (``document_links``: audit, agency there, code): the
  pages of the areas read it as any agency's document. Attaching it to 32 areas takes a fixed number
  of SQL statements (the document, its version, the links and the history, each one insert). A closed
  audit keeps the links it had; an area's exception has documents of its own (the area's agency's
  ordinary documents, uploaded from the exception's page) and still shows the shared ones.
- **Who.** The ``shared`` kind (:mod:`hsbtrack.documents.kinds`): read by the readers of the
  organisation's agency's responses in any linked area (an agency lead of another agency reads none);
  changed by the organisation's leads (and administrators), on the shared return's pages and API only:
  the generic document routes that change a document are administrators' for this kind. Its download
  URL names no area (``across_areas``): the wall decides.
- **History.** Each area's history records the document (entity ``document``, with its audit), and the
  organisation's history page lists it once (:data:`hsbtrack.organisations.services.HISTORY_SOURCES`).
"""

from flask import Blueprint, abort, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import and_, delete, insert, select
from sqlalchemy.orm import aliased, selectinload

from hsbtrack.api.auth import api_blueprint, current_api_user
from hsbtrack.areas.roles import Perm
from hsbtrack.audits import services as audits
from hsbtrack.audits.models import Audit
from hsbtrack.documents import kinds, services
from hsbtrack.documents.api import UPLOAD_BODY, DocumentFormSchema, DocumentSchema, FileInSchema
from hsbtrack.documents.forms import DocumentUploadForm
from hsbtrack.documents.models import LINKED, RESPONSE, SHARED, Document, DocumentLink, DocumentVersion
from hsbtrack.errors import ConflictError, NotFoundError, ServiceError
from hsbtrack.extensions import db
from hsbtrack.history import services as history
from hsbtrack.history.models import HistoryEntry
from hsbtrack.organisations import (
    loaders as organisation_loaders,  # noqa: F401  (the shared_return_id loader)
)
from hsbtrack.organisations import services as organisations
from hsbtrack.organisations.models import ORGANISATION_LEAD, OrganisationArea, SharedReturnAudit
from hsbtrack.permissions import can, grants_for, loaded, requires
from hsbtrack.storage.limits import takes_documents
from hsbtrack.timeutil import utcnow

VIEWS = "shared_documents"
API = "api_shared_documents"
ERROR_KEY = "shared_document_error"


# -- the kind ----------------------------------------------------------------------------------


def organisation_of(document) -> int | None:
    """The organisation whose document it is: the one linked to its agency (or to an agency of its links:
    its first area may have been unlinked since). One query."""
    agency_ids = {document.agency_id} | {link.agency_id for link in document.links if link.agency_id is not None}
    return db.session.scalar(select(OrganisationArea.organisation_id).where(
        OrganisationArea.agency_id.in_([a for a in agency_ids if a is not None])).limit(1))


def _reading_pairs(organisation_id) -> list[tuple[int, int]]:
    """``[(area_id, agency_id)]``: the organisation's agency in each linked area (one query)."""
    return list(db.session.execute(select(OrganisationArea.area_id, OrganisationArea.agency_id).where(
        OrganisationArea.organisation_id == organisation_id)).all())


def _may_read(user, document) -> bool:
    if grants_for(user).is_admin:
        return True
    organisation_id = organisation_of(document)
    return organisation_id is not None and any(
        can(user, Perm.READ_OWN_RESPONSES, area_id, agency_id) for area_id, agency_id in _reading_pairs(organisation_id))


def _may_change(user, document) -> bool:
    if grants_for(user).is_admin:
        return True
    organisation_id = organisation_of(document)
    return organisation_id is not None and organisations.has_role(user, organisation_id, ORGANISATION_LEAD)


def _wall(document):
    return lambda user: _may_read(user, document)


KIND = kinds.register(kinds.DocumentKind(
    SHARED, may_read=_may_read, may_change=_may_change, wall=_wall, across_areas=True,
    # read: the wall; change: the shared return's own routes (the generic ones: administrators)
    permission_for={Perm.READ_OWN_RESPONSES: Perm.SIGNED_IN, Perm.SCORE: Perm.ADMIN, Perm.MODERATE: Perm.ADMIN},
))


# -- commands ------------------------------------------------------------------------------------


def _statement(shared_return, code):
    framework = audits.catalogue().get(shared_return.framework)
    return audits.scored_statement(framework, code)


def _open_targets(shared_return):
    targets = organisations.open_targets(shared_return)
    if not targets:
        raise ConflictError(_("Every audit this shared return answers is closed: its documents can no longer "
                              "change"))
    return targets


def upload_to_shared_answer(shared_return, code, stream, filename, title=None, effective_on=None,
                            user=None) -> Document:
    """Attach a new document to the shared answer to ``code``: stored once, linked to the organisation's
    agency's response to ``code`` in every linked open audit, in each area's history. A fixed number of
    SQL statements, whatever the number of areas."""
    organisations.require_lead(user, shared_return.organisation_id)
    _statement(shared_return, code)
    targets = _open_targets(shared_return)
    filename = services.clean_filename(filename)
    effective = services._parse_fields(effective_on)
    home = targets[0]
    key, content_type, size, sha = services._store(home.area_id, stream, filename)  # (checked and scanned)
    now, user_id = utcnow(), getattr(user, "id", None)
    document = Document(area_id=home.area_id, agency_id=home.agency_id, kind=SHARED,
                        title=services._title(title, filename), effective_on=effective, created_at=now,
                        created_by_id=user_id)
    document.versions.append(DocumentVersion(number=1, storage_key=key, filename=filename, content_type=content_type,
                                             size=size, sha256=sha, uploaded_at=now, uploaded_by_id=user_id))
    db.session.add(document)
    db.session.flush()
    db.session.execute(insert(DocumentLink), [
        {"document_id": document.id, "audit_id": t.audit_id, "agency_id": t.agency_id, "code": code,
         "action_id": None, "linked_at": now, "linked_by_id": user_id, "status": LINKED, "purpose": None}
        for t in targets])
    changes = {"document": (None, document.title), "filename": (None, filename), "version": (None, 1),
               "linked_to": (None, code)}
    _record(targets, document.id, changes, user_id, now)
    services._commit_or_forget(key)
    return document


def _record(targets, document_id, changes, user_id, now) -> None:
    """The document's change in the history of each target's area (one insert)."""
    db.session.execute(insert(HistoryEntry), [
        {"area_id": t.area_id, "entity": "document", "entity_id": document_id, "audit_id": t.audit_id,
         "code": None, "field": name, "old_value": history._plain(old), "new_value": history._plain(new),
         "user_id": user_id, "at": now}
        for t in targets for name, (old, new) in changes.items()])


def shared_document(shared_return, code, document_id) -> Document:
    """A document of the shared answer to ``code`` (NotFoundError for any other: another statement's,
    another organisation's, an agency's own, one in the bin)."""
    text = str(document_id or "")
    # (a whole number a database id can be: PostgreSQL compares no text with an integer column)
    document = services.get_document(int(text)) if text.isascii() and text.isdigit() and int(text) < 2**31 else None
    if document is None or document.kind != SHARED or document.deleted_at is not None \
            or organisation_of(document) != shared_return.organisation_id:
        raise NotFoundError.field("document_id", _("Choose one of the documents listed"))
    audit_ids = set(db.session.scalars(select(SharedReturnAudit.audit_id).where(
        SharedReturnAudit.shared_return_id == shared_return.id)))
    if not any(link.code == code and link.audit_id in audit_ids for link in document.links):
        raise NotFoundError.field("document_id", _("Choose one of the documents listed"))
    return document


def remove_from_shared_answer(shared_return, code, document, user=None) -> bool:
    """"Remove from this statement": the document's links to ``code`` in the linked open audits go (closed
    audits keep theirs), in each area's history; when it is then linked nowhere, it goes to the bin
    (restorable by an administrator). True when it went to the bin."""
    organisations.require_lead(user, shared_return.organisation_id)
    _statement(shared_return, code)
    targets = _open_targets(shared_return)
    open_ids = {t.audit_id for t in targets}
    going = [link for link in document.links if link.code == code and link.audit_id in open_ids]
    reached = [t for t in targets if t.audit_id in {link.audit_id for link in going}]
    now, user_id = utcnow(), getattr(user, "id", None)
    if going:
        db.session.execute(delete(DocumentLink).where(DocumentLink.id.in_([link.id for link in going])),
                           execution_options={"synchronize_session": False})
        _record(reached, document.id, {"linked_to": (code, None)}, user_id, now)
    left = len(document.links) - len(going)
    db.session.expire(document, ["links"])
    to_bin = left <= 0
    if to_bin:
        document.deleted_at = now
        _record(reached or targets[:1], document.id, {"deleted_at": (None, now), "document": (document.title, None)},
                user_id, now)
    db.session.commit()
    return to_bin


def exception_target(shared_return, area_id):
    """The open audit of ``area_id`` the shared return answers, with the organisation's agency there (the
    response an exception's own documents go to). NotFoundError when it has none open."""
    target = next((t for t in organisations.open_targets(shared_return) if t.area_id == area_id), None)
    if target is None:
        raise NotFoundError(_("This area's audit is not open: its documents can no longer change"))
    return target


def upload_to_exception(shared_return, area_id, code, stream, filename, title=None, effective_on=None,
                        user=None) -> Document:
    """An area's own document for its exception: an ordinary document of the organisation's agency there,
    on its response to ``code`` (read and changed as any of that agency's documents)."""
    organisations.require_lead(user, shared_return.organisation_id)
    _statement(shared_return, code)
    target = exception_target(shared_return, area_id)
    return services.upload_to_response(db.session.get(Audit, target.audit_id), target.agency_id, code, stream,
                                       filename, title=title, effective_on=effective_on, user=user)


# -- reading ----------------------------------------------------------------------------------------


def shared_answer_documents(shared_return) -> dict[str, list[Document]]:
    """``{code: [documents]}`` behind the shared answers: the organisation's shared documents linked to the
    audits of the return (three queries, kept for the request)."""
    cache = g.setdefault("shared_answer_documents", {})
    if shared_return.id in cache:
        return cache[shared_return.id]
    agencies = select(OrganisationArea.agency_id).where(OrganisationArea.organisation_id == shared_return.organisation_id)
    audit_ids = select(SharedReturnAudit.audit_id).where(SharedReturnAudit.shared_return_id == shared_return.id)
    links = db.session.scalars(
        select(DocumentLink).join(Document, Document.id == DocumentLink.document_id)
        .where(Document.kind == SHARED, Document.deleted_at.is_(None), DocumentLink.status == LINKED,
               DocumentLink.audit_id.in_(audit_ids), DocumentLink.agency_id.in_(agencies))
        .options(selectinload(DocumentLink.document).selectinload(Document.versions))
        .order_by(Document.effective_on.desc().nulls_last(), Document.id)).all()
    grouped: dict[str, list[Document]] = {}
    for link in links:
        docs = grouped.setdefault(link.code, [])
        if link.document not in docs:
            docs.append(link.document)
    cache[shared_return.id] = grouped
    return grouped


def exception_documents(shared_return, area_id, code) -> list[Document]:
    """The area's own documents on its response to ``code`` (the agency's, not the shared ones), in the
    audit the return answers there (two queries)."""
    link = db.session.scalar(select(SharedReturnAudit).where(SharedReturnAudit.shared_return_id == shared_return.id,
                                                             SharedReturnAudit.area_id == area_id))
    agency_id = db.session.scalar(select(OrganisationArea.agency_id).where(
        OrganisationArea.organisation_id == shared_return.organisation_id, OrganisationArea.area_id == area_id))
    if link is None or agency_id is None:
        return []
    audit = db.session.get(Audit, link.audit_id)
    return [d for d in services.documents_for_response(audit, agency_id, code) if d.kind == RESPONSE]


def _history_source(organisation_id, returns):
    """The organisation's history (hsbtrack.organisations.services): its shared documents' entries in the
    audits of its shared returns."""
    agencies = select(OrganisationArea.agency_id).where(OrganisationArea.organisation_id == organisation_id)
    linked = aliased(DocumentLink)
    documents = (select(Document.id).join(linked, linked.document_id == Document.id)
                 .where(Document.kind == SHARED, linked.agency_id.in_(agencies)))
    audit_ids = select(SharedReturnAudit.audit_id).where(SharedReturnAudit.shared_return_id.in_(returns))
    return and_(HistoryEntry.entity == "document", HistoryEntry.entity_id.in_(documents),
                HistoryEntry.audit_id.in_(audit_ids))


organisations.HISTORY_SOURCES.append(_history_source)


# -- what the shared return's pages show (template globals: organisations never import documents) ---------


def _slug(code):
    return code.replace(".", "-")


def _error(key):
    """The refused upload kept for the page (``key``: the return, the code and the area if any)."""
    cache = g.setdefault("shared_document_errors", {})
    if key not in cache:
        error = session.get(ERROR_KEY)
        if error and tuple(error.get("key", ())) == key:
            session.pop(ERROR_KEY, None)
        else:
            error = None
        cache[key] = error
    return cache[key]


def _form(prefix, key) -> DocumentUploadForm:
    form = DocumentUploadForm(formdata=None, prefix=prefix)
    error = _error(key)
    if error:
        form.title.data = error.get("title", "")
        form.effective_on._raw_parts = error.get("date")
        for name, message in error["errors"].items():
            getattr(form, name if name in ("file", "title", "effective_on") else "file").errors = [message]
    return form


class Panel:
    """One statement's shared documents on the shared return page: ``documents``, and for its leads while an
    audit is open ``editable`` with the upload ``form`` (prefix ``shared-documents-<slug>``)."""

    def __init__(self, shared_return, code, may_answer, any_open):
        self.code, self.slug = code, _slug(code)
        self.documents = shared_answer_documents(shared_return).get(code, [])
        self.editable = bool(may_answer and any_open)
        self.prefix = f"shared-documents-{self.slug}"
        self.form = _form(self.prefix, (shared_return.id, code, None)) if self.editable else None


def shared_answer_panel(shared_return, code, may_answer, any_open) -> Panel:
    return Panel(shared_return, code, may_answer, any_open)


def shared_return_document_errors(shared_return, framework) -> dict:
    """``{field id: message}`` of a refused upload to one of the return's statements (the page's error
    summary)."""
    error = session.get(ERROR_KEY)
    if not error or tuple(error.get("key", ()))[:1] != (shared_return.id,) or error["key"][2] is not None:
        return {}
    code = error["key"][1]
    form = _form(f"shared-documents-{_slug(code)}", tuple(error["key"]))
    return {(form[name].id + ("-day" if name == "effective_on" else "")): f"{code}: {field.errors[0]}"
            for name, field in ((n, form[n]) for n in ("file", "title", "effective_on")) if field.errors}


def exception_panel(shared_return, area, code, may_answer) -> Panel:
    """The exception page's documents: the area's own on its response to ``code`` (each with the link to
    remove it from the area's scoring page), and for the leads while the area's audit is open, the upload
    form; ``audit_id`` the area's audit."""
    cache = g.setdefault("shared_exception_panels", {})
    if (shared_return.id, area.id, code) in cache:
        return cache[shared_return.id, area.id, code]
    panel = Panel.__new__(Panel)
    panel.code, panel.slug = code, _slug(code)
    panel.documents = exception_documents(shared_return, area.id, code)
    target = next((t for t in organisations.open_targets(shared_return) if t.area_id == area.id), None)
    panel.audit_id = target.audit_id if target else None
    panel.editable = bool(may_answer and target is not None)
    panel.prefix = "exception-documents"
    panel.form = _form(panel.prefix, (shared_return.id, code, area.id)) if panel.editable else None
    cache[shared_return.id, area.id, code] = panel
    return panel


# -- pages -------------------------------------------------------------------------------------

bp = Blueprint(VIEWS, __name__)
PAGE = "/shared-returns/<int:shared_return_id>/statements/<code>/documents"
EXCEPTION_PAGE = "/shared-returns/<int:shared_return_id>/statements/<code>/areas/<int:area_id>/documents"


def _statement_or_404(shared_return, code):
    try:
        return _statement(shared_return, code)
    except ServiceError:
        abort(404)


def _keep(key, form, errors):
    session[ERROR_KEY] = {"key": list(key), "errors": errors, "title": form.title.data or "",
                          "date": form.effective_on.parts()}


def _upload_from(form, key, command):
    """Validate the form and call ``command(stream, filename, title, effective_on)``; a refusal is kept for
    the page. True when saved."""
    upload = form.file.data
    errors = {}
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        errors = {name: str(messages[0]) for name, messages in form.errors.items()
                  if name in ("file", "title", "effective_on")}
        if not upload:
            errors = {"file": _("Choose a file to upload"), **errors}
    else:
        try:
            command(upload.stream if upload else None, upload.filename if upload else None, form.title.data,
                    form.effective_on.data)
        except NotFoundError as error:
            if not error.fields:
                raise
            errors = dict(error.fields)
        except ConflictError as error:  # (every audit closed meanwhile)
            errors = dict(error.fields) or {"file": error.message}
        except ServiceError as error:
            if error.status == 403:
                raise
            errors = dict(error.fields) or {"file": error.message}
            if "file" not in errors and not upload:
                errors = {"file": _("Choose a file to upload"), **errors}
    if errors:
        db.session.rollback()
        _keep(key, form, errors)
        return False
    return True


def _back_to_return(shared_return, code):
    return redirect(url_for("organisations.shared_return", shared_return_id=shared_return.id)
                    + f"#shared-documents-{_slug(code)}")


@bp.route(PAGE, methods=["POST"])
@requires(Perm.SIGNED_IN)
@takes_documents
def upload(shared_return_id, code):
    """Attach a document to the shared answer to ``code``: once, for every linked open audit."""
    shared_return = loaded("shared_return_id")
    _statement_or_404(shared_return, code)
    form = DocumentUploadForm(prefix=f"shared-documents-{_slug(code)}")
    if _upload_from(form, (shared_return.id, code, None), lambda stream, name, title, day: upload_to_shared_answer(
            shared_return, code, stream, name, title=title, effective_on=day, user=current_user)):
        flash(_("The document is behind the answer to %(code)s in every linked open audit", code=code), "success")
    return _back_to_return(shared_return, code)


@bp.route(PAGE + "/remove", methods=["POST"])
@requires(Perm.SIGNED_IN)
def remove(shared_return_id, code):
    """Take a document off the shared answer to ``code`` (in every linked open audit)."""
    shared_return = loaded("shared_return_id")
    _statement_or_404(shared_return, code)
    try:
        document = shared_document(shared_return, code, request.form.get("document_id"))
    except NotFoundError:
        flash(_("That document is no longer behind the answer to %(code)s", code=code), "info")
        return _back_to_return(shared_return, code)
    if remove_from_shared_answer(shared_return, code, document, user=current_user):
        flash(_("“%(title)s” is in the bin: an administrator can restore it for %(n)d days", title=document.title,
                n=services.BIN_DAYS), "success")
    else:
        flash(_("“%(title)s” is no longer behind the answer to %(code)s", title=document.title, code=code), "success")
    return _back_to_return(shared_return, code)


@bp.route(EXCEPTION_PAGE, methods=["POST"])
@requires(Perm.SIGNED_IN)
@takes_documents
def exception_upload(shared_return_id, code, area_id):
    """The area's own document for its exception on ``code``."""
    shared_return, area = loaded("shared_return_id"), loaded("area_id")
    _statement_or_404(shared_return, code)
    if area.id not in {link.area_id for link in shared_return.audits}:
        abort(404)
    form = DocumentUploadForm(prefix="exception-documents")
    if _upload_from(form, (shared_return.id, code, area.id), lambda stream, name, title, day: upload_to_exception(
            shared_return, area.id, code, stream, name, title=title, effective_on=day, user=current_user)):
        flash(_("The document is behind the answer of %(area)s to %(code)s", area=area.display_name, code=code),
              "success")
    return redirect(url_for("organisations.exception", shared_return_id=shared_return.id, code=code, area_id=area.id)
                    + "#exception-documents")


# -- the API -------------------------------------------------------------------------------------

api_bp = api_blueprint(API, __name__, "Documents behind a partner organisation's shared answers (attached once, "
                                      "shown in every linked area's audit)")
SHARED_DOCUMENTS = "/shared-returns/<int:shared_return_id>/responses/<code>/documents"


@api_bp.post(SHARED_DOCUMENTS)
@requires(Perm.SIGNED_IN)
@api_bp.arguments(FileInSchema, location="files")
@api_bp.doc(requestBody=UPLOAD_BODY)
@api_bp.response(201, DocumentSchema)
@api_bp.alt_response(403, response="FORBIDDEN")
@api_bp.alt_response(404, response="NOT_FOUND")
@api_bp.alt_response(409, response="CONFLICT")
@api_bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
@takes_documents
def upload_api(files, shared_return_id, code):
    """Attach a document to the shared answer to a statement (multipart: ``file``, ``title``,
    ``effective_on``): stored once, behind the organisation's agency's response to the statement in every
    linked open audit. The organisation's leads; 409 when every audit of the return is closed; the type
    is decided from the content (422 with ``fields.file``)."""
    shared_return = loaded("shared_return_id")
    upload = files["file"]
    form = DocumentFormSchema().load(request.form)
    return upload_to_shared_answer(shared_return, code, upload.stream, upload.filename, title=form.get("title"),
                                   effective_on=form.get("effective_on"), user=current_api_user())


@api_bp.get(SHARED_DOCUMENTS)
@requires(Perm.SIGNED_IN)
@api_bp.response(200, DocumentSchema(many=True))
@api_bp.alt_response(404, response="NOT_FOUND")
@api_bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def list_api(shared_return_id, code):
    """The documents behind the shared answer to a statement."""
    shared_return = loaded("shared_return_id")
    _statement(shared_return, code)
    return shared_answer_documents(shared_return).get(code, [])


@api_bp.delete(SHARED_DOCUMENTS + "/<int:document_id>")
@requires(Perm.SIGNED_IN)
@api_bp.response(204)
@api_bp.alt_response(403, response="FORBIDDEN")
@api_bp.alt_response(404, response="NOT_FOUND")
@api_bp.alt_response(409, response="CONFLICT")
@api_bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def remove_api(shared_return_id, code, document_id):
    """Take a document off the shared answer to a statement, in every linked open audit (closed audits keep
    it); linked nowhere else, it goes to the bin."""
    shared_return = loaded("shared_return_id")
    _statement(shared_return, code)
    remove_from_shared_answer(shared_return, code, shared_document(shared_return, code, document_id),
                              user=current_api_user())


def register(app, api):
    app.register_blueprint(bp)
    api.register_blueprint(api_bp)
    app.jinja_env.globals["shared_answer_documents"] = shared_answer_panel
    app.jinja_env.globals["shared_return_document_errors"] = shared_return_document_errors
    app.jinja_env.globals["exception_documents"] = exception_panel
