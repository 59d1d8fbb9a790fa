"""Document storage against local disk and a real S3-compatible server (SeaweedFS on loopback, the
``s3_server`` fixture): bytes in and out, bounded memory for 50 MB, keys, downloads' headers, nginx's
X-Accel-Redirect and S3's presigned URLs."""

import hashlib
import io
import random
import resource
import time
import tracemalloc
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from flask import Flask, request

from hsbtrack.storage import InvalidKey, LocalStorage, make_storage, storage
from hsbtrack.storage.s3 import S3Storage
from hsbtrack.testing import make_app, s3_client

MB = 1024 * 1024


def _backend(kind, tmp_path, request_, **extra):
    if kind == "local":
        return make_storage({"HSBTRACK_STORAGE_URL": f"file://{tmp_path / 'store'}", **extra}, str(tmp_path))
    settings = request_.getfixturevalue("s3_server")
    # each test in a prefix of its own in the shared bucket
    url = f"{settings['HSBTRACK_STORAGE_URL']}/{uuid.uuid4().hex}"
    return make_storage({**settings, "HSBTRACK_STORAGE_URL": url, **extra}, str(tmp_path))


@pytest.fixture(params=["local", "s3"])
def backend(request, tmp_path):
    return _backend(request.param, tmp_path, request)


class Generated(io.RawIOBase):
    """``size`` bytes made on the fly (never all in memory), hashed as they are read."""

    def __init__(self, size: int):
        self.remaining = size
        self.block = random.Random(16).randbytes(MB)
        self.counter = 0
        self.buffer = b""
        self.sha = hashlib.sha256()

    def readable(self):
        return True

    def read(self, n=-1):
        if n is None or n < 0:
            n = MB
        n = min(n, len(self.buffer) + self.remaining)
        out = bytearray(n)
        view = memoryview(out)
        filled = len(self.buffer[:n])
        view[:filled] = self.buffer[:n]
        self.buffer = self.buffer[n:]
        while filled < n:
            take = min(MB, self.remaining)
            self.remaining -= take
            stamp = self.counter.to_bytes(8, "big") + self.block[8:take] if take >= 8 else self.block[:take]
            self.counter += 1
            use = min(take, n - filled)
            view[filled:filled + use] = stamp[:use]
            self.buffer = stamp[use:]
            filled += use
        view.release()
        chunk = bytes(out)
        del out
        self.sha.update(chunk)
        return chunk


def _read_all(handle) -> bytes:
    try:
        return handle.read()
    finally:
        handle.close()


def _download_app(backend):
    app = Flask("storage-test")

    @app.get("/download/<path:key>")
    def download(key):
        return backend.download_response(key, request.args["name"], "application/pdf")

    return app.test_client()


def test_small_round_trip_delete_and_exists(backend):
    data = b"%PDF-1.7\n" + bytes(range(256)) * 40
    assert not backend.exists("audits/1/report.pdf")
    assert backend.put("audits/1/report.pdf", io.BytesIO(data)) == len(data)
    assert backend.exists("audits/1/report.pdf")
    assert backend.size("audits/1/report.pdf") == len(data)
    assert _read_all(backend.open("audits/1/report.pdf")) == data
    # writing again replaces the bytes
    assert backend.put("audits/1/report.pdf", io.BytesIO(b"second")) == 6
    assert _read_all(backend.open("audits/1/report.pdf")) == b"second"

    backend.delete("audits/1/report.pdf")
    assert not backend.exists("audits/1/report.pdf")
    backend.delete("audits/1/report.pdf")  # already gone: no error
    with pytest.raises(FileNotFoundError):
        backend.open("audits/1/report.pdf")
    with pytest.raises(FileNotFoundError):
        backend.size("audits/1/report.pdf")


def test_empty_file(backend):
    assert backend.put("empty", io.BytesIO(b"")) == 0
    assert backend.exists("empty")
    assert _read_all(backend.open("empty")) == b""


def test_keys_lists_what_is_stored(backend):
    for key in ("a/1", "a/2", "b/1", "ab"):
        backend.put(key, io.BytesIO(key.encode()))
    assert sorted(backend.keys()) == ["a/1", "a/2", "ab", "b/1"]
    assert sorted(backend.keys("a/")) == ["a/1", "a/2"]
    assert sorted(backend.keys("a")) == ["a/1", "a/2", "ab"]
    assert list(backend.keys("zzz/")) == []


@pytest.mark.parametrize(
    "key",
    ["", "../escape", "a/../../b", "/etc/passwd", "a//b", "a/", "./a", "a/.hidden", "with space",
     "semi;colon", "caf\u00e9", "a\\b", "a\x00b", "x" * 513],
)
def test_unsafe_keys_are_refused(backend, key):
    for call in (
        lambda: backend.put(key, io.BytesIO(b"x")),
        lambda: backend.open(key),
        lambda: backend.delete(key),
        lambda: backend.exists(key),
        lambda: backend.size(key),
    ):
        with pytest.raises(InvalidKey):
            call()
    with pytest.raises(InvalidKey):
        list(backend.keys("../"))


def test_local_writes_land_under_the_root_only(tmp_path):
    store = LocalStorage(tmp_path / "store")
    store.put("docs/7/v1-ab12", io.BytesIO(b"x"))
    assert (tmp_path / "store" / "docs" / "7" / "v1-ab12").read_bytes() == b"x"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]


def test_local_failed_write_leaves_no_file_and_keeps_the_old_bytes(tmp_path):
    store = LocalStorage(tmp_path / "store")
    store.put("doc", io.BytesIO(b"old"))

    class Broken(io.RawIOBase):
        calls = 0

        def read(self, n=-1):
            self.calls += 1
            if self.calls > 1:
                raise OSError("connection reset")
            return b"partial"

    with pytest.raises(OSError, match="connection reset"):
        store.put("doc", Broken())
    assert _read_all(store.open("doc")) == b"old"
    assert sorted(p.name for p in (tmp_path / "store").iterdir()) == ["doc"]  # no temporary file left
    assert list(store.keys()) == ["doc"]


def test_fifty_megabytes_stream_with_bounded_memory(backend):
    size = 50 * MB
    backend.put("warm-up", io.BytesIO(b"warm"))  # imports and connections before measuring
    _read_all(backend.open("warm-up"))

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    tracemalloc.start()
    try:
        source = Generated(size)
        started = time.monotonic()
        assert backend.put("big/file", source) == size
        put_seconds = time.monotonic() - started
        _, put_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()

        back = hashlib.sha256()
        length = 0
        started = time.monotonic()
        handle = backend.open("big/file")
        try:
            while chunk := handle.read(MB):
                back.update(chunk)
                length += len(chunk)
        finally:
            handle.close()
        get_seconds = time.monotonic() - started
        _, get_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before

    print(
        f"\n{type(backend).__name__} 50 MB: put {put_seconds:.1f} s, Python peak {put_peak / MB:.1f} MB; "
        f"open+read {get_seconds:.1f} s, Python peak {get_peak / MB:.1f} MB; "
        f"process peak RSS growth {rss_growth / 1024:.1f} MB"
    )
    assert length == size
    assert back.hexdigest() == source.sha.hexdigest()  # the same bytes came back
    assert backend.size("big/file") == size
    # bounded by the part size (S3: a 5 MB multipart part, held a few times over by s3transfer and
    # botocore's checksums), not by the file's size
    assert put_peak < 20 * MB and get_peak < 20 * MB
    assert rss_growth < 25 * 1024


def _assert_download_headers(response, filename_part):
    assert response.headers["Content-Disposition"].startswith("attachment; ")
    assert filename_part in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert response.headers["Cache-Control"] == "private, no-store"


def test_download_response_streams_an_attachment(backend):
    data = b"%PDF-1.4 " + b"z" * (300 * 1024)
    backend.put("docs/1/v1", io.BytesIO(data))
    response = _download_app(backend).get("/download/docs/1/v1?name=Annual report.pdf")
    assert response.status_code == 200
    assert response.data == data
    assert response.headers["Content-Length"] == str(len(data))
    assert response.headers["Content-Type"] == "application/pdf"
    _assert_download_headers(response, 'filename="Annual report.pdf"')
    assert "X-Accel-Redirect" not in response.headers


def test_download_filename_is_sanitised_with_rfc5987_for_non_ascii(backend):
    backend.put("docs/2/v1", io.BytesIO(b"x"))
    client = _download_app(backend)

    welsh = client.get("/download/docs/2/v1", query_string={"name": "Adroddiad \u0175yl \u2013 2025.pdf"})
    disposition = welsh.headers["Content-Disposition"]
    assert 'filename="Adroddiad wyl _ 2025.pdf"' in disposition
    assert "filename*=UTF-8''Adroddiad%20%C5%B5yl%20%E2%80%93%202025.pdf" in disposition

    evil = client.get("/download/docs/2/v1", query_string={"name": '../../etc/"x";\r\nSet-Cookie: a=b.html'})
    disposition = evil.headers["Content-Disposition"]
    assert "Set-Cookie" not in evil.headers
    assert "/" not in disposition and "\r" not in disposition and "\n" not in disposition
    assert disposition.count('"') == 2  # only the quotes around the name
    _assert_download_headers(evil, "attachment")


def test_local_download_hands_the_file_to_nginx_when_configured(tmp_path):
    store = make_storage({"HSBTRACK_STORAGE_ACCEL_PREFIX": "/protected-documents/"}, str(tmp_path))
    store.put("docs/3/v2-abc", io.BytesIO(b"secret bytes"))
    response = _download_app(store).get("/download/docs/3/v2-abc?name=plan.pdf")
    assert response.status_code == 200
    assert response.headers["X-Accel-Redirect"] == "/protected-documents/docs/3/v2-abc"
    assert response.data == b""
    _assert_download_headers(response, 'filename="plan.pdf"')


def test_s3_download_redirects_to_a_short_lived_presigned_url(s3_server, tmp_path, request):
    store = _backend("s3", tmp_path, request, HSBTRACK_S3_PRESIGNED_DOWNLOADS=True)
    assert isinstance(store, S3Storage) and store.presigned_seconds == 60
    data = b"%PDF-1.7 presigned " + b"q" * 5000
    store.put("docs/4/v1", io.BytesIO(data))

    response = _download_app(store).get("/download/docs/4/v1?name=Board report.pdf")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(s3_server["HSBTRACK_S3_ENDPOINT_URL"])
    assert "X-Amz-Expires=60" in location
    assert response.headers["Cache-Control"] == "private, no-store"
    with urllib.request.urlopen(location, timeout=10) as fetched:  # noqa: S310 (loopback test server)
        assert fetched.read() == data
        assert fetched.headers["Content-Disposition"].startswith("attachment")

    # a URL expires: one valid for a second is refused after it
    store.presigned_seconds = 1
    short = _download_app(store).get("/download/docs/4/v1?name=x.pdf").headers["Location"]
    time.sleep(2.5)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(short, timeout=10)  # noqa: S310
    assert refused.value.code == 403


def test_s3_server_checks_credentials(s3_server):
    good = s3_client(s3_server)
    good.list_objects_v2(Bucket="hsbtrack-test", MaxKeys=1)
    wrong = s3_client(s3_server, secret="not-the-secret")
    with pytest.raises(ClientError) as refused:
        wrong.list_objects_v2(Bucket="hsbtrack-test", MaxKeys=1)
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    with pytest.raises(ClientError):
        wrong.put_object(Bucket="hsbtrack-test", Key="intruder", Body=b"x")


def test_the_app_builds_its_backend_from_its_settings(tmp_path, s3_server):
    app = make_app()
    with app.app_context():
        assert isinstance(storage(), LocalStorage)
        assert storage().root == Path(app.instance_path, "documents").resolve()
    app = make_app(HSBTRACK_STORAGE_URL=f"file://{tmp_path / 'elsewhere'}")
    with app.app_context():
        assert storage().root == (tmp_path / "elsewhere").resolve()
        assert storage() is storage()
    app = make_app(**s3_server)
    with app.app_context():
        assert isinstance(storage(), S3Storage) and storage().bucket == "hsbtrack-test"
        assert storage().put("from-the-app", io.BytesIO(b"ok")) == 2
        assert _read_all(storage().open("from-the-app")) == b"ok"
    with pytest.raises(ValueError, match="HSBTRACK_STORAGE_URL"):
        make_app(HSBTRACK_STORAGE_URL="ftp://somewhere")
