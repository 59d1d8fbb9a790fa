"""The documents' bin: a deleted document stays restorable for :data:`BIN_DAYS` days (restoring needs
the permission deleting needed, and is in the history), then a scheduled job purges it — its versions'
bytes leave storage and its rows go (history entry ``purged``).

Also the bin's page per area (the deleted documents the reader may read, each with "Restore") and
``POST /api/v1/documents/<id>/restore``. A document in the bin is 404 on every other route (the
``document_id`` loader of :mod:`hsbtrack.documents.loaders`); here a loader of these blueprints' own
finds it, with the same permission rule (its area and owning agency).
"""

import logging
from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from hsbtrack.api.auth import api_blueprint, current_api_user
from hsbtrack.areas.roles import Perm
from hsbtrack.documents import kinds, loaders, services
from hsbtrack.documents.api import DocumentSchema
from hsbtrack.documents.models import Document
from hsbtrack.extensions import db
from hsbtrack.history import services as history
from hsbtrack.permissions import loaded, record_loader, requires
from hsbtrack.plugins.types import ScheduledJob
from hsbtrack.timeutil import utcnow

log = logging.getLogger(__name__)

BIN_DAYS = services.BIN_DAYS
BIN_VIEWS = "document_bin"
BIN_API = "api_document_bin"


# -- commands ---------------------------------------------------------------------------------


def _audit_id(document):
    link = services.response_link(document)
    return link.audit_id if link else None


def restore_document(document: Document, user=None) -> Document:
    """Take the document out of the bin (the permission deleting needs; in the history)."""
    kinds.require_change(user, document)
    if document.deleted_at is None:
        return document
    deleted_at, document.deleted_at = document.deleted_at, None
    history.record(area_id=document.area_id, entity="document", entity_id=document.id, user=user,
                   audit_id=_audit_id(document), code=None,
                   changes={"deleted_at": (deleted_at, None), "document": (None, document.title)})
    db.session.commit()
    return document


def expires_on(document: Document):
    """When a document in the bin is purged."""
    return document.deleted_at + timedelta(days=BIN_DAYS)


def purge_bin(app=None, now=None) -> int:
    """Purge the documents in the bin for more than :data:`BIN_DAYS` days: their versions' bytes
    leave storage, then their rows (history entry ``purged``); returns how many. (A scheduled job:
    ``app`` and ``now`` as the scheduler passes them.)"""
    now = (now or utcnow()).replace(tzinfo=None)
    cutoff = now - timedelta(days=BIN_DAYS)
    expired = list(db.session.scalars(
        select(Document).where(Document.deleted_at.is_not(None), Document.deleted_at < cutoff)
        .options(selectinload(Document.versions), selectinload(Document.links)).order_by(Document.id)))
    store = services.storage()
    for document in expired:
        keys = [version.storage_key for version in document.versions]
        history.record(area_id=document.area_id, entity="document", entity_id=document.id, user=None,
                       audit_id=_audit_id(document), code=None,
                       changes={"purged": (document.title, True)})
        db.session.delete(document)
        db.session.commit()  # the rows first: bytes left behind by a failure harm no one
        for key in keys:
            try:
                store.delete(key)
            except Exception:
                log.exception("purging document %s: could not delete %s from storage", document.id, key)
    return len(expired)


# -- reading ----------------------------------------------------------------------------------


def binned_documents(area_id, user) -> list[Document]:
    """The area's documents in the bin that ``user`` may read (newest deletion first)."""
    documents = db.session.scalars(
        select(Document).where(Document.area_id == area_id, Document.deleted_at.is_not(None))
        .options(selectinload(Document.versions)).order_by(Document.deleted_at.desc(), Document.id.desc()))
    return [d for d in documents if kinds.may_read(user, d)]


def _load_any_document(document_id):
    document = services.get_document(document_id)
    return None if document is None else loaders.target(document, in_bin_too=True)


record_loader("document_id", blueprint=BIN_VIEWS)(_load_any_document)
record_loader("document_id", blueprint=BIN_API)(_load_any_document)


# -- pages --------------------------------------------------------------------------------------

bp = Blueprint(BIN_VIEWS, __name__)


@bp.route("/areas/<int:area_id>/documents/bin")
@requires(Perm.READ_OWN_RESPONSES)
def bin_page(area_id):
    documents = binned_documents(area_id, current_user)
    may_restore = {d.id for d in documents if kinds.may_change(current_user, d)}
    return render_template("documents/bin.html", area=loaded("area_id"), documents=documents,
                           may_restore=may_restore, expires_on=expires_on, bin_days=BIN_DAYS)


@bp.route("/areas/<int:area_id>/documents/bin/<int:document_id>/restore", methods=["POST"])
@requires(Perm.SCORE)
def restore(area_id, document_id):
    document = loaded("document_id")
    restore_document(document, user=current_user)
    flash(_("“%(title)s” was restored", title=document.title), "success")
    return redirect(url_for(".bin_page", area_id=area_id))


# -- API ------------------------------------------------------------------------------------------

api_bp = api_blueprint(BIN_API, __name__, "The documents' bin: restoring a deleted document")


@api_bp.post("/documents/<int:document_id>/restore")
@requires(Perm.SCORE)
@api_bp.response(200, DocumentSchema)
@api_bp.alt_response(403, response="FORBIDDEN")
@api_bp.alt_response(404, response="NOT_FOUND")
def restore_api(document_id):
    """Take a document out of the bin (within 30 days of its deletion; in the history)."""
    return restore_document(loaded("document_id"), user=current_api_user())


def register(app, api):
    app.register_blueprint(bp)
    api.register_blueprint(api_bp)


def scheduled_jobs():
    return [ScheduledJob("documents.purge_bin", purge_bin, hours=24, order=50)]
