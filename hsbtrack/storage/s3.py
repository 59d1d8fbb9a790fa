"""Document bytes in an S3-compatible bucket (AWS, MinIO, SeaweedFS, Garage...), through boto3, so that
several app servers share one store."""

from collections.abc import Iterator

from flask import Response, redirect

from hsbtrack.storage.keys import validate_key, validate_prefix
from hsbtrack.storage.responses import CHUNK_SIZE, apply_attachment_headers, content_disposition

PRESIGNED_SECONDS = 60
_PART = 5 * 1024 * 1024  # S3's smallest multipart part


class _Counting:
    """A read-only view of ``stream`` that counts the bytes read (not seekable: streamed as it comes)."""

    def __init__(self, stream):
        self.stream = stream
        self.count = 0

    def read(self, size=-1):
        chunk = self.stream.read(size)
        self.count += len(chunk)
        return chunk


class S3Storage:
    """Objects ``<prefix>/<key>`` in ``bucket``."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        region: str | None = None,
        presigned_downloads: bool = False,
        presigned_seconds: int = PRESIGNED_SECONDS,
    ):
        import boto3
        from boto3.s3.transfer import TransferConfig
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.presigned_downloads = presigned_downloads
        self.presigned_seconds = presigned_seconds
        self.client = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url or None,
            aws_access_key_id=access_key_id or None,
            aws_secret_access_key=secret_access_key or None,
            region_name=region or "us-east-1",
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path" if endpoint_url else "auto"},
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        )
        # Bounded memory: at most a few parts in memory at once, whatever the file's size.
        self.transfer = TransferConfig(
            multipart_threshold=_PART,
            multipart_chunksize=_PART,
            max_concurrency=1,
            max_io_queue=4,
        )
        # (s3transfer's own settings, which boto3's constructor does not take)
        self.transfer.max_in_memory_upload_chunks = 1
        self.transfer.max_in_memory_download_chunks = 2

    def __repr__(self) -> str:
        return f"S3Storage(bucket={self.bucket!r}, prefix={self.prefix!r})"

    def _object(self, key: str) -> str:
        validate_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _missing(self, error) -> bool:
        code = str(error.response.get("Error", {}).get("Code", ""))
        return code in {"404", "NoSuchKey", "NotFound"}

    def put(self, key: str, stream) -> int:
        counting = _Counting(stream)
        self.client.upload_fileobj(counting, self.bucket, self._object(key), Config=self.transfer)
        return counting.count

    def open(self, key: str):
        return self._get(key)["Body"]

    def _get(self, key: str) -> dict:
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._object(key))
        except ClientError as error:
            if self._missing(error):
                raise FileNotFoundError(key) from error
            raise

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._object(key))

    def _head(self, key: str) -> dict:
        from botocore.exceptions import ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=self._object(key))
        except ClientError as error:
            if self._missing(error):
                raise FileNotFoundError(key) from error
            raise

    def exists(self, key: str) -> bool:
        try:
            self._head(key)
        except FileNotFoundError:
            return False
        return True

    def size(self, key: str) -> int:
        return int(self._head(key)["ContentLength"])

    def keys(self, prefix: str = "") -> Iterator[str]:
        validate_prefix(prefix)
        base = f"{self.prefix}/" if self.prefix else ""
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=base + prefix):
            for item in page.get("Contents", []):
                yield item["Key"][len(base):]

    def presigned_url(self, key: str, filename: str, content_type: str) -> str:
        return self.client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": self._object(key),
                "ResponseContentDisposition": content_disposition(filename),
                "ResponseContentType": content_type,
                "ResponseCacheControl": "private, no-store",
            },
            ExpiresIn=self.presigned_seconds,
        )

    def download_response(self, key: str, filename: str, content_type: str, size: int | None = None) -> Response:
        if self.presigned_downloads:
            # After the caller's permission check: a URL valid for a minute, to this object only.
            response = redirect(self.presigned_url(key, filename, content_type), code=302)
            return apply_attachment_headers(response, filename)
        found = self._get(key)
        obj = found["Body"]

        def chunks():
            try:
                yield from obj.iter_chunks(CHUNK_SIZE)
            finally:
                obj.close()

        response = Response(chunks(), mimetype=content_type, direct_passthrough=True)
        response.content_length = size if size is not None else int(found["ContentLength"])
        return apply_attachment_headers(response, filename)
