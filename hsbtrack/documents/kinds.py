"""Whose evidence a document is decides who may read and change it: one rule per kind of document, used
by the permission check of every document route (:mod:`hsbtrack.documents.loaders`), by the commands
(:mod:`hsbtrack.documents.services`) and by the lists (the bin).

- ``response``: an agency's document, linked to its responses. Read by the readers of that agency's
  responses (``audit.responses.read_own`` for the agency, or ``audit.responses.read``); changed by those
  who score for it (``audit.score``).
- ``statement``: the partnership's, linked to statements of audits at partnership level (the board's
  evidence for an agreed score). Read by every reader of the audit (``audit.read``); changed by the
  moderators (``audit.moderate``).
- ``action``: an action's (registered by the actions feature, above this one): read by those who see the
  action (its plan, and its wall); changed by its owner and the plan's editors.
- ``shared``: a partner organisation's, behind its shared answer (:mod:`hsbtrack.documents.shared`):
  read by the readers of the organisation's agency's responses in any area linked to it; changed by
  the organisation's leads, on the shared return's own pages.

The document routes name the agency rule's permissions (``audit.responses.read_own`` to read,
``audit.score`` to change); a kind maps them to its own (``Target.permission_for``).
"""

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import gettext as _

from hsbtrack.areas.roles import Perm
from hsbtrack.documents.models import RESPONSE, STATEMENT
from hsbtrack.errors import ForbiddenError
from hsbtrack.permissions import can


@dataclass(frozen=True)
class DocumentKind:
    name: str
    # may ``user`` read ``document``?  (lists; the download's check is the route's, with the map below)
    may_read: Callable
    # may ``user`` change ``document`` (new version, bin, links)?
    may_change: Callable
    # the route's permission -> the one this kind checks (None: the agency rule, as named)
    permission_for: dict[str, str] | None = None
    # a wall of the document's own, from what it is linked to: ``wall(document)(user) -> bool``
    wall: Callable | None = None
    # raises a ServiceError when the document may not go to the bin (what it evidences needs it)
    check_delete: Callable | None = None
    # linked in several areas (a partner organisation's shared document): its URLs name no area of their
    # own, and the wall decides who reads it (``permission_for`` then maps the route's to install-wide ones)
    across_areas: bool = False


_KINDS: dict[str, DocumentKind] = {}


def register(kind: DocumentKind) -> DocumentKind:
    _KINDS[kind.name] = kind
    return kind


def kind_of(document) -> DocumentKind:
    return _KINDS[document.kind]


def may_read(user, document) -> bool:
    return kind_of(document).may_read(user, document)


def may_change(user, document) -> bool:
    return kind_of(document).may_change(user, document)


def check_delete(document) -> None:
    kind = kind_of(document)
    if kind.check_delete is not None:
        kind.check_delete(document)


def require_change(user, document) -> None:
    """The commands' own check (``user`` None: the system acting)."""
    if user is not None and not may_change(user, document):
        raise ForbiddenError(_("You do not have permission to do this"))


register(DocumentKind(
    RESPONSE,
    may_read=lambda user, d: can(user, Perm.READ_OWN_RESPONSES, d.area_id, d.agency_id),
    may_change=lambda user, d: can(user, Perm.SCORE, d.area_id, d.agency_id),
))
register(DocumentKind(
    STATEMENT,
    may_read=lambda user, d: can(user, Perm.READ_AUDIT, d.area_id),
    may_change=lambda user, d: can(user, Perm.MODERATE, d.area_id),
    permission_for={Perm.READ_OWN_RESPONSES: Perm.READ_AUDIT, Perm.SCORE: Perm.MODERATE},
))
