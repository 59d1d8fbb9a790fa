"""Compressed responses (Flask-Compress: zstd, Brotli or gzip, as the browser accepts), made safe from BREACH.

BREACH reads a secret in a compressed HTTPS response (here: the CSRF token in every page, and the
people's data) from the responses' sizes, when an attacker can make the victim's browser send many
requests, each reflecting text the attacker chose, *with the victim's cookies*. So a page is compressed
only when the request cannot have been made by another site for its own ends:

- the browser says the request came from our own pages or from the person (``Sec-Fetch-Site:
  same-origin`` or ``none`` — a typed address, a bookmark), or
- it carries no session cookie (an API client with a token, a signed-out visitor: no secret of anyone's
  is in the answer that another site could make a browser ask for).

A request from another site (``cross-site``, ``same-site``) or from a browser that does not say is sent
uncompressed — the same bytes, just bigger. The file downloads stream and are not compressed
(``COMPRESS_STREAMS`` off: their memory stays bounded; PDFs, Word files and ZIPs are compressed already).
``HSBTRACK_COMPRESS = False`` turns it off for a proxy that compresses instead (which must then apply the
same rule: docs/security.md).
"""

from flask import Flask, request
from flask_compress import Compress

_SAFE_SITES = frozenset({"same-origin", "none"})


def may_compress(app: Flask) -> bool:
    if request.headers.get("Sec-Fetch-Site", "").lower() in _SAFE_SITES:
        return True
    return app.config.get("SESSION_COOKIE_NAME", "session") not in request.cookies


def configure_compression(app: Flask) -> None:
    app.config.setdefault("HSBTRACK_COMPRESS", True)
    app.config.setdefault("COMPRESS_REGISTER", False)  # our own after_request decides (may_compress)
    app.config.setdefault("COMPRESS_STREAMS", False)
    compress = Compress(app)

    # Registered before every other after_request function, so it runs after them all: it compresses
    # the response as it will be sent.
    @app.after_request
    def compress_response(response):
        if not app.config["HSBTRACK_COMPRESS"]:
            return response
        _vary(response, "Accept-Encoding", "Sec-Fetch-Site")  # the bytes depend on both
        return compress.after_request(response) if may_compress(app) else response


def _vary(response, *names) -> None:
    present = [v.strip() for v in response.headers.get("Vary", "").split(",") if v.strip()]
    lowered = {v.lower() for v in present}
    response.headers["Vary"] = ", ".join(present + [n for n in names if n.lower() not in lowered])
