from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, File, Form, Request, Response, UploadFile
from fastapi.responses import StreamingResponse

from intake.dependencies import WritesReferrals
from intake.imports import service as imports
from intake.imports.models import Import, ImportRowError
from intake.imports.parser import COLUMNS, REQUIRED_COLUMNS, template_csv
from intake.imports.repository import ImportRepository
from intake.imports.runner import ImportWorker
from intake.imports.schemas import ImportOut, RowErrorOut
from intake.imports.service import FileCipher
from intake.settings import IntakeSettings
from shared.app import runtime_of
from shared.db import SessionDep
from shared.limits import upload_limit
from shared.paging import Page, PageParamsDep, paginate
from shared.problems import problem_responses, request_language
from shared.ratelimit import RateLimit
from shared.uploads import receive_upload

router = APIRouter(prefix="/v1")

_COLUMNS_DOC = f"""
The file is CSV (UTF-8, "," or ";" between cells) or XLSX (first sheet), with a header row and
one referral a row. Columns: {", ".join(f"`{c}`" for c in COLUMNS)}; required:
{", ".join(f"`{c}`" for c in REQUIRED_COLUMNS)}. `categories` is a ";"-separated list of category
codes; `document_type`, `document_number` and `document_issued_on` give each category's document
in the same order, also ";"-separated; `disability_group` (I, II, III) goes with `disability`.
Dates are YYYY-MM-DD. Each row is checked by the same rules as `POST /v1/applicants` and
`POST /v1/applications`. An example: `GET /v1/imports/template.csv`.

A row makes the applicant (or finds the one registered with that FIN) and the application
together, or nothing. A FIN repeated in the file is an error on the later row; a person who
already has an application in the round is refused as already referred. Uploading the same file
again (same SHA-256, same uploader, same round) answers 200 with the import made the first time.
"""


def _cipher(request: Request) -> FileCipher:
    return FileCipher(request.app.state.settings)


def _wake_worker(request: Request) -> None:
    runtime_of(request).get(ImportWorker).wake()


@router.post(
    "/imports",
    tags=["imports"],
    dependencies=[Depends(RateLimit("rate_limit_imports"))],
    status_code=202,
    response_model=ImportOut,
    summary="Upload a CSV or XLSX file of referrals as an import job",
    description=_COLUMNS_DOC,
    responses={
        200: {"description": "The same file was uploaded before: its import", "model": ImportOut},
        **problem_responses(401, 403, 404, 409, 413, 422),
    },
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "example": {
                        "file": "referrals.csv (see GET /v1/imports/template.csv)",
                        "round_id": "3f0c4b5e-8a7d-4c1e-9a57-2b1d6f0e4c21",
                    }
                }
            }
        }
    },
)
@upload_limit("import_max_file_bytes")
async def upload(
    request: Request,
    file: Annotated[UploadFile, File(description="The referrals, CSV or XLSX")],
    session: SessionDep,
    principal: WritesReferrals,
    background: BackgroundTasks,
    round_id: Annotated[
        uuid.UUID | None, Form(description="The open round the referrals apply to")
    ] = None,
) -> Response:
    settings: IntakeSettings = request.app.state.settings
    upload = await receive_upload(file, limit=settings.import_max_file_bytes)
    job, created = await imports.create_import(
        session,
        _cipher(request),
        principal,
        upload=upload,
        settings=settings,
        file_name=file.filename or "upload",
        round_id=round_id,
        language=request_language(request),
    )
    if created:
        # After the response, so after the commit: the worker then finds the import at once.
        background.add_task(_wake_worker, request)
    body = ImportOut.model_validate(job).model_dump_json()
    return Response(
        body,
        status_code=202 if created else 200,
        media_type="application/json",
        headers={"Location": f"/v1/imports/{job.id}"},
    )


@router.get(
    "/imports",
    tags=["imports"],
    response_model=Page[ImportOut],
    summary="The caller's imports, oldest first",
    responses=problem_responses(401, 403, 422),
)
async def list_imports(
    session: SessionDep, principal: WritesReferrals, page: PageParamsDep
) -> Page[ImportOut]:
    return await paginate(
        session,
        imports.imports_of(session, principal),
        key_columns=(Import.created_at, Import.id),
        params=page,
        to_item=ImportOut.model_validate,
    )


@router.get(
    "/imports/template.csv",
    tags=["imports"],
    summary="An example file with the header row and two referrals",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "The template"}},
)
async def template() -> Response:
    return Response(
        "\ufeff" + template_csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="referrals-template.csv"'},
    )


@router.get(
    "/imports/{import_id:uuid}",
    tags=["imports"],
    response_model=ImportOut,
    summary="An import's status, progress and counts",
    responses=problem_responses(401, 403, 404),
)
async def get_import(
    import_id: uuid.UUID, session: SessionDep, principal: WritesReferrals
) -> ImportOut:
    return ImportOut.model_validate(await ImportRepository(session).get(import_id, principal))


@router.get(
    "/imports/{import_id}/errors",
    tags=["imports"],
    response_model=Page[RowErrorOut],
    summary="The import's row errors, by row number",
    responses=problem_responses(401, 403, 404, 422),
)
async def list_errors(
    import_id: uuid.UUID, session: SessionDep, principal: WritesReferrals, page: PageParamsDep
) -> Page[RowErrorOut]:
    job = await ImportRepository(session).get(import_id, principal)
    return await paginate(
        session,
        imports.errors_query(job),
        key_columns=(ImportRowError.row_number, ImportRowError.id),
        params=page,
        to_item=RowErrorOut.model_validate,
    )


@router.get(
    "/imports/{import_id}/errors.csv",
    tags=["imports"],
    summary="The rejected rows with their errors, to fix and upload again (audited)",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/csv": {}}, "description": "The rejected rows"},
        **problem_responses(401, 403, 404),
    },
)
async def error_file(
    import_id: uuid.UUID, request: Request, session: SessionDep, principal: WritesReferrals
) -> StreamingResponse:
    job = await ImportRepository(session).get(import_id, principal)
    stream = await imports.error_file(session, _cipher(request), job, principal)
    return StreamingResponse(
        stream,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-{job.id}-errors.csv"'},
    )
