"""Where uploaded files (scans of handover acts, visit photos) are kept: a small protocol with two
implementations, a local folder and an S3-compatible bucket.

Keys are random and made here, never taken from the client, so a file name can neither reach
outside the folder or bucket prefix nor reveal anything about the person.

A service enables the store by mixing `FileStoreSettings` into its Settings: with
`filestore_s3_bucket` set, files go to that bucket (under `filestore_s3_prefix`); otherwise to the
local folder `filestore_path` (default ".dayaq/files/<service_name>"). `max_upload_bytes` bounds
an upload (default 10 MB).
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO, Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from fastapi import Depends, Request
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client

DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024


class FileStoreSettings(BaseSettings):
    """The file-store fields of a service's Settings (a mixin: the service's env prefix applies,
    e.g. ASSETS_FILESTORE_S3_BUCKET)."""

    filestore_path: Path | None = Field(
        None, description='Local folder for uploads; default ".dayaq/files/<service_name>"'
    )
    filestore_s3_bucket: str | None = Field(
        None, description="An S3-compatible bucket; when set, uploads go there, not to the folder"
    )
    filestore_s3_prefix: str = Field("", description='Key prefix inside the bucket, e.g. "assets/"')
    filestore_s3_endpoint_url: str | None = Field(
        None, description="The object storage's URL; None: AWS S3 itself"
    )
    filestore_s3_region: str | None = None
    # None: boto3's own chain (environment, web identity, instance role).
    filestore_s3_access_key_id: str | None = None
    filestore_s3_secret_access_key: SecretStr | None = None
    max_upload_bytes: int = Field(DEFAULT_MAX_UPLOAD_BYTES, gt=0)


class FileStore(Protocol):
    async def put(self, content: bytes | BinaryIO, *, prefix: str) -> str:
        """Stores `content` (bytes, or a file read from where it stands: an upload's temporary
        file, copied without holding it in memory) under a new random key beginning with
        `prefix`; returns the key."""
        ...

    async def get(self, key: str) -> bytes:
        """The stored bytes; KeyError when there is no such key."""
        ...

    async def delete(self, key: str) -> None: ...


def _new_key(prefix: str) -> str:
    return f"{prefix.strip('/')}/{secrets.token_urlsafe(24)}"


class LocalFileStore:
    """Files under one base folder, one file per key. Writes go to a temporary name first, so a
    reader never sees half a file."""

    def __init__(self, base_path: Path | str) -> None:
        self.base_path = Path(base_path).resolve()

    def _path(self, key: str) -> Path:
        path = (self.base_path / key).resolve()
        if not path.is_relative_to(self.base_path) or path == self.base_path:
            raise KeyError(key)
        return path

    async def put(self, content: bytes | BinaryIO, *, prefix: str) -> str:
        key = _new_key(prefix)
        await asyncio.to_thread(self._write, self._path(key), content)
        return key

    @staticmethod
    def _write(path: Path, content: bytes | BinaryIO) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        if isinstance(content, bytes):
            partial.write_bytes(content)
        else:
            with partial.open("wb") as out:
                shutil.copyfileobj(content, out)
        partial.replace(path)

    async def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise KeyError(key) from None

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)


class S3FileStore:
    """Objects in an S3-compatible bucket (AWS, MinIO, Ceph, the ministry's object storage).

    boto3 is synchronous: each call runs in a worker thread. One client per store; boto3 clients
    are safe to share between threads. An object is written whole or not at all, so a reader never
    sees half a file either.
    """

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client: S3Client = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            config=Config(
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=5,
                read_timeout=30,
                # Path-style URLs: what S3-compatible servers without wildcard DNS understand.
                s3={"addressing_style": "path"},
            ),
        )

    def _object(self, key: str) -> str:
        if not key or key.startswith("/") or ".." in key.split("/"):
            raise KeyError(key)
        return self.prefix + key

    async def put(self, content: bytes | BinaryIO, *, prefix: str) -> str:
        key = _new_key(prefix)
        await asyncio.to_thread(
            self.client.put_object, Bucket=self.bucket, Key=self._object(key), Body=content
        )
        return key

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self._read, self._object(key), key)

    def _read(self, name: str, key: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=name)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise KeyError(key) from None
            raise
        with response["Body"] as body:
            return body.read()

    async def delete(self, key: str) -> None:
        # S3 answers a delete of a missing object with success, like unlink(missing_ok=True).
        await asyncio.to_thread(
            self.client.delete_object, Bucket=self.bucket, Key=self._object(key)
        )


def store_from_settings(settings: object) -> FileStore:
    """The service's file store: the S3 bucket when `filestore_s3_bucket` is set, else the local
    folder `filestore_path`."""
    bucket = getattr(settings, "filestore_s3_bucket", None)
    if bucket:
        secret: SecretStr | None = getattr(settings, "filestore_s3_secret_access_key", None)
        return S3FileStore(
            bucket,
            prefix=getattr(settings, "filestore_s3_prefix", ""),
            endpoint_url=getattr(settings, "filestore_s3_endpoint_url", None),
            region=getattr(settings, "filestore_s3_region", None),
            access_key_id=getattr(settings, "filestore_s3_access_key_id", None),
            secret_access_key=secret.get_secret_value() if secret is not None else None,
        )
    path = getattr(settings, "filestore_path", None)
    if path is None:
        path = Path(".dayaq/files") / str(getattr(settings, "service_name", "") or "service")
    return LocalFileStore(path)


async def get_filestore(request: Request) -> FileStore:
    """The file store the service made at start (a part of its runtime)."""
    store: FileStore = request.app.state.runtime.get(FileStore)
    return store


FileStoreDep = Annotated[FileStore, Depends(get_filestore)]


def max_upload_bytes(settings: object) -> int:
    return int(getattr(settings, "max_upload_bytes", DEFAULT_MAX_UPLOAD_BYTES))


# Content types told by the first bytes of the file (its "magic number"), never by its name.
_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


def sniff_content_type(head: bytes) -> str | None:
    """The content type of a PDF, JPEG or PNG file from its first bytes; None for anything else."""
    for signature, content_type in _SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None
