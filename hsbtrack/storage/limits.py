"""A document has a size limit of its own (``HSBTRACK_DOCUMENT_MAX_MB``, default 50), beside the general
request cap (``MAX_CONTENT_LENGTH``, ``HSBTRACK_MAX_UPLOAD_MB``, default 20).

A view that takes a document says so with :func:`takes_documents` (the decorator nearest the function,
so that every wrapper above copies the mark). :func:`raise_limit_for_documents` runs before every other
``before_request`` — CSRF protection reads the form, which is when the limit applies — and lets a POST
to such a view carry one document and its form fields. The bytes themselves are counted again while
they are stored (:mod:`hsbtrack.documents.services`), so the message names the document's limit.
"""

from flask import current_app, request

MB = 1024 * 1024


def document_max_bytes(config=None) -> int:
    config = current_app.config if config is None else config
    return int(config.get("HSBTRACK_DOCUMENT_MAX_MB", 50)) * MB


def takes_documents(view):
    view.takes_documents = True
    return view


def takes_upload_of(limit):
    """A view taking a file larger than a document (an area archive): ``limit()`` gives its bytes. As
    :func:`takes_documents`, the decorator nearest the function."""

    def mark(view):
        view.upload_limit = limit
        return view

    return mark


def raise_limit_for_documents() -> None:
    if request.method != "POST" or request.endpoint is None:
        return
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "upload_limit", None) is not None:
        request.max_content_length = view.upload_limit() + MB  # (the form's other fields)
    elif getattr(view, "takes_documents", False):
        request.max_content_length = document_max_bytes() + MB  # (the form's other fields)
