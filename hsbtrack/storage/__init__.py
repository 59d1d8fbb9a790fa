"""Where document bytes live: the instance folder on local disk by default, S3-compatible object
storage when ``HSBTRACK_STORAGE_URL=s3://bucket`` is set (several app servers then share one store).

Records (the documents feature) keep only a storage *key*; nothing outside this package knows where
the bytes are. Keys are made by the caller from record ids and a random part, never from user input.

The interface every backend gives (:class:`Storage`):

- ``put(key, stream) -> int`` — store the bytes read from a binary file object, streamed in chunks
  (bounded memory whatever the size); returns the number of bytes stored.
- ``open(key)`` — a binary file object to read the bytes from (streamed; close it when done).
- ``delete(key)`` — remove the bytes (no error when they are already gone).
- ``exists(key) -> bool`` and ``size(key) -> int``.
- ``keys(prefix="") -> iterator of keys`` — for backups.
- ``download_response(key, filename, content_type, size)`` — a Flask response serving the bytes as an
  attachment, *after* the caller has checked the permission: streamed by the app, or handed to nginx
  (``X-Accel-Redirect``, local disk) or to a short-lived presigned URL (S3) when configured.

``storage()`` returns the app's backend (made once per app, from its config).

Also (additions): ``open`` and ``size`` raise ``FileNotFoundError`` for a key that holds nothing; every
method raises :class:`InvalidKey` (a ``ValueError``) for a key outside ``[A-Za-z0-9/_.-]``, absolute,
or with an empty, ``.`` or ``..`` segment (or any segment starting with a dot); ``size`` may be left
out of ``download_response`` (then read from the store). ``attachment_headers(filename)`` gives the
download headers (``Content-Disposition: attachment`` with a sanitised name, ``nosniff``, a sandboxing
CSP, ``Cache-Control: private, no-store``); ``make_storage(config, instance_path)`` builds a backend
from settings (backups, tests).
"""

from typing import Protocol
from urllib.parse import unquote, urlsplit

from flask import Flask, Response, current_app

from hsbtrack.storage.keys import InvalidKey, validate_key
from hsbtrack.storage.local import LocalStorage
from hsbtrack.storage.responses import attachment_headers, content_disposition, safe_filename

__all__ = [
    "InvalidKey",
    "LocalStorage",
    "Storage",
    "attachment_headers",
    "configure_storage",
    "content_disposition",
    "make_storage",
    "safe_filename",
    "storage",
    "validate_key",
]

EXTENSION = "hsbtrack_storage"


class Storage(Protocol):
    def put(self, key: str, stream) -> int: ...
    def open(self, key: str): ...
    def delete(self, key: str) -> None: ...
    def exists(self, key: str) -> bool: ...
    def size(self, key: str) -> int: ...
    def keys(self, prefix: str = ""): ...
    def download_response(self, key: str, filename: str, content_type: str, size: int | None = None) -> Response: ...


def make_storage(config, instance_path: str) -> Storage:
    """The backend the settings describe (``HSBTRACK_STORAGE_URL``: empty, ``file:///path`` or ``s3://bucket[/prefix]``)."""
    url = (config.get("HSBTRACK_STORAGE_URL") or "").strip()
    accel = config.get("HSBTRACK_STORAGE_ACCEL_PREFIX") or ""
    if not url:
        return LocalStorage(f"{instance_path}/documents", accel_prefix=accel)
    parts = urlsplit(url)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path:
            raise ValueError(f"HSBTRACK_STORAGE_URL: a file URL is file:///absolute/path, not {url!r}")
        return LocalStorage(unquote(parts.path), accel_prefix=accel)
    if parts.scheme == "s3":
        if not parts.netloc:
            raise ValueError(f"HSBTRACK_STORAGE_URL: an S3 URL is s3://bucket[/prefix], not {url!r}")
        from hsbtrack.storage.s3 import S3Storage

        return S3Storage(
            parts.netloc,
            unquote(parts.path),
            endpoint_url=config.get("HSBTRACK_S3_ENDPOINT_URL") or None,
            access_key_id=config.get("HSBTRACK_S3_ACCESS_KEY_ID") or None,
            secret_access_key=config.get("HSBTRACK_S3_SECRET_ACCESS_KEY") or None,
            region=config.get("HSBTRACK_S3_REGION") or None,
            presigned_downloads=bool(config.get("HSBTRACK_S3_PRESIGNED_DOWNLOADS")),
        )
    raise ValueError(f"HSBTRACK_STORAGE_URL must start with file:// or s3://, not {url!r}")


def configure_storage(app: Flask) -> None:
    """The app's backend, made once from its settings (no network call: S3 is reached on first use)."""
    app.extensions[EXTENSION] = make_storage(app.config, app.instance_path)


def storage() -> Storage:
    """The current app's backend."""
    return current_app.extensions[EXTENSION]
