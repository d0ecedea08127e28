"""Uploaded files, one way in every service: checked by size and by content, and read from the
temporary file the multipart parser streams them to (in memory up to 1 MB, on disk beyond), never
whole into memory here. The route declares the body limit with `shared.limits.upload_limit`, so
no more than the limit is ever received.

Photos are re-encoded (`without_metadata`): EXIF, GPS, XMP and text chunks are dropped, the
camera's orientation applied to the pixels.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, BinaryIO

from fastapi import UploadFile
from PIL import Image, ImageOps, UnidentifiedImageError

from shared.filestore import sniff_content_type
from shared.i18n import add_messages
from shared.problems import FieldError, Problem

add_messages(
    {
        "detail.upload-too-large": {
            "az": "Fayl çox böyükdür (ən çox {limit} bayt)",
            "en": "The file is too large (at most {limit} bytes)",
            "ru": "Файл слишком большой (не более {limit} байт)",
        },
        "field.upload-too-large": {
            "az": "Fayl həddən böyükdür",
            "en": "The file is over the size limit",
            "ru": "Файл больше допустимого размера",
        },
        "detail.upload-type": {
            "az": "Bu növ fayl qəbul edilmir",
            "en": "This type of file is not accepted",
            "ru": "Файл такого типа не принимается",
        },
        "detail.image-unreadable": {
            "az": "Şəkil oxunmur",
            "en": "The image cannot be read",
            "ru": "Изображение не читается",
        },
        "detail.image-too-many-pixels": {
            "az": "Şəkildə çox piksel var (ən çox {limit})",
            "en": "The image has too many pixels (at most {limit})",
            "ru": "В изображении слишком много пикселей (не более {limit})",
        },
    }
)

FIELD = "body.file"
_PIXEL_INFO = ("icc_profile", "transparency")
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Upload:
    file: BinaryIO  # the temporary file, at its start
    size: int
    content_type: str | None  # told by the first bytes (shared.filestore), never by the name
    sha256: str

    @classmethod
    def of_bytes(cls, content: bytes) -> Upload:
        """The same for content already in memory (scripts, benchmarks)."""
        digest = hashlib.sha256(content).hexdigest()
        head = content[:16]
        return cls(io.BytesIO(content), len(content), sniff_content_type(head), digest)


def too_large(limit: int, detail: str = "detail.upload-too-large") -> Problem:
    return Problem(
        413,
        "payload-too-large",
        detail=detail,
        params={"limit": limit},
        errors=[FieldError(field=FIELD, code="too_large", message="field.upload-too-large")],
        extras={"limit": limit},
    )


async def receive_upload(
    file: UploadFile,
    *,
    limit: int,
    types: Collection[str] | None = None,
    too_large_detail: str = "detail.upload-too-large",
    wrong_type_detail: str = "detail.upload-type",
) -> Upload:
    """The uploaded file, once it is at most `limit` bytes and (when `types` is given) one of
    those content types: else 413 or 415."""
    size = await asyncio.to_thread(_size, file.file)
    if size > limit:
        raise too_large(limit, too_large_detail)
    sha256, head = await asyncio.to_thread(_digest, file.file)
    content_type = sniff_content_type(head)
    if types is not None and content_type not in types:
        raise Problem(415, "unsupported-media-type", detail=wrong_type_detail)
    return Upload(file=file.file, size=size, content_type=content_type, sha256=sha256)


def _size(file: BinaryIO) -> int:
    size = file.seek(0, io.SEEK_END)
    file.seek(0)
    return size


def _digest(file: BinaryIO) -> tuple[str, bytes]:
    digest = hashlib.sha256()
    head = file.read(16)
    digest.update(head)
    while chunk := file.read(_CHUNK):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest(), head


def _unreadable(detail: str, params: dict[str, Any] | None = None) -> Problem:
    return Problem(
        422,
        "validation-error",
        detail=detail,
        params=params,
        errors=[FieldError(field=FIELD, code="image_unreadable", message=detail)],
    )


def without_metadata(upload: Upload, *, max_pixels: int) -> bytes:
    """The JPEG or PNG re-encoded from its pixels alone, turned as the camera's orientation tag
    said; the colour profile is kept, all other metadata (EXIF with GPS, XMP, text) is not.
    CPU work: call it in a thread."""
    try:
        with Image.open(upload.file) as original:
            # Checked from the header, before the pixels are decoded (a decompression bomb).
            if original.width * original.height > max_pixels:
                raise _unreadable("detail.image-too-many-pixels", {"limit": max_pixels})
            image = ImageOps.exif_transpose(original)
            # The colour profile and PNG transparency are how the pixels look, not metadata.
            image.info = {k: v for k, v in image.info.items() if k in _PIXEL_INFO}
            out = io.BytesIO()
            if upload.content_type == "image/jpeg":
                image.save(out, "JPEG", quality=90, icc_profile=image.info.get("icc_profile"))
            else:
                image.save(out, "PNG")
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise _unreadable("detail.image-unreadable") from None
    finally:
        upload.file.seek(0)
    return out.getvalue()
