"""The partnership's documents where people see them: on the moderation statement page (the list, and
for the moderators while the audit is open: upload, link a document already uploaded, remove or move to
the bin, and the previous cycle's "to re-confirm"), on the moderation grid (each agency's documents beside
its score, the partnership's beside the agreed score) and on the statement page across cycles; and the
API ``/api/v1/audits/<id>/statements/<code>/documents``.

Audits never import documents: their pages get what they show through template globals registered here
(:func:`register`). Every list keeps a constant number of queries, whatever the number of documents,
agencies or cycles. The rules are the services' (:func:`hsbtrack.documents.services.upload_to_statement`,
``link_document``, ``unlink_document``, ``delete_document``): they check ``audit.moderate`` themselves.
"""

from types import SimpleNamespace

from flask import Blueprint, abort, flash, g, redirect, request, session, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from hsbtrack.api.auth import api_blueprint, current_api_user
from hsbtrack.areas.roles import Perm
from hsbtrack.audits import loaders as audit_loaders  # noqa: F401  (the audit_id loader)
from hsbtrack.audits import services as audits
from hsbtrack.documents import carry_over, services
from hsbtrack.documents.api import UPLOAD_BODY, DocumentFormSchema, DocumentSchema, FileInSchema
from hsbtrack.documents.forms import DocumentUploadForm
from hsbtrack.documents.models import LINKED, Document, DocumentLink
from hsbtrack.errors import ServiceError
from hsbtrack.extensions import db
from hsbtrack.permissions import can, loaded, requires
from hsbtrack.storage.limits import takes_documents

VIEWS = "partnership_documents"
API = "api_partnership_documents"
ERROR_KEY = "partnership_document_error"
PREFIX = "partnership-document"  # the upload form's field names and ids on the statement page
LINK_FIELD = "partnership-document-link"  # the "link a document already uploaded" select
ANCHOR = "partnership-documents"
MANY = 2  # from this many documents a grid cell folds them into "N documents"


# -- reading ----------------------------------------------------------------------------------


def _partnership_links(audit):
    """Every link of the partnership's documents in ``audit`` (linked or to re-confirm), documents and
    versions loaded (two queries)."""
    return db.session.scalars(
        select(DocumentLink).join(Document, Document.id == DocumentLink.document_id)
        .where(DocumentLink.audit_id == audit.id, DocumentLink.agency_id.is_(None),
               DocumentLink.action_id.is_(None), DocumentLink.code.is_not(None),
               DocumentLink.status.in_((LINKED, carry_over.TO_RECONFIRM)), Document.deleted_at.is_(None))
        .options(selectinload(DocumentLink.document).selectinload(Document.versions))
        .order_by(Document.effective_on.desc().nulls_last(), Document.id)).all()


def upload_form(audit, code) -> DocumentUploadForm:
    """The statement page's upload form, with the error of the last refused upload if it was this one."""
    form = DocumentUploadForm(formdata=None, prefix=PREFIX)
    error = _error(audit, code)
    if error and error.get("field") != "document_id":
        form.title.data = error.get("title", "")
        form.effective_on._raw_parts = error.get("date")
        getattr(form, error["field"], form.file).errors = [error["message"]]
    return form


def _error(audit, code):
    """The refused upload or link of this statement (kept in the session for one page view)."""
    cache = g.setdefault("partnership_document_errors", {})
    if (audit.id, code) not in cache:
        error = session.get(ERROR_KEY)
        if error and error.get("audit_id") == audit.id and error.get("code") == code:
            session.pop(ERROR_KEY, None)
        else:
            error = None
        cache[(audit.id, code)] = error
    return cache[(audit.id, code)]


def statement_panel(audit, code):
    """What the statement page shows of the partnership's documents of ``code`` (kept for the request:
    the page title asks too): ``linked`` and ``to_reconfirm`` (documents), and for the moderators of an
    open audit ``editable`` with the upload ``form``, the ``linkable`` documents (the partnership's in this
    audit, not yet on this statement), ``only_link`` (document ids this link is the only one of: removing
    them moves them to the bin), ``link_error``. Two queries, three for the moderators."""
    cache = g.setdefault("partnership_document_panels", {})
    if (audit.id, code) in cache:
        return cache[(audit.id, code)]
    links = _partnership_links(audit)
    linked = [link.document for link in links if link.code == code and link.status == LINKED]
    to_reconfirm = [link.document for link in links if link.code == code and link.status != LINKED]
    here = {d.id for d in linked + to_reconfirm}
    editable = audit.is_open and can(current_user, Perm.MODERATE, audit.area_id)
    linkable, seen = [], set()
    for link in links:
        if link.status == LINKED and link.document_id not in here and link.document_id not in seen:
            seen.add(link.document_id)
            linkable.append(link.document)
    counts = services.link_counts([d.id for d in linked]) if editable else {}
    error = _error(audit, code)
    panel = SimpleNamespace(
        linked=linked, to_reconfirm=to_reconfirm, editable=editable,
        linkable=sorted(linkable, key=lambda d: d.title.lower()) if editable else [],
        only_link={d.id for d in linked if counts.get(d.id, 0) <= 1},
        form=upload_form(audit, code) if editable else None,
        link_error=error["message"] if error and error.get("field") == "document_id" else None)
    panel.has_errors = bool(panel.link_error or (panel.form is not None and panel.form.errors))
    cache[(audit.id, code)] = panel
    return panel


def _readable_agencies(area_id, agency_ids) -> list[int]:
    """The agencies whose responses (and so documents) the reader may read (the download's own rule)."""
    return [agency_id for agency_id in agency_ids
            if can(current_user, Perm.READ_OWN_RESPONSES, area_id, agency_id)]


def _effective(document) -> str:
    return format_date(document.effective_on, "d MMM yyyy") if document.effective_on else ""


class GridDocuments:
    """The documents of a whole moderation grid, from one ``documents_for_audit`` call (two queries):
    each agency's beside its score (only the agencies whose responses the reader may read), the
    partnership's beside the agreed score (every reader of the audit). Cells are written here, once
    each, as the grid's score cells are (hundreds of cells: Jinja's per-cell work is slow)."""

    def __init__(self, audit, participants):
        agency_ids = [agency.id for _participant, agency in participants]
        self.grouped = services.documents_for_audit(audit, _readable_agencies(audit.area_id, agency_ids),
                                                    partnership=True)
        self.by_code: dict[str, dict[int, Markup]] = {}
        for (agency_id, code), docs in self.grouped.items():
            if agency_id is not None:
                self.by_code.setdefault(code, {})[agency_id] = self._html(docs)

    def cells(self, code) -> dict[int, Markup]:
        """``{agency_id: html}`` of the agencies with documents on ``code`` (for ``ScoreCells``)."""
        return self.by_code.get(code, {})

    def partnership(self, code) -> Markup:
        docs = self.grouped.get((None, code))
        return self._html(docs) if docs else Markup("")

    @staticmethod
    def _html(docs) -> Markup:
        items = []
        for document in docs:
            url = url_for("documents.content", document_id=document.id)
            date = _effective(document)
            items.append(f'<li data-document="{document.id}"><a class="govuk-link" href="{escape(url)}" download>'
                         f'{escape(document.title)}</a>'
                         + (f' <span class="hsb-matrix__sub">{escape(date)}</span>' if date else "") + "</li>")
        listing = f'<ul class="govuk-list hsb-matrix__docs">{"".join(items)}</ul>'
        if len(docs) < MANY:
            return Markup(listing)  # noqa: S704  # nosec B704  # every value above is escaped
        summary = escape(ngettext("%(num)d document", "%(num)d documents", len(docs)))
        return Markup(  # noqa: S704  # nosec B704  # every value above is escaped
            f'<details class="govuk-details hsb-matrix__docs-details"><summary class="govuk-details__summary">'
            f'<span class="govuk-details__summary-text">{summary}</span></summary>'
            f'<div class="govuk-details__text">{listing}</div></details>')


def grid_documents(audit, participants) -> GridDocuments:
    return GridDocuments(audit, participants)


def cycle_documents(cycle_audits, code, agencies) -> dict[int, SimpleNamespace]:
    """The statement page across cycles: for each audit, ``partnership`` (the partnership's documents of
    ``code``) and ``agencies`` (``[(agency, documents)]`` of the agencies whose responses the reader may
    read), in one query and one for the versions, whatever the number of cycles."""
    result = {audit.id: SimpleNamespace(partnership=[], agencies=[]) for audit in cycle_audits}
    if not result:
        return result
    area_id = cycle_audits[0].area_id
    by_id = {agency.id: agency for agency in agencies}
    readable = _readable_agencies(area_id, list(by_id))
    links = db.session.scalars(
        select(DocumentLink).join(Document, Document.id == DocumentLink.document_id)
        .where(DocumentLink.audit_id.in_(list(result)), DocumentLink.code == code, DocumentLink.status == LINKED,
               DocumentLink.action_id.is_(None), Document.deleted_at.is_(None),
               or_(DocumentLink.agency_id.is_(None), DocumentLink.agency_id.in_(readable or [-1])))
        .options(selectinload(DocumentLink.document).selectinload(Document.versions))
        .order_by(Document.effective_on.desc().nulls_last(), Document.id)).all()
    grouped: dict[tuple[int, int], list[Document]] = {}
    for link in links:
        if link.agency_id is None:
            result[link.audit_id].partnership.append(link.document)
        else:
            grouped.setdefault((link.audit_id, link.agency_id), []).append(link.document)
    for (audit_id, agency_id), docs in grouped.items():
        result[audit_id].agencies.append((by_id[agency_id], docs))
    for cycle in result.values():
        cycle.agencies.sort(key=lambda pair: pair[0].display_name.lower())
    return result


# -- pages ------------------------------------------------------------------------------------

bp = Blueprint(VIEWS, __name__)
PAGE = "/areas/<int:area_id>/audits/<int:audit_id>/statements/<code>/documents"




def _statement_or_404(audit, code):
    try:
        statement = audits.framework_of(audit).statement(code)
    except KeyError:
        abort(404)
    if not statement.scored:
        abort(404)
    return statement


def _back(area_id, audit_id, code, anchor=ANCHOR):
    url = url_for("moderation.statement", area_id=area_id, audit_id=audit_id, code=code)
    return redirect(f"{url}#{anchor}")


def _keep_error(audit, code, field, message, form=None):
    session[ERROR_KEY] = {"audit_id": audit.id, "code": code, "field": field, "message": str(message),
                          "title": (form.title.data or "") if form else "",
                          "date": form.effective_on.parts() if form else None}


@bp.route(PAGE, methods=["POST"])
@requires(Perm.MODERATE)
@takes_documents
def upload(area_id, audit_id, code):
    """A new document of the partnership's on the statement; back to the statement's page, with the
    document listed or the error at its field."""
    audit = loaded("audit_id")
    _statement_or_404(audit, code)
    form = DocumentUploadForm(prefix=PREFIX)
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        _keep_error(audit, code, "effective_on", form.effective_on.errors[0], form)
        return _back(area_id, audit_id, code, f"{form.effective_on.id}-day")
    upload = form.file.data
    try:
        document = services.upload_to_statement(
            audit, code, upload.stream if upload else None, upload.filename if upload else None,
            title=form.title.data, effective_on=form.effective_on.data, user=current_user)
    except ServiceError as error:
        db.session.rollback()
        field = next(iter(error.fields or {"file": None}))
        field = field if field in ("file", "title", "effective_on") else "file"
        _keep_error(audit, code, field, (error.fields or {}).get(field) or error.message, form)
        return _back(area_id, audit_id, code, f"{form[field].id}" + ("-day" if field == "effective_on" else ""))
    flash(_("“%(title)s” is on statement %(code)s", title=document.title, code=code), "success")
    return _back(area_id, audit_id, code)


def _document_in(audit, code, value, statuses=(LINKED,)):
    """The partnership's document ``value`` (a form field) linked to ``code`` of ``audit``, with that link:
    ``(document, link)``, or ``(None, None)``."""
    try:
        document_id = int(value or "")
    except ValueError:
        return None, None
    link = db.session.scalar(
        select(DocumentLink).join(Document, Document.id == DocumentLink.document_id)
        .where(DocumentLink.document_id == document_id, DocumentLink.audit_id == audit.id,
               DocumentLink.code == code, DocumentLink.agency_id.is_(None), DocumentLink.action_id.is_(None),
               DocumentLink.status.in_(statuses), Document.deleted_at.is_(None), Document.area_id == audit.area_id))
    return (link.document, link) if link is not None else (None, None)


@bp.route(PAGE + "/link", methods=["POST"])
@requires(Perm.MODERATE)
def link(area_id, audit_id, code):
    """Link a document of the partnership's already uploaded to this audit (on another statement) to this
    statement too: no bytes are copied."""
    audit = loaded("audit_id")
    _statement_or_404(audit, code)
    choose = _("Choose one of the documents listed")
    try:
        document_id = int(request.form.get("document_id") or "")
    except ValueError:
        document_id = None
    document = services.get_document(document_id) if document_id else None
    # only the partnership's documents of this audit (those the list offers)
    if document is None or not any(existing.audit_id == audit.id and existing.agency_id is None
                                   and existing.action_id is None for existing in document.links):
        _keep_error(audit, code, "document_id", choose)
        return _back(area_id, audit_id, code, LINK_FIELD)
    try:
        services.link_document(document, audit, code, user=current_user)
    except ServiceError as error:
        db.session.rollback()
        _keep_error(audit, code, "document_id", (error.fields or {}).get("document_id") or error.message)
        return _back(area_id, audit_id, code, LINK_FIELD)
    flash(_("“%(title)s” is on statement %(code)s", title=document.title, code=code), "success")
    return _back(area_id, audit_id, code)


@bp.route(PAGE + "/remove", methods=["POST"])
@requires(Perm.MODERATE)
def remove(area_id, audit_id, code):
    """"Remove from this statement": the link goes; a document with no other link goes to the bin
    instead (restorable), so that nothing is left out of sight."""
    audit = loaded("audit_id")
    _statement_or_404(audit, code)
    document, link = _document_in(audit, code, request.form.get("document_id"))
    if document is None:  # already gone (a second click, another moderator)
        flash(_("That document is no longer on statement %(code)s", code=code), "info")
        return _back(area_id, audit_id, code)
    if services.remove_link(link, user=current_user):
        flash(_("“%(title)s” is in the bin: it can be restored from there for %(n)d days",
                title=document.title, n=services.BIN_DAYS), "success")
    else:
        flash(_("“%(title)s” is no longer on statement %(code)s", title=document.title, code=code), "success")
    return _back(area_id, audit_id, code)


# -- the API ----------------------------------------------------------------------------------

api_bp = api_blueprint(API, __name__, "The partnership's documents on statements (the moderators' evidence)")
STATEMENT_DOCUMENTS = "/audits/<int:audit_id>/statements/<code>/documents"






@api_bp.post(STATEMENT_DOCUMENTS)
@requires(Perm.MODERATE)
@api_bp.arguments(FileInSchema, location="files")
@api_bp.doc(requestBody=UPLOAD_BODY)
@api_bp.response(201, DocumentSchema)
@api_bp.alt_response(403, response="FORBIDDEN")
@api_bp.alt_response(404, response="NOT_FOUND")
@api_bp.alt_response(409, response="CONFLICT")
@api_bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
@takes_documents
def upload_api(files, audit_id, code):
    """Attach a document of the partnership's to a statement of an audit (multipart: ``file``, ``title``,
    ``effective_on``): the moderators' evidence for the agreed score, read by every reader of the audit.

    Needs ``audit.moderate``; 409 once the audit is closed. The type is decided from the content, as for
    an agency's document (422 with ``fields.file``)."""
    upload = files["file"]
    form = DocumentFormSchema().load(request.form)
    return services.upload_to_statement(loaded("audit_id"), code, upload.stream, upload.filename,
                                        title=form.get("title"), effective_on=form.get("effective_on"),
                                        user=current_api_user())


@api_bp.get(STATEMENT_DOCUMENTS)
@requires(Perm.READ_AUDIT)
@api_bp.response(200, DocumentSchema(many=True))
@api_bp.alt_response(404, response="NOT_FOUND")
def list_api(audit_id, code):
    """The partnership's documents on a statement of an audit (``agency_id`` null), newest effective date
    first."""
    audit = loaded("audit_id")
    audits.scored_statement(audits.framework_of(audit), code)
    return services.documents_for_response(audit, None, code)


def register(app, api):
    app.register_blueprint(bp)
    api.register_blueprint(api_bp)
    app.jinja_env.globals["partnership_documents"] = statement_panel
    app.jinja_env.globals["moderation_grid_documents"] = grid_documents
    app.jinja_env.globals["statement_cycle_documents"] = cycle_documents
