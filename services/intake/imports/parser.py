"""Reading referral files row by row (CSV or XLSX), never the whole file into rows at once."""

from __future__ import annotations

import contextlib
import csv
import io
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from itertools import islice
from typing import IO, BinaryIO

from defusedxml.ElementTree import iterparse
from openpyxl import load_workbook

from intake.imports.models import FileFormat

COLUMNS = (
    "fin",
    "first_name",
    "last_name",
    "patronymic",
    "birth_date",
    "sex",
    "phone",
    "address",
    "region",
    "household_size",
    "categories",
    "disability_group",
    "document_type",
    "document_number",
    "document_issued_on",
    "direction",
)
# Every category needs its document (as in the API): the document_* cells list one per category,
# separated by ";" in the same order as the categories.
REQUIRED_COLUMNS = (
    "fin",
    "first_name",
    "last_name",
    "birth_date",
    "sex",
    "region",
    "categories",
    "document_type",
    "document_number",
    "document_issued_on",
    "direction",
)

TEMPLATE_ROWS = (
    (
        "5ABC7DE", "Aygün", "Məmmədova", "Elşən qızı", "1988-04-12", "female", "+994501234567",
        "Gəncə, Nizami küç. 5", "AZ-GA", "4", "martyr_family;disability", "II",
        "martyr_family_certificate;disability_certificate", "ŞA-123456;ƏL-004512",
        "2021-03-15;2020-06-01", "beekeeping",
    ),
    (
        "7XYZ2QW", "İlkin", "Əliyev", "", "1979-11-30", "male", "", "", "AZ-BA", "2",
        "war_participant", "", "veteran_certificate", "QV-778812", "2021-01-20", "greenhouse",
    ),
)  # fmt: skip

Row = tuple[int, dict[str, str]]  # (row number in the file, header being row 1; column -> text)
# The file's bytes, or a file (an upload's temporary file) read from its start and left open.
Source = bytes | BinaryIO


class FileProblem(Exception):
    """The file as a whole cannot be read; `code` names why, without quoting its content."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def detect_format(head: bytes) -> FileFormat:
    # An XLSX file is a zip archive; anything else is taken as CSV text.
    return FileFormat.xlsx if head.startswith(b"PK\x03\x04") else FileFormat.csv


def _open(source: Source) -> BinaryIO:
    if isinstance(source, bytes):
        return io.BytesIO(source)
    source.seek(0)
    return source


def check_workbook(source: Source, *, max_uncompressed: int, max_shared_strings: int) -> None:
    """Refuses a zip bomb before openpyxl opens it: the members' uncompressed sizes together (zip
    reads no member past its declared size), and the shared strings, which openpyxl keeps all in
    memory, counted as they stream by."""
    try:
        with zipfile.ZipFile(_open(source)) as archive:
            members = archive.infolist()
            if sum(member.file_size for member in members) > max_uncompressed:
                raise FileProblem("xlsx-too-large", "The workbook is too large uncompressed")
            for member in members:
                if member.filename.lower().endswith("sharedstrings.xml"):
                    with archive.open(member) as xml:
                        _count_shared_strings(xml, max_shared_strings)
    except (zipfile.BadZipFile, SyntaxError, ValueError):  # ParseError is a SyntaxError
        raise FileProblem("unreadable-xlsx", "The XLSX file cannot be read") from None


def _count_shared_strings(xml: IO[bytes], limit: int) -> None:
    count = 0
    for _, element in iterparse(xml, events=("end",)):
        if element.tag.rsplit("}", 1)[-1] == "si":
            count += 1
            if count > limit:
                raise FileProblem("too-many-shared-strings", "The workbook has too many strings")
        element.clear()


def template_csv() -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(TEMPLATE_ROWS)
    return out.getvalue()


def read_rows(source: Source, fmt: FileFormat) -> Iterator[Row]:
    """The data rows, numbered as in the file; blank rows are skipped but keep their numbers."""
    records = _csv_records(source) if fmt == FileFormat.csv else _xlsx_records(source)
    try:
        header = next(records)
    except StopIteration:
        raise FileProblem("empty-file", "The file has no header row") from None
    names = [name.strip().lower().lstrip("\ufeff") for name in header]
    missing = [column for column in REQUIRED_COLUMNS if column not in names]
    if missing:
        raise FileProblem("missing-columns", "Missing columns: " + ", ".join(missing))
    known = [(index, name) for index, name in enumerate(names) if name in COLUMNS]
    for number, record in enumerate(records, start=2):
        values = {
            name: record[index].strip() if index < len(record) else "" for index, name in known
        }
        if any(values.values()):
            yield number, values


def count_rows(source: Source, fmt: FileFormat, *, up_to: int | None = None) -> int:
    """The data rows in the file, read the same way as `read_rows` (blank rows not counted);
    with `up_to`, counting stops there."""
    return sum(1 for _ in islice(read_rows(source, fmt), up_to))


def take(rows: Iterator[Row], size: int) -> list[Row]:
    return list(islice(rows, size))


def _csv_records(source: Source) -> Iterator[list[str]]:
    # utf-8-sig: Excel writes a byte-order mark in front of UTF-8 CSV.
    text = io.TextIOWrapper(_open(source), encoding="utf-8-sig", newline="")
    try:
        header = text.readline()
        text.seek(0)
        # Spreadsheets set to Azerbaijani or Russian save CSV with ";" between cells; the header
        # tells (data rows have ";" inside the categories cell).
        delimiter = ";" if header.count(";") > header.count(",") else ","
        yield from csv.reader(text, delimiter=delimiter)
    except UnicodeDecodeError:
        raise FileProblem("not-utf8", "The CSV file is not UTF-8 text") from None
    except csv.Error:  # a NUL byte, say, which PostgreSQL could not store either
        raise FileProblem("unreadable-csv", "The CSV file cannot be read") from None
    finally:
        # The file stays open: it is the caller's. A caller that closed it before this generator
        # was finished leaves nothing to detach.
        with contextlib.suppress(ValueError):
            text.detach()


def _xlsx_records(source: Source) -> Iterator[list[str]]:
    try:
        workbook = load_workbook(_open(source), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged archive
        raise FileProblem("unreadable-xlsx", "The XLSX file cannot be read") from None
    try:
        sheet = workbook.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield [_cell_text(value) for value in values]
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
