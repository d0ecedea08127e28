"""Where uploaded files (scans of handover acts, visit photos) are kept: a small protocol with a
local-folder implementation.

Keys are random and made here, never taken from the client, so a file name can neither reach
outside the folder nor reveal anything about the person. An S3-compatible store would implement
the same three methods; none is written yet because no S3 client library is installed.

Settings (read with getattr, so a service enables them by adding the fields to its Settings):
`filestore_path` (default "./data/files/<service_name>") and `max_upload_bytes` (default 10 MB).
"""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path
from typing import Annotated, Protocol

from fastapi import Depends, Request

DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024


class FileStore(Protocol):
    async def put(self, content: bytes, *, prefix: str) -> str:
        """Stores `content` under a new random key beginning with `prefix`; returns the key."""
        ...

    async def get(self, key: str) -> bytes:
        """The stored bytes; KeyError when there is no such key."""
        ...

    async def delete(self, key: str) -> None: ...


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

    async def put(self, content: bytes, *, prefix: str) -> str:
        key = f"{prefix.strip('/')}/{secrets.token_urlsafe(24)}"
        await asyncio.to_thread(self._write, self._path(key), content)
        return key

    @staticmethod
    def _write(path: Path, content: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        partial.write_bytes(content)
        partial.replace(path)

    async def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise KeyError(key) from None

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)


def store_from_settings(settings: object) -> FileStore:
    """The service's file store, configured by its settings' `filestore_path`."""
    path = getattr(settings, "filestore_path", None)
    if path is None:
        path = Path("data/files") / str(getattr(settings, "service_name", "service"))
    return LocalFileStore(path)


def get_filestore(request: Request) -> FileStore:
    """The app's file store, made once from its settings."""
    state = request.app.state
    if getattr(state, "filestore", None) is None:
        state.filestore = store_from_settings(state.settings)
    store: FileStore = state.filestore
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
