from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field, computed_field

from intake.imports.models import FileFormat, ImportStatus
from shared.days import IsoMoment

_ID = "7d1e5c1a-2b3f-4a5e-8c9d-0e1f2a3b4c5d"


class ImportOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": _ID,
                    "status": "running",
                    "file_name": "referrals-2027-03.csv",
                    "format": "csv",
                    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                    "round_id": "6f1c2b9e-3a47-4c1e-9a53-0d7f5f1e2a10",
                    "partner_id": None,
                    "total_rows": 100000,
                    "rows_processed": 42000,
                    "imported": 41870,
                    "rejected": 130,
                    "progress": 0.42,
                    "failure": None,
                    "created_at": "2027-03-19T10:00:00Z",
                    "started_at": "2027-03-19T10:00:01Z",
                    "finished_at": None,
                }
            ]
        },
    )

    id: uuid.UUID
    status: ImportStatus = Field(description="queued, running, completed or failed")
    file_name: str
    format: FileFormat
    sha256: str = Field(description="SHA-256 of the file: the same file again is this import")
    round_id: uuid.UUID | None
    partner_id: uuid.UUID | None
    total_rows: int | None = Field(description="Data rows in the file; known once it runs")
    rows_processed: int
    imported: int = Field(description="Rows that became an application")
    rejected: int = Field(description="Rows refused; see /errors")
    failure: str | None = Field(
        description="Why the file as a whole could not be imported (a code), when failed"
    )
    created_at: IsoMoment
    started_at: IsoMoment | None
    finished_at: IsoMoment | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def progress(self) -> float:
        """Share of the rows processed, 0 to 1."""
        if not self.total_rows:
            return 1.0 if self.status == ImportStatus.completed else 0.0
        return round(self.rows_processed / self.total_rows, 4)


class RowErrorOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "row": 17,
                    "field": "birth_date",
                    "code": "date_from_datetime_parsing",
                    "message": "Input should be a valid date",
                }
            ]
        },
    )

    row: int = Field(
        validation_alias="row_number", description="Row number in the file; the header is row 1"
    )
    field: str | None = Field(description="The column at fault; null for the row as a whole")
    code: str
    message: str
