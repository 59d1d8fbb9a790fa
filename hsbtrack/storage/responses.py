"""The headers every download carries, whichever backend serves the bytes."""

import re
import unicodedata
from urllib.parse import quote

CHUNK_SIZE = 64 * 1024
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\"\\/;]")


def safe_filename(filename: str | None) -> str:
    """The last part of ``filename`` without control characters, quotes, separators or leading dots."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _CONTROL.sub("_", unicodedata.normalize("NFC", name)).strip().lstrip(".")
    return name[:200] or "download"


def content_disposition(filename: str | None) -> str:
    """``attachment`` with an ASCII ``filename`` and, for other names, RFC 5987's ``filename*``."""
    name = safe_filename(filename)
    # accents dropped (ŵ → w), any other character not in ASCII replaced
    ascii_name = "".join(
        c if c.isascii() else ("" if unicodedata.combining(c) else "_") for c in unicodedata.normalize("NFKD", name)
    )
    ascii_name = _UNSAFE.sub("_", ascii_name).strip().lstrip(".") or "download"
    value = f'attachment; filename="{ascii_name}"'
    if ascii_name != name:
        value += f"; filename*=UTF-8''{quote(name, safe='')}"
    return value


def attachment_headers(filename: str | None) -> dict[str, str]:
    """Served only as a download: never rendered by the browser, never kept by a cache."""
    return {
        "Content-Disposition": content_disposition(filename),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox; default-src 'none'",
        "Cache-Control": "private, no-store",
    }


def apply_attachment_headers(response, filename: str | None):
    for name, value in attachment_headers(filename).items():
        response.headers[name] = value
    return response
