"""Bulk referral imports: the job, its uploaded file, the FINs it has seen, and its row errors."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from intake.base import Base
from shared.db import utcnow
from shared.repository import OwnedBy


class ImportStatus(StrEnum):
    queued = "queued"
    running = "running"
    completed = "completed"
    failed = "failed"


class FileFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


class Import(Base):
    __tablename__ = "imports"
    __partner__ = OwnedBy("partner_id")  # staff's own imports have none
    __table_args__ = (
        # The same file from the same uploader into the same round is one import (NULL round too).
        UniqueConstraint("owner", "sha256", "round_id", postgresql_nulls_not_distinct=True),
        Index("ix_imports_owner_created_at", "owner", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # "partner:<id>" for a partner, "staff" for the ministry's own officers.
    owner: Mapped[str] = mapped_column(Text)
    partner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("partners.id"))
    created_by: Mapped[str] = mapped_column(Text)
    round_id: Mapped[uuid.UUID | None]
    file_name: Mapped[str] = mapped_column(Text)
    format: Mapped[FileFormat] = mapped_column(String(8))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[ImportStatus] = mapped_column(String(16), default=ImportStatus.queued)
    total_rows: Mapped[int | None] = mapped_column(Integer)
    rows_processed: Mapped[int] = mapped_column(Integer, default=0)
    imported: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    failure: Mapped[str | None] = mapped_column(Text)
    # The uploader's language (Accept-Language): row errors are written in it.
    language: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class ImportFile(Base):
    """The uploaded file, encrypted: it holds personal data in the clear."""

    __tablename__ = "import_files"

    import_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("imports.id"), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class ImportFin(Base):
    """Each FIN (keyed hash) met in a file, with its first row: a later row with it is a
    duplicate, across chunks and restarts."""

    __tablename__ = "import_fins"

    import_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("imports.id"), primary_key=True)
    fin_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    row_number: Mapped[int] = mapped_column(Integer)


class ImportRowError(Base):
    """One field's error in one row; no values, only where and what (the values stay in the
    file)."""

    __tablename__ = "import_row_errors"
    __table_args__ = (Index("ix_import_row_errors_position", "import_id", "row_number", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    import_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("imports.id"))
    row_number: Mapped[int] = mapped_column(Integer)
    field: Mapped[str | None] = mapped_column(Text)
    code: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
