"""Document bytes in a folder on local disk (by default ``<instance folder>/documents``)."""

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from flask import Response, request
from werkzeug.wsgi import wrap_file

from hsbtrack.storage.keys import validate_key, validate_prefix
from hsbtrack.storage.responses import CHUNK_SIZE, apply_attachment_headers

_TMP_PREFIX = ".tmp-"


class LocalStorage:
    """Files under ``root``, one per key; written to a temporary file, then renamed into place."""

    def __init__(self, root: str | os.PathLike, accel_prefix: str = ""):
        self.root = Path(root).resolve()
        self.accel_prefix = accel_prefix
        self.root.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"LocalStorage({str(self.root)!r})"

    def _path(self, key: str) -> Path:
        path = (self.root / validate_key(key)).resolve()
        if not path.is_relative_to(self.root):  # (a symlink in the tree would be the only way here)
            raise ValueError(f"storage key outside the root: {key!r}")
        return path

    def put(self, key: str, stream) -> int:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        written = 0
        fd, tmp_name = tempfile.mkstemp(prefix=_TMP_PREFIX, dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK_SIZE * 16):
                    out.write(chunk)
                    written += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp_name, 0o640)
            os.replace(tmp_name, path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        return written

    def open(self, key: str):
        return self._path(key).open("rb")

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        return self._path(key).stat().st_size

    def keys(self, prefix: str = "") -> Iterator[str]:
        validate_prefix(prefix)
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if name.startswith("."):
                    continue
                key = Path(dirpath, name).relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    yield key

    def download_response(self, key: str, filename: str, content_type: str, size: int | None = None) -> Response:
        path = self._path(key)
        if self.accel_prefix:
            # nginx serves the file from its `internal` location after the app's permission check.
            response = Response(status=200, mimetype=content_type)
            response.headers["X-Accel-Redirect"] = self.accel_prefix.rstrip("/") + "/" + quote(key)
            response.headers["Content-Length"] = "0"
            return apply_attachment_headers(response, filename)
        handle = path.open("rb")
        length = size if size is not None else os.fstat(handle.fileno()).st_size
        response = Response(
            wrap_file(request.environ, handle, buffer_size=CHUNK_SIZE),
            mimetype=content_type,
            direct_passthrough=True,
        )
        response.content_length = length
        return apply_attachment_headers(response, filename)
