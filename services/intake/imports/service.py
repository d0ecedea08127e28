"""Imports as the API sees them: upload, look-up with partner scoping, row errors and the error
file. Functions flush, never commit; the work itself is done by runner.py."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from collections.abc import AsyncIterator
from typing import BinaryIO

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from intake.applicants.pii import Keyring
from intake.applicants.service import audit
from intake.imports.models import FileFormat, Import, ImportFile, ImportRowError
from intake.imports.parser import (
    COLUMNS,
    FileProblem,
    check_workbook,
    count_rows,
    detect_format,
    read_rows,
    take,
)
from intake.imports.repository import ImportRepository
from intake.rounds.models import RoundStatus
from intake.rounds.repository import RoundRepository
from intake.settings import IntakeSettings
from shared.auth import Principal
from shared.db import add_in_savepoint
from shared.i18n import add_messages, translate
from shared.problems import FieldError, InvalidState, Problem, ValidationProblem
from shared.repository import partner_of
from shared.spreadsheets import safe_cell
from shared.uploads import Upload

NONCE_BYTES = 12

add_messages(
    {
        "import.duplicate-in-file": {
            "az": "Bu FİN faylda {row} sətirdə artıq var",
            "en": "The same FIN is already in row {row} of this file",
            "ru": "Этот FIN уже есть в строке {row} этого файла",
        },
        "import.erased": {
            "az": "Bu şəxsin məlumatları silinib: onu POST /v1/applicants ilə yenidən qeydiyyata "
            "alın",
            "en": "This person's data was erased: register them again at POST /v1/applicants",
            "ru": "Данные этого лица удалены: зарегистрируйте его снова через POST /v1/applicants",
        },
        "import.already-referred": {
            "az": "Bu şəxs bu raund üçün artıq göndərilib",
            "en": "Already referred: this person already has an application in this round",
            "ru": "Уже направлен: у этого человека уже есть заявка в этом раунде",
        },
        "import.not-saved": {
            "az": "Sətir saxlanılmadı",
            "en": "The row was not saved",
            "ru": "Строка не сохранена",
        },
        "field.import-file-unreadable": {
            "az": "Fayl oxunmur: UTF-8 CSV və ya XLSX, başlıq sətri ilə olmalıdır",
            "en": "The file cannot be read: it should be UTF-8 CSV or XLSX with a header row",
            "ru": "Файл не читается: нужен CSV в UTF-8 или XLSX со строкой заголовков",
        },
        "field.import-xlsx-too-large": {
            "az": "XLSX faylı açılmış halda çox böyükdür (ən çox {limit} bayt)",
            "en": "The XLSX file is too large uncompressed (at most {limit} bytes)",
            "ru": "XLSX-файл в распакованном виде слишком большой (не более {limit} байт)",
        },
        "field.import-too-many-shared-strings": {
            "az": "XLSX faylında çox mətn var (ən çox {limit})",
            "en": "The XLSX file has too many distinct texts (at most {limit})",
            "ru": "В XLSX-файле слишком много разных строк (не более {limit})",
        },
        "field.import-too-many-rows": {
            "az": "Faylda çox sətir var (ən çox {limit}); faylı bölün",
            "en": "The file has too many rows (at most {limit}); split it",
            "ru": "В файле слишком много строк (не более {limit}); разделите его",
        },
        "field.import-missing-columns": {
            "az": "Başlıqda sütunlar çatışmır",
            "en": "The header row lacks required columns",
            "ru": "В строке заголовков нет обязательных столбцов",
        },
    }
)


def duplicate_message(first_row: int, language: str) -> str:
    return translate("import.duplicate-in-file", language, {"row": first_row})


def already_referred_message(language: str) -> str:
    return translate("import.already-referred", language)


def erased_message(language: str) -> str:
    return translate("import.erased", language)


class FileCipher:
    """The uploaded file is stored encrypted (it holds FINs and names in the clear), with a key
    derived from the FIN encryption key and bound to its import."""

    def __init__(self, settings: IntakeSettings) -> None:
        self.keyring = Keyring(settings, label=b"dayaq import file\x00")

    def encrypt(self, import_id: uuid.UUID, content: bytes) -> bytes:
        return self.keyring.seal(content, import_id.bytes)

    def decrypt(self, import_id: uuid.UUID, sealed: bytes) -> bytes:
        return self.keyring.open(sealed, import_id.bytes, unversioned_associated=import_id.bytes)


def owner_of(principal: Principal) -> str:
    """Partners own their imports; the ministry's officers share theirs."""
    partner = partner_of(principal)
    return "staff" if partner is None else f"partner:{partner}"


class FileTooLarge(Problem):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(413, "payload-too-large", errors=errors)


def _file_problem(code: str, message: str, status: int = 422) -> Problem:
    errors = [FieldError(field="body.file", code=code, message=message)]
    return FileTooLarge(errors) if status == 413 else ValidationProblem(errors)


def check_file(file: BinaryIO, settings: IntakeSettings, language: str) -> FileFormat:
    """The file's format, once it is known not to be a zip bomb, to have at most
    `import_max_rows` rows and a header row that can be read; else 413 or 422 on `body.file`."""
    fmt = detect_format(file.read(4))
    try:
        if fmt == FileFormat.xlsx:
            check_workbook(
                file,
                max_uncompressed=settings.import_xlsx_max_uncompressed_bytes,
                max_shared_strings=settings.import_xlsx_max_shared_strings,
            )
        take(read_rows(file, fmt), 1)
        if count_rows(file, fmt, up_to=settings.import_max_rows + 1) > settings.import_max_rows:
            limit = settings.import_max_rows
            message = translate("field.import-too-many-rows", language, {"limit": limit})
            raise _file_problem("too-many-rows", message)
    except FileProblem as problem:
        if problem.code == "xlsx-too-large":
            limit = settings.import_xlsx_max_uncompressed_bytes
            message = translate("field.import-xlsx-too-large", language, {"limit": limit})
            raise _file_problem(problem.code, message, 413) from None
        if problem.code == "too-many-shared-strings":
            limit = settings.import_xlsx_max_shared_strings
            message = translate("field.import-too-many-shared-strings", language, {"limit": limit})
            raise _file_problem(problem.code, message, 413) from None
        message = (
            "field.import-missing-columns"
            if problem.code == "missing-columns"
            else "field.import-file-unreadable"
        )
        raise _file_problem(problem.code, message) from None
    finally:
        file.seek(0)
    return fmt


async def create_import(
    session: AsyncSession,
    cipher: FileCipher,
    principal: Principal,
    *,
    upload: Upload,
    settings: IntakeSettings,
    file_name: str,
    round_id: uuid.UUID | None,
    language: str,
) -> tuple[Import, bool]:
    """The new import (queued), or the one made earlier from the same file: (import, created)."""
    fmt = await asyncio.to_thread(check_file, upload.file, settings, language)
    if round_id is not None:
        round_ = await RoundRepository(session).get(round_id, principal)
        if round_.status != RoundStatus.open:
            raise InvalidState(round_.status)
    owner = owner_of(principal)
    sha256 = upload.sha256
    if (earlier := await _same_file(session, owner, sha256, round_id)) is not None:
        return earlier, False
    job = Import(
        id=uuid.uuid4(),
        owner=owner,
        partner_id=principal.partner_id,
        created_by=principal.id,
        round_id=round_id,
        file_name=file_name[:255],
        format=fmt,
        sha256=sha256,
        size=upload.size,
        language=language,
    )
    try:
        # A concurrent upload of the same file commits first: answer with its import.
        await add_in_savepoint(session, job)
    except IntegrityError:
        earlier = await _same_file(session, owner, sha256, round_id)
        assert earlier is not None
        return earlier, False
    # Whole in memory now, within `import_max_file_bytes`: it is stored encrypted in one row.
    content = await asyncio.to_thread(upload.file.read)
    sealed = await asyncio.to_thread(cipher.encrypt, job.id, content)
    session.add(ImportFile(import_id=job.id, content=sealed))
    await session.flush()
    return job, True


async def _same_file(
    session: AsyncSession, owner: str, sha256: str, round_id: uuid.UUID | None
) -> Import | None:
    return await session.scalar(
        select(Import).where(
            Import.owner == owner,
            Import.sha256 == sha256,
            Import.round_id.is_not_distinct_from(round_id),
        )
    )


def imports_of(session: AsyncSession, principal: Principal) -> Select[Import]:
    """The caller's imports: a partner's own, or the ministry's officers' shared ones."""
    return ImportRepository(session).query(principal, Import.owner == owner_of(principal))


def errors_query(job: Import) -> Select[ImportRowError]:
    return select(ImportRowError).where(ImportRowError.import_id == job.id)


ERROR_FILE_BATCH = 1000


async def error_file(
    session: AsyncSession, cipher: FileCipher, job: Import, principal: Principal
) -> AsyncIterator[str]:
    """The rejected rows as CSV: their original values and an `errors` column, ready to fix and
    upload again. The read of personal data is audited."""
    audit(session, principal, "read", job.id, resource="import", reason="error_file")
    await session.flush()
    errors: dict[int, list[str]] = {}
    for row, field, message in await session.execute(
        select(ImportRowError.row_number, ImportRowError.field, ImportRowError.message)
        .where(ImportRowError.import_id == job.id)
        .order_by(ImportRowError.row_number, ImportRowError.id)
    ):
        errors.setdefault(row, []).append(f"{field}: {message}" if field else message)
    stored = await session.get(ImportFile, job.id)
    assert stored is not None
    content = cipher.decrypt(job.id, stored.content)
    rows = read_rows(content, job.format)

    def batch() -> tuple[str, bool]:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        read = take(rows, ERROR_FILE_BATCH)
        for number, values in read:
            if number in errors:
                # The uploaded text goes back as it came, but never as a formula.
                cells = [values.get(c, "") for c in COLUMNS] + ["; ".join(errors[number])]
                writer.writerow([number, *map(safe_cell, cells)])
        return out.getvalue(), bool(read)

    async def stream() -> AsyncIterator[str]:
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerow(["row", *COLUMNS, "errors"])
        yield "\ufeff" + out.getvalue()  # Excel opens UTF-8 CSV right with a byte-order mark
        while True:
            text, more = await asyncio.to_thread(batch)
            if text:
                yield text
            if not more:
                return

    return stream()
