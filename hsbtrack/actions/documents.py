"""Documents on actions: the ``action`` kind of document (hsbtrack.documents.kinds), attaching a document
to an action (as evidence of the work, or of its completion), marking an action done with a completion
document, and reading an action's documents.

- **Who.** An action's document is read by those who see the action: the plan's read permission and
  the action's wall (``restricted_to``); it is changed (uploads, new versions, the bin) by the action's
  owner and the plan's editors, as the action itself. The document routes name the agency rule's
  permissions; for an action's document they become the plan's read permission
  (``permission_for``), and the wall and the commands' own check do the rest.
- **History.** A document's own history is the documents feature's (entity ``document``); the action's
  history says a document was added (entity ``action``, ``document`` or ``completion_document``), so
  that the action's page shows it.
- **All or nothing.** Marking an action done with a completion document is one write: the change and
  the document are committed together; a refused file saves no change, a refused change stores no
  file, and every error is reported at once.
"""

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from hsbtrack.actions import services
from hsbtrack.actions.models import Action
from hsbtrack.areas.roles import Perm
from hsbtrack.documents import kinds
from hsbtrack.documents import services as documents
from hsbtrack.documents.models import ACTION, COMPLETION, LINKED, Document, DocumentLink
from hsbtrack.errors import ConflictError, ForbiddenError, ServiceError
from hsbtrack.extensions import db
from hsbtrack.history import services as history
from hsbtrack.permissions import can

PURPOSES = (None, COMPLETION)


# -- the kind ----------------------------------------------------------------------------------


def action_of(document) -> Action | None:
    """The action a document of this kind is linked to (from its links, loaded with it)."""
    action_id = next((link.action_id for link in document.links if link.action_id is not None), None)
    return db.session.get(Action, action_id) if action_id is not None else None


def _may_read(user, document) -> bool:
    action = action_of(document)
    return action is not None and can(user, Perm.READ_ACTIONS, action.area_id) and services.may_see(user, action)


def _may_change(user, document) -> bool:
    action = action_of(document)
    return action is not None and services.may_see(user, action) and services.can_update(user, action)


def _wall(document):
    def visible(user):
        action = action_of(document)
        return action is not None and services.may_see(user, action)

    return visible


def _check_delete(document) -> None:
    """A done action keeps its evidence: its only completion document stays while no text says how it
    was completed."""
    action = action_of(document)
    if action is None or action.status != "done" or (action.completion_evidence or "").strip() \
            or purpose_of(document) != COMPLETION:
        return
    others = db.session.scalar(
        select(func.count()).select_from(DocumentLink).join(Document, Document.id == DocumentLink.document_id)
        .where(DocumentLink.action_id == action.id, DocumentLink.purpose == COMPLETION,
               DocumentLink.document_id != document.id, Document.deleted_at.is_(None)))
    if not others:
        raise ConflictError(_("This document is the evidence that the action was completed: add the completion "
                              "evidence as text, or another completion document, before deleting it"))


KIND = kinds.register(kinds.DocumentKind(
    ACTION, may_read=_may_read, may_change=_may_change,
    permission_for={Perm.READ_OWN_RESPONSES: Perm.READ_ACTIONS, Perm.SCORE: Perm.READ_ACTIONS},
    wall=_wall, check_delete=_check_delete,
))


# -- commands ----------------------------------------------------------------------------------


@dataclass
class Upload:
    """A file sent with a change to an action (the page's or the API's)."""

    stream: object
    filename: str | None
    title: str | None = None
    effective_on: object = None


def _require_update(action, user) -> None:
    if user is not None and not services.can_update(user, action):
        raise ForbiddenError(_("Only the owner or the board can change this action"))


def _purpose(value):
    value = value or None
    if value not in PURPOSES:
        raise ServiceError.field("purpose", _("Choose the purpose “completion”, or none"))
    return value


def _title(title, filename) -> str:
    # the document's title as the documents feature makes it (its default: the file's name, without the
    # extension), so that the action's history names the same
    title = " ".join(str(title or "").split())
    if not title:
        name = documents.clean_filename(filename)
        title = name.rsplit(".", 1)[0] if "." in name else name
    return title[:documents.MAX_TITLE]


def _attach(action, upload: Upload, purpose, user) -> Document:
    """Record the document on the action's history, then store and check the file and commit (the
    documents feature's command: a refused file raises with nothing stored)."""
    title = _title(upload.title, upload.filename)
    field = "completion_document" if purpose == COMPLETION else "document"
    history.record(area_id=action.area_id, entity="action", entity_id=action.id, user=user,
                   changes={field: (None, title)})
    return documents.create_document(
        area_id=action.area_id, kind=ACTION, agency_id=action.agency_id,
        link=DocumentLink(audit_id=action.audit_id, action_id=action.id, purpose=purpose),
        stream=upload.stream, filename=upload.filename, title=title, effective_on=upload.effective_on, user=user)


def upload_to_action(action, stream, filename, title=None, effective_on=None, purpose=None, user=None) -> Document:
    """Attach a new document to an action (``purpose`` "completion": the evidence it was completed
    with). The owner or the plan's editors; in the action's history and the document's."""
    _require_update(action, user)
    purpose = _purpose(purpose)
    try:
        return _attach(action, Upload(stream, filename, title, effective_on), purpose, user)
    except BaseException:
        db.session.rollback()  # (the action's history entry goes with the refused file)
        raise


def _file_errors(action, upload: Upload) -> dict:
    """The errors of a file sent with a change that is refused anyway (every error at once)."""
    return documents.file_errors(action.area_id, upload.stream, upload.filename)


def update_action(action, data: dict, upload: Upload | None = None, user=None, expected_version=None) -> Action:
    """:func:`hsbtrack.actions.services.update_action` with, optionally, a completion document: the
    change and the document are one write. A completion document is completion evidence, so the
    action may be marked done with it and no text. Errors of the fields and of the file are reported
    together; a refused file saves no change, a refused change stores no file."""
    if upload is None or not upload.filename:
        return services.update_action(action, data, user=user, expected_version=expected_version)
    _require_update(action, user)
    try:
        checked = services.check_update(action, data, user=user, expected_version=expected_version,
                                        completion_document=True)
    except ServiceError as error:
        if error.status != ServiceError.status:  # refused (403), a conflict (409): no file is read
            raise
        fields = {**error.fields, **_file_errors(action, upload)}
        raise ServiceError(error.message, fields) from None
    tried = []

    def then(current):
        if tried:  # the file was read by an attempt that lost a race: it cannot be read again
            raise ConflictError(checked.conflict, {"version": _("Out of date")}, current=current)
        tried.append(True)
        _attach(current, upload, COMPLETION, user)

    try:
        return services.apply_update(checked, user=user, then=then)
    except BaseException:
        db.session.rollback()
        raise


# -- reading -----------------------------------------------------------------------------------


def _links(action_ids):
    return (select(DocumentLink)
            .join(Document, Document.id == DocumentLink.document_id)
            .where(DocumentLink.action_id.in_(list(action_ids) or [-1]), DocumentLink.status == LINKED,
                   Document.deleted_at.is_(None))
            .options(selectinload(DocumentLink.document).selectinload(Document.versions))
            .order_by(Document.effective_on.desc().nulls_last(), Document.id))


def documents_for_actions(action_ids) -> dict[int, dict[str | None, list[Document]]]:
    """``{action_id: {None: [documents], "completion": [documents]}}`` for every action of ``action_ids``
    (two queries, whatever their number)."""
    grouped = {action_id: {None: [], COMPLETION: []} for action_id in action_ids}
    for link in db.session.scalars(_links(action_ids)):
        grouped.setdefault(link.action_id, {None: [], COMPLETION: []}).setdefault(
            link.purpose if link.purpose in PURPOSES else None, []).append(link.document)
    return grouped


def documents_for_action(action) -> dict[str | None, list[Document]]:
    """The action's documents: ``{None: [its other documents], "completion": [its completion documents]}``
    (two queries)."""
    return documents_for_actions([action.id])[action.id]


def purpose_of(document) -> str | None:
    """The purpose of the document's link to its action (None or "completion")."""
    return next((link.purpose for link in document.links if link.action_id is not None), None)
