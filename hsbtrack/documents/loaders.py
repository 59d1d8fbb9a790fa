"""How a ``document_id`` in a URL finds its document for the permission check (hsbtrack.permissions):
the document's area, and the agency whose response it is attached to — so that only the readers of
that agency's responses (``audit.responses.read``, or ``audit.responses.read_own`` for their own
agency) reach it. A document in the bin does not exist for anyone (404)."""

from hsbtrack.documents import services
from hsbtrack.permissions import Target, record_loader


@record_loader("document_id")
def load_document(document_id):
    document = services.get_document(document_id)
    if document is None:
        return None
    return Target(document, area_id=document.area_id, agency_id=document.agency_id,
                  visible=lambda user: document.deleted_at is None)
