"""Reports as CSV and XLSX downloads: one header row, then one row per line of the report, with
"<5" where a figure is withheld (monitoring.reports.suppression). Text that a spreadsheet would
run as a formula is written inert (shared.spreadsheets); numbers stay numbers."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import Response
from openpyxl import Workbook
from openpyxl.styles import Font
from pydantic import BaseModel

from monitoring.reports.suppression import MARK
from shared.spreadsheets import safe_cell

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def table(rows: Sequence[BaseModel], columns: Sequence[str]) -> list[list[Any]]:
    """The header, then each row's `columns`, withheld figures as "<5"."""
    lines: list[list[Any]] = [list(columns)]
    for row in rows:
        values = row.model_dump()
        hidden = set(values.get("suppressed", ()))
        lines.append([MARK if name in hidden else values.get(name) for name in columns])
    return lines


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def to_csv(lines: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for line in lines:
        writer.writerow([_text(safe_cell(value)) for value in line])
    # With a BOM, spreadsheet programs read the Azerbaijani letters as UTF-8.
    return buffer.getvalue().encode("utf-8-sig")


def _cell(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float | Decimal | date | str):
        return value
    return str(value)  # uuids


def to_xlsx(lines: list[list[Any]], title: str) -> bytes:
    workbook = Workbook()
    sheet: Any = workbook.active
    sheet.title = title[:31]
    for line in lines:
        sheet.append([safe_cell(_cell(value)) for value in line])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for column in sheet.columns:
        width = max(len(_text(cell.value)) for cell in column)
        sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 8), 48)
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, Decimal):
                cell.number_format = "#,##0.00"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def download(lines: list[list[Any]], name: str, fmt: str) -> Response:
    if fmt == "csv":
        content, media_type = to_csv(lines), CSV_MEDIA_TYPE
    else:
        content, media_type = to_xlsx(lines, name), XLSX_MEDIA_TYPE
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )
