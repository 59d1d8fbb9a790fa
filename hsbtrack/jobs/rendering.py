"""Helpers for kinds that make papers from the app's own pages: fetch what a page links to (its charts,
its stylesheet) *inside* the app, as the person the job runs as — never over the network — and turn HTML
into a tagged PDF with WeasyPrint.

WeasyPrint and cairosvg are imported when a paper is made, not when the app starts (they take a moment to
load, and the web process never needs them)."""

import logging
from urllib.parse import urlsplit

from flask import current_app, g, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class NotInTheApp(ValueError):
    """A paper named something outside the app: it is not fetched."""


def fetch_internal(url: str) -> tuple[bytes, str]:
    """``(bytes, mimetype)`` of a URL of this app, answered by its view function in a request context as the
    current user (so its own permission check runs); static files from the static folder."""
    app = current_app._get_current_object()
    parts = urlsplit(url)
    base = urlsplit(app.config["HSBTRACK_BASE_URL"])
    if parts.scheme not in ("", "http", "https") or (parts.netloc and parts.netloc != base.netloc):
        raise NotInTheApp(url)
    user = g.get("_login_user")
    with app.test_request_context(parts.path, base_url=app.config["HSBTRACK_BASE_URL"], query_string=parts.query):
        g._login_user = user
        if request.routing_exception is not None:
            raise NotInTheApp(url)
        endpoint = request.url_rule.endpoint
        try:
            if endpoint == "static":
                response = app.send_static_file(request.view_args["filename"])
                response.direct_passthrough = False
            else:
                response = app.make_response(app.view_functions[endpoint](**request.view_args))
        except HTTPException as error:
            raise NotInTheApp(f"{url}: {error.code}") from error
        if response.status_code != 200:
            raise NotInTheApp(f"{url}: {response.status_code}")
        return response.get_data(), response.mimetype


def html_to_pdf(html: str, *, tagged: bool = True) -> bytes:
    """A PDF of ``html`` (its ``<html lang>`` and ``<title>`` become the document's language and title),
    every resource fetched inside the app. PDF/UA-1 where WeasyPrint manages it, else a tagged PDF."""
    import weasyprint

    class AppFetcher(weasyprint.URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            data, mimetype = fetch_internal(url)
            return weasyprint.urls.URLFetcherResponse(url, body=data, headers={"Content-Type": mimetype})

    base_url = current_app.config["HSBTRACK_BASE_URL"].rstrip("/") + "/"
    document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=AppFetcher(fail_on_errors=True))
    options = {"pdf_variant": "pdf/ua-1"} if tagged else {}
    try:
        return document.write_pdf(**options)
    except Exception:  # (PDF/UA-1 refuses some content): a tagged PDF still carries the structure
        if not tagged:
            raise
        log.warning("PDF/UA-1 failed; writing a tagged PDF instead", exc_info=True)
        return document.write_pdf(pdf_tags=True)


def svg_to_png(svg: bytes, width: int = 1400) -> bytes:
    import cairosvg

    return cairosvg.svg2png(bytestring=svg, output_width=width)
