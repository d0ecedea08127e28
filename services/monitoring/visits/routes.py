from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, File, Path, Query, Request, Response, UploadFile

from monitoring.access import ManagesCases, ReadsMonitoring, ReportsVisits, SeesPhotos, reads_notes
from monitoring.settings import MonitoringSettings, Settings
from monitoring.visits import service
from monitoring.visits.models import Monitor, Visit, VisitPhoto, VisitReport, VisitStatus
from monitoring.visits.repository import VisitRepository
from monitoring.visits.schemas import (
    AssignIn,
    CorrectionIn,
    MonitorIn,
    MonitorOut,
    PhotoOut,
    ReportIn,
    ReportOut,
    VisitOut,
)
from shared.auth import Admin, Principal
from shared.db import SessionDep, utcnow
from shared.etag import IfMatchDep, OptionalIfMatchDep, change_versioned, read_versioned, set_etag
from shared.filestore import FileStoreDep, max_upload_bytes
from shared.idempotency import IdempotencyDep
from shared.limits import upload_limit
from shared.paging import Page, PageParamsDep, paginate
from shared.problems import problem_responses
from shared.regions import RegionFilter
from shared.uploads import receive_upload

router = APIRouter(prefix="/v1", tags=["visits"])


def _report_out(report: VisitReport, principal: Principal) -> ReportOut:
    out = ReportOut.model_validate(report)
    if reads_notes(principal):
        return out
    return out.model_copy(update={"notes": None, "location": None})


# --- Visits -------------------------------------------------------------------------------------


@router.get(
    "/visits",
    response_model=Page[VisitOut],
    summary="Visits by due date: of a monitor (`me`), a region, a participant; due or overdue",
    description="`due=due`: scheduled and due within the service's window (14 days unless "
    "configured) or past; `due=overdue`: scheduled and past the due date. A partner sees the "
    "visits of its own participants only.",
    responses=problem_responses(401, 403, 422),
)
async def list_visits(
    session: SessionDep,
    principal: ReadsMonitoring,
    page: PageParamsDep,
    settings: Settings,
    participant_id: uuid.UUID | None = None,
    monitor: Annotated[
        str | None,
        Query(min_length=1, max_length=64, description="A monitor's id, or `me`", examples=["me"]),
    ] = None,
    region: RegionFilter = None,
    status: VisitStatus | None = None,
    due: Literal["due", "overdue"] | None = None,
) -> Page[VisitOut]:
    filters = service.VisitFilters(participant_id, monitor, region, status, due)
    return await paginate(
        session,
        service.visits_query(
            session,
            principal,
            filters,
            today=utcnow().date(),
            window_days=settings.visit_due_window_days,
        ),
        key_columns=(Visit.due_on, Visit.id),
        params=page,
        to_item=VisitOut.model_validate,
    )


@router.get(
    "/visits/{visit_id}",
    response_model=VisitOut,
    summary="A visit, with its ETag",
    responses=problem_responses(401, 403, 404),
)
async def get_visit(
    visit_id: uuid.UUID, session: SessionDep, principal: ReadsMonitoring, response: Response
) -> Visit:
    visit = await VisitRepository(session).get(visit_id, principal)
    return read_versioned(visit, response)


@router.post(
    "/visits/{visit_id}/assign",
    response_model=VisitOut,
    summary="Give a scheduled visit to another monitor (case officers; If-Match)",
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def assign_visit(
    visit_id: uuid.UUID,
    body: AssignIn,
    session: SessionDep,
    principal: ManagesCases,
    if_match: IfMatchDep,
    response: Response,
) -> Visit:
    visit = await VisitRepository(session).get(visit_id, principal)
    return await change_versioned(
        visit, if_match, response, lambda v: service.reassign(session, v, body.monitor_id)
    )


# --- Reports ------------------------------------------------------------------------------------


@router.get(
    "/visits/{visit_id}/report",
    response_model=ReportOut,
    summary="A visit's report, with its ETag (the revision)",
    description="`notes` and `location` are given to monitors, case officers and admins only; "
    "for analysts and partners' keys they are null.",
    responses=problem_responses(401, 403, 404),
)
async def get_report(
    visit_id: uuid.UUID, session: SessionDep, principal: ReadsMonitoring, response: Response
) -> ReportOut:
    visit = await VisitRepository(session).get(visit_id, principal)
    report = await service.get_report(session, visit)
    set_etag(response, report.version)
    return _report_out(report, principal)


@router.post(
    "/visits/{visit_id}/report",
    status_code=201,
    response_model=ReportOut,
    summary="Report a visit from the field, once: the device's report_id makes a resend harmless",
    description="201 for the first report: the visit becomes `reported` (`late` when visited "
    "after the due date) and `monitoring.visit.reported` is emitted, with "
    "`monitoring.item.status_reported` for each item found otherwise than last known. The same "
    "`report_id` sent again answers 200 with the stored report and changes nothing; another "
    "`report_id` for a visit already reported is 409 (correct it with PUT). Reports may come late "
    "and in any order. Items name a delivered unit by `unit_id` or by `asset_type` and `serial`.",
    responses={
        200: {"model": ReportOut, "description": "The same report_id again: the stored report"},
        **problem_responses(401, 403, 404, 409, 422),
    },
)
async def report_visit(
    visit_id: uuid.UUID,
    body: ReportIn,
    session: SessionDep,
    principal: ReportsVisits,
    settings: Settings,
    response: Response,
) -> ReportOut:
    visit = await VisitRepository(session).get(visit_id, principal)
    report, created = await service.report_visit(
        session, visit, body, principal, today=utcnow().date(), appeal_days=settings.appeal_days
    )
    response.status_code = 201 if created else 200
    set_etag(response, report.version)
    response.headers["Location"] = f"/v1/visits/{visit.id}/report"
    return _report_out(report, principal)


@router.put(
    "/visits/{visit_id}/report",
    response_model=ReportOut,
    summary="Correct a visit's report (If-Match: the report's ETag)",
    description="Raises the revision and emits `monitoring.visit.reported` with it; item events "
    "only for findings that changed. A stale ETag is 412: another correction came first.",
    responses=problem_responses(401, 403, 404, 412, 422, 428),
)
async def correct_report(
    visit_id: uuid.UUID,
    body: CorrectionIn,
    session: SessionDep,
    principal: ReportsVisits,
    settings: Settings,
    if_match: IfMatchDep,
    response: Response,
) -> ReportOut:
    visit = await VisitRepository(session).get(visit_id, principal)
    report = await change_versioned(
        await service.get_report(session, visit),
        if_match,
        response,
        lambda r: service.correct_report(
            session,
            visit,
            r,
            body,
            principal,
            today=utcnow().date(),
            appeal_days=settings.appeal_days,
        ),
    )
    return _report_out(report, principal)


# --- Photos -------------------------------------------------------------------------------------


@router.post(
    "/visits/{visit_id}/photos",
    status_code=201,
    response_model=PhotoOut,
    summary="Add a photo taken at the visit (JPEG or PNG)",
    description="The type is told by the file's content, not its name; the size limit is the "
    "service's `max_upload_bytes` (10 MB unless configured), and a visit keeps at most "
    "`max_photos_per_visit` photos (409 beyond). The photo is stored re-encoded from its pixels, "
    "turned as the camera said: its EXIF (GPS included), XMP and text metadata are dropped.",
    responses=problem_responses(401, 403, 404, 409, 413, 415, 422),
    openapi_extra={
        "requestBody": {"content": {"multipart/form-data": {"example": {"file": "hives.jpg"}}}}
    },
)
@upload_limit("max_upload_bytes")
async def add_photo(
    request: Request,
    visit_id: uuid.UUID,
    file: Annotated[UploadFile, File(description="The photo: JPEG or PNG")],
    session: SessionDep,
    principal: ReportsVisits,
    store: FileStoreDep,
    idem: IdempotencyDep,
) -> Response:
    settings: MonitoringSettings = request.app.state.settings
    visit = await VisitRepository(session).get(visit_id, principal)
    upload = await receive_upload(
        file,
        limit=max_upload_bytes(settings),
        types=service.PHOTO_TYPES,
        too_large_detail="detail.photo-too-large",
        wrong_type_detail="detail.photo-type",
    )

    return await idem.create(
        lambda: service.add_photo(session, visit, store, upload, settings, principal),
        read=lambda photo_id: service.get_photo(session, visit, photo_id),
        response_model=PhotoOut,
        location=f"/v1/visits/{visit.id}/photos/{{id}}",
    )


@router.get(
    "/visits/{visit_id}/photos",
    response_model=Page[PhotoOut],
    summary="The photos of a visit, oldest first",
    responses=problem_responses(401, 403, 404, 422),
)
async def list_photos(
    visit_id: uuid.UUID, session: SessionDep, principal: SeesPhotos, page: PageParamsDep
) -> Page[PhotoOut]:
    visit = await VisitRepository(session).get(visit_id, principal)
    return await paginate(
        session,
        service.photos_query(visit),
        key_columns=(VisitPhoto.uploaded_at, VisitPhoto.id),
        params=page,
        to_item=PhotoOut.model_validate,
    )


@router.get(
    "/visits/{visit_id}/photos/{photo_id}",
    summary="A photo, as uploaded",
    response_class=Response,
    responses={
        200: {
            "description": "The image, with its content type",
            "content": {"image/jpeg": {}, "image/png": {}},
        },
        **problem_responses(401, 403, 404),
    },
)
async def get_photo(
    visit_id: uuid.UUID,
    photo_id: uuid.UUID,
    session: SessionDep,
    principal: SeesPhotos,
    store: FileStoreDep,
) -> Response:
    visit = await VisitRepository(session).get(visit_id, principal)
    content, content_type = await service.read_photo(session, visit, photo_id, store)
    return Response(content, media_type=content_type)


# --- Monitors -----------------------------------------------------------------------------------


def _monitor_out(monitor: Monitor, open_visits: int) -> MonitorOut:
    return MonitorOut.model_validate(monitor).model_copy(update={"open_visits": open_visits})


@router.put(
    "/monitors/{monitor_id}",
    response_model=MonitorOut,
    summary="Add a monitor, or change its regions or take it off duty (admins)",
    description="The id is the staff user's id (the token's subject). Creating answers 201; "
    "replacing needs If-Match. Scheduled visits nobody has in the monitor's regions are "
    "assigned at once; visits of regions it leaves go to the region's other monitors.",
    responses={
        201: {"model": MonitorOut, "description": "Created"},
        **problem_responses(401, 403, 412, 422, 428),
    },
)
async def put_monitor(
    monitor_id: Annotated[str, Path(min_length=1, max_length=64, examples=["monitor-17"])],
    body: MonitorIn,
    session: SessionDep,
    principal: Admin,
    if_match: OptionalIfMatchDep,
    response: Response,
) -> MonitorOut:
    monitor, created = await service.put_monitor(session, monitor_id, body, if_match)
    response.status_code = 201 if created else 200
    set_etag(response, monitor.version)
    return _monitor_out(monitor, await service.open_visits(session, monitor.id))


@router.get(
    "/monitors",
    response_model=Page[MonitorOut],
    summary="Monitors, with how many open visits each has (case officers)",
    responses=problem_responses(401, 403, 422),
)
async def list_monitors(
    session: SessionDep,
    principal: ManagesCases,
    page: PageParamsDep,
    region: RegionFilter = None,
    active: bool | None = None,
) -> Page[MonitorOut]:
    return await paginate(
        session,
        service.monitors_query(region, active),
        key_columns=(Monitor.id,),
        params=page,
        to_item=lambda row: _monitor_out(row[0], row[1]),
    )


@router.get(
    "/monitors/{monitor_id}",
    response_model=MonitorOut,
    summary="A monitor, with its ETag",
    responses=problem_responses(401, 403, 404),
)
async def get_monitor(
    monitor_id: str, session: SessionDep, principal: ManagesCases, response: Response
) -> MonitorOut:
    monitor = await service.get_monitor(session, monitor_id)
    set_etag(response, monitor.version)
    return _monitor_out(monitor, await service.open_visits(session, monitor.id))
