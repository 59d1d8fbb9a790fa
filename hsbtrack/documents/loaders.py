"""How a ``document_id`` in a URL finds its document for the permission check (hsbtrack.permissions):
the document's area, the agency whose evidence it is, and what its kind makes of the route's permission
(hsbtrack.documents.kinds: an agency's document only for the readers of that agency's responses, the
partnership's for the readers of the audit, an action's for those who see the action). A document in the
bin does not exist for anyone (404)."""

from hsbtrack.documents import kinds, services
from hsbtrack.permissions import Target, record_loader


def target(document, in_bin_too=False) -> Target:
    kind = kinds.kind_of(document)
    wall = kind.wall(document) if kind.wall else None

    def visible(user):
        if document.deleted_at is not None and not in_bin_too:
            return False
        return wall is None or wall(user)

    if kind.across_areas:  # (read in each area it is linked to: the wall decides)
        return Target(document, visible=visible, permission_for=kind.permission_for)
    return Target(document, area_id=document.area_id, agency_id=document.agency_id, visible=visible,
                  permission_for=kind.permission_for)


@record_loader("document_id")
def load_document(document_id):
    document = services.get_document(document_id)
    return None if document is None else target(document)
