"""Virus scanning of uploaded documents, through the hook ``hsbtrack_scan_document``.

Every upload (a new document, a new version, a re-audit's replacement) is checked by
:func:`check` once its bytes are stored and its type decided; any scanner's refusal, or a scanner
that could not scan, refuses the upload at the file field (the caller deletes the bytes). Scanning
fails closed, and each refusal is logged.

The core's own scanner is ClamAV's clamd, off by default: with ``HSBTRACK_CLAMD_URL`` set
(``unix:///run/clamav/clamd.ctl`` or ``tcp://127.0.0.1:3310``) the stored bytes are streamed to it with
the ``INSTREAM`` command (no client library: the protocol is a few lines).
"""

import logging
import socket
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _

from hsbtrack.errors import ServiceError
from hsbtrack.plugins.services import registry
from hsbtrack.plugins.types import ScanVerdict

log = logging.getLogger(__name__)

CHUNK = 64 * 1024
DEFAULT_PORT = 3310
DEFAULT_TIMEOUT = 60


def unscanned_message() -> str:
    return _("The file could not be checked for viruses. Try again later, or tell your administrator.")


def check(open_stream, filename: str, content_type: str, size: int, area_id=None) -> None:
    """Ask every scanner about the stored bytes; raise ``ServiceError`` at ``file`` when one refuses them
    (infected, or could not scan) or fails."""
    try:
        verdicts = [verdict for verdict in registry().hook.hsbtrack_scan_document(
            open_stream=open_stream, filename=filename, content_type=content_type, size=size) if verdict is not None]
    except Exception:
        log.exception("document refused: a virus scanner failed (area %s, %r, %d bytes)", area_id, filename, size)
        raise ServiceError.field("file", unscanned_message()) from None
    for verdict in verdicts:
        if getattr(verdict, "found", None):
            log.warning("document refused: %s found %r in %r (area %s, %d bytes)",
                        verdict.scanner or "a virus scanner", verdict.found, filename, area_id, size)
            raise ServiceError.field("file", _("The file was refused: the virus checker found %(name)s",
                                               name=verdict.found))
    if verdicts:  # (a verdict naming nothing found is a scanner that could not scan)
        verdict = verdicts[0]
        log.warning("document refused: %s could not scan %r (area %s, %d bytes): %s",
                    getattr(verdict, "scanner", "") or "a virus scanner", filename, area_id, size,
                    getattr(verdict, "error", None) or verdict)
        raise ServiceError.field("file", unscanned_message())


# -- clamd --------------------------------------------------------------------------------------


class ClamdError(Exception):
    """clamd could not be reached, or did not answer as expected."""


def clamd_address(url: str):
    """``(socket family, address)`` for ``unix:///path`` or ``tcp://host[:port]``; ValueError otherwise."""
    parts = urlsplit(url.strip())
    if parts.scheme == "unix" and parts.path and not parts.netloc:
        return socket.AF_UNIX, parts.path
    if parts.scheme == "tcp" and parts.hostname and parts.path in ("", "/"):
        return socket.AF_INET6 if ":" in parts.hostname else socket.AF_INET, (parts.hostname,
                                                                               parts.port or DEFAULT_PORT)
    raise ValueError(f"HSBTRACK_CLAMD_URL must be unix:///path/to/clamd.ctl or tcp://host:port, not {url!r}")


def _reply(sock) -> str:
    data = bytearray()
    while b"\0" not in data and len(data) < 4096:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.split(b"\0", 1)[0].decode("utf-8", "replace").strip()


def clamd_instream(url: str, open_stream, timeout: float = DEFAULT_TIMEOUT) -> str:
    """Stream the bytes to clamd (``zINSTREAM``: chunks each preceded by its length, 4 bytes big-endian,
    then a zero length) and return its answer (``stream: OK``, ``stream: <name> FOUND`` or an error).
    ``timeout`` is for each step (connecting, each send, the answer). Raises ClamdError."""
    family, address = clamd_address(url)
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(address)
            try:
                sock.sendall(b"zINSTREAM\0")
                with open_stream() as stream:
                    while chunk := stream.read(CHUNK):
                        sock.sendall(len(chunk).to_bytes(4, "big") + chunk)
                sock.sendall(b"\0\0\0\0")
            except OSError as error:
                # clamd stops reading past its StreamMaxLength and says so before closing
                answer = _answer_after(sock)
                if answer:
                    return answer
                raise ClamdError(f"clamd at {url}: {error}") from error
            answer = _reply(sock)
    except OSError as error:
        raise ClamdError(f"clamd at {url}: {error}") from error
    if not answer:
        raise ClamdError(f"clamd at {url} closed the connection without an answer")
    return answer


def _answer_after(sock) -> str:
    try:
        return _reply(sock)
    except OSError:
        return ""


def clamd_verdict(url: str, open_stream, timeout: float = DEFAULT_TIMEOUT) -> ScanVerdict | None:
    """None when clamd finds the bytes clean; a verdict naming what it found, or why it could not scan."""
    try:
        answer = clamd_instream(url, open_stream, timeout)
    except (ClamdError, ValueError) as error:
        return ScanVerdict(error=str(error), scanner="clamd")
    if answer == "stream: OK":
        return None
    if answer.startswith("stream: ") and answer.endswith(" FOUND"):
        return ScanVerdict(found=answer[len("stream: "):-len(" FOUND")].strip(), scanner="clamd")
    return ScanVerdict(error=f"clamd at {url} answered {answer!r}", scanner="clamd")


def scan_with_clamd(open_stream) -> ScanVerdict | None:
    """The core's scanner: clamd when ``HSBTRACK_CLAMD_URL`` is set, else nothing (None)."""
    url = current_app.config.get("HSBTRACK_CLAMD_URL") or ""
    if not url.strip():
        return None
    timeout = float(current_app.config.get("HSBTRACK_CLAMD_TIMEOUT") or DEFAULT_TIMEOUT)
    return clamd_verdict(url, open_stream, timeout)
