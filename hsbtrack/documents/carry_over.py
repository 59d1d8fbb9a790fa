"""Documents carried into a re-audit: when an audit that follows another opens (the audits feature's
``audit_opened`` event, heard through ``hsbtrack_record_saved`` — audits never import documents), every
document linked to a response of the previous cycle (or, the partnership's, to a statement) gets a link
to the same agency and statement of the new audit, with the status "to re-confirm". No version is made and no byte is copied: the new link
points at the same document, whose versions keep their storage keys.

On the scoring page (and in the API) the agency lead then decides for each: "Still current" (the link
becomes an ordinary one), "Replace" (a new version of the document, then linked) or "Remove from this
audit" (that link only goes; the previous cycle keeps its own). Each is in the document's history.
Permission: the one changing the document needs (hsbtrack.documents.kinds: ``audit.score`` for an
agency's, ``audit.moderate`` for the partnership's).
"""

from flask import g, session
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from hsbtrack.audits import loaders as audit_loaders  # noqa: F401  (the audit_id loader)
from hsbtrack.audits import services as audits
from hsbtrack.audits.models import Audit
from hsbtrack.documents import kinds, loaders, services  # noqa: F401  (the document_id loader)
from hsbtrack.documents.models import LINKED, SHARED, Document, DocumentLink
from hsbtrack.errors import NotFoundError, ServiceError
from hsbtrack.events import Event
from hsbtrack.extensions import db
from hsbtrack.history import services as history
from hsbtrack.timeutil import utcnow

TO_RECONFIRM = "to_reconfirm"
VIEWS = "document_carry_over"
API = "api_document_carry_over"
ERROR_KEY = "document_reconfirm_error"


# -- commands ---------------------------------------------------------------------------------


def carry_over(audit: Audit, user=None) -> int:
    """Link the previous cycle's documents to ``audit`` as "to re-confirm" (its participating agencies'
    responses only; a document in the bin stays behind). Returns how many links were made; safe to
    call twice (a link already there is not made again)."""
    if audit.previous_id is None:
        return 0
    participants = set(audits.participant_ids(audit))
    previous = db.session.scalars(
        select(DocumentLink).join(Document, Document.id == DocumentLink.document_id)
        .where(DocumentLink.audit_id == audit.previous_id, DocumentLink.status == LINKED,
               DocumentLink.action_id.is_(None), DocumentLink.code.is_not(None), Document.deleted_at.is_(None),
               Document.kind != SHARED)  # (a shared answer's: the next shared return attaches its own)
        .order_by(DocumentLink.id)).all()
    existing = {(link.document_id, link.agency_id, link.code) for link in db.session.scalars(
        select(DocumentLink).where(DocumentLink.audit_id == audit.id))}
    now, made = utcnow(), 0
    for old in previous:
        key = (old.document_id, old.agency_id, old.code)
        if (old.agency_id is not None and old.agency_id not in participants) or key in existing:
            continue
        existing.add(key)
        db.session.add(DocumentLink(document_id=old.document_id, audit_id=audit.id, agency_id=old.agency_id,
                                    code=old.code, linked_at=now, linked_by_id=getattr(user, "id", None),
                                    status=TO_RECONFIRM))
        history.record(area_id=audit.area_id, entity="document", entity_id=old.document_id, user=user,
                       audit_id=audit.id, code=None, changes={"status": (None, TO_RECONFIRM)})
        made += 1
    db.session.commit()
    return made


def on_record_saved(area, record, change) -> None:
    if change.kind == Event.AUDIT_OPENED and isinstance(record, Audit) and record.previous_id is not None:
        carry_over(record)


def find_link(audit: Audit, code: str, document: Document) -> DocumentLink:
    """The link of ``document`` to its agency's response to ``code`` in ``audit`` (NotFoundError when
    there is none)."""
    link = db.session.scalar(select(DocumentLink).where(
        DocumentLink.document_id == document.id, DocumentLink.audit_id == audit.id,
        DocumentLink.agency_id == document.agency_id, DocumentLink.code == code))
    if link is None:
        raise NotFoundError(_("This document is not linked to this response"))
    return link


def _check(link: DocumentLink, user):
    audit = db.session.get(Audit, link.audit_id)
    kinds.require_change(user, link.document)
    services._require_open(audit)
    return audit


def confirm(link: DocumentLink, user=None) -> DocumentLink:
    """"Still current": the document stays linked to the new cycle as it is (no new version)."""
    audit = _check(link, user)
    if link.status != LINKED:
        before, link.status = link.status, LINKED
        link.linked_by_id, link.linked_at = getattr(user, "id", None), utcnow()
        history.record(area_id=audit.area_id, entity="document", entity_id=link.document_id, user=user,
                       audit_id=audit.id, code=None, changes={"status": (before, LINKED)})
        db.session.commit()
    return link


def replace(link: DocumentLink, stream, filename, user=None):
    """"Replace": a new version of the document (the earlier ones are kept), then linked."""
    audit = _check(link, user)
    if stream is None:
        raise ServiceError.field("file", _("Choose a file to upload"))
    before = link.status
    if before != LINKED:
        link.status = LINKED
        history.record(area_id=audit.area_id, entity="document", entity_id=link.document_id, user=user,
                       audit_id=audit.id, code=None, changes={"status": (before, LINKED)})
    try:
        return services.add_version(link.document, stream, filename, user=user, link=link)  # (commits)
    except BaseException:
        db.session.rollback()
        raise


def remove(link: DocumentLink, user=None) -> None:
    """"Remove from this audit": this link goes; the document and its other links stay."""
    audit = _check(link, user)
    history.record(area_id=audit.area_id, entity="document", entity_id=link.document_id, user=user,
                   audit_id=audit.id, code=None, changes={"status": (link.status, None)})
    db.session.delete(link)
    db.session.commit()


# -- reading ----------------------------------------------------------------------------------


def to_reconfirm(audit: Audit, agency_id: int) -> dict[str, list[Document]]:
    """``{code: [documents]}`` waiting to be re-confirmed in one agency's responses (two queries, kept
    for the request)."""
    cache = g.setdefault("documents_to_reconfirm", {})
    if (audit.id, agency_id) not in cache:
        query = (select(DocumentLink).join(Document, Document.id == DocumentLink.document_id)
                 .where(DocumentLink.audit_id == audit.id, DocumentLink.agency_id == agency_id,
                        DocumentLink.status == TO_RECONFIRM, Document.deleted_at.is_(None))
                 .options(selectinload(DocumentLink.document).selectinload(Document.versions))
                 .order_by(Document.effective_on.desc().nulls_last(), Document.id))
        grouped: dict[str, list[Document]] = {}
        for link in db.session.scalars(query):
            grouped.setdefault(link.code, []).append(link.document)
        cache[(audit.id, agency_id)] = grouped
    return cache[(audit.id, agency_id)]


def reconfirm_error(code, document_id):
    error = session.get(ERROR_KEY)
    if error and error.get("code") == code and error.get("document_id") == document_id:
        session.pop(ERROR_KEY, None)
        return error["message"]
    return None
