"""Visits: scheduling and assignment to monitors, lists, reports from the field, photos.
Functions flush, never commit."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal, TypedDict

from dateutil.relativedelta import relativedelta
from sqlalchemy import Row, Select, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from monitoring.queries import equal
from monitoring.settings import MonitoringSettings
from monitoring.visits import messages  # noqa: F401  (registers the message keys)
from monitoring.visits.models import (
    ItemStatus,
    Monitor,
    ReportItem,
    Visit,
    VisitPhoto,
    VisitReport,
    VisitStatus,
    VisitUnit,
)
from monitoring.visits.repository import VisitRepository
from monitoring.visits.schemas import CorrectionIn, MonitorIn, ReportFields, ReportIn
from shared import events
from shared.auth import Principal
from shared.db import add_in_savepoint, utcnow
from shared.decisions import record_decision
from shared.etag import IfMatch, check_if_match
from shared.events import (
    DeliveryCompleted,
    GrievanceResolved,
    ItemStatusReported,
    MonitoringDecisionRecorded,
    VisitReported,
)
from shared.filestore import FileStore
from shared.messaging.outbox import add_event
from shared.problems import (
    Conflict,
    FieldError,
    InvalidState,
    NotFound,
    PreconditionRequired,
    ValidationProblem,
)
from shared.uploads import Upload, without_metadata

# Azerbaijan with Nakhchivan and the Caspian shore, generously boxed: a check against a GPS
# fix that is plainly wrong, not a border.
AZ_LATITUDE = (Decimal("38.2"), Decimal("42.0"))
AZ_LONGITUDE = (Decimal("44.7"), Decimal("51.0"))
PHOTO_TYPES = frozenset({"image/jpeg", "image/png"})
_UNITS_NAMESPACE = uuid.UUID("6b1f0c55-3a49-4d8e-9a8f-3e1d2c4b5a69")


# --- Scheduling and assignment ------------------------------------------------------------------


async def schedule_visits(
    session: AsyncSession, delivery: DeliveryCompleted, months: Sequence[int]
) -> None:
    """Keeps the delivered units; the participant's first delivery also schedules the visits
    (a partial delivery later only adds units). Safe to run twice for the same delivery."""
    await _keep_units(session, delivery)
    scheduled = await session.scalar(
        select(Visit.id).where(Visit.participant_id == delivery.participant_id).limit(1)
    )
    if scheduled is not None:
        return
    monitor_id = await _least_loaded_monitor(session, delivery.region)
    for month in sorted(set(months)):
        session.add(
            Visit(
                participant_id=delivery.participant_id,
                delivery_id=delivery.delivery_id,
                delivered_on=delivery.delivered_on,
                region=delivery.region,
                partner_id=delivery.partner_id,
                month=month,
                due_on=delivery.delivered_on + relativedelta(months=month),
                monitor_id=monitor_id,
            )
        )
    await session.flush()


async def _keep_units(session: AsyncSession, delivery: DeliveryCompleted) -> None:
    rows = []
    for item in delivery.items:
        names: list[str | None] = list(item.serials) or [None]
        for position, serial in enumerate(names):
            unit_id = (
                item.unit_ids[position]
                if position < len(item.unit_ids)
                # Events from before unit ids were announced: an id derived from the delivery.
                else uuid.uuid5(
                    _UNITS_NAMESPACE, f"{delivery.delivery_id}/{item.asset_type}/{position}"
                )
            )
            rows.append(
                {
                    "id": unit_id,
                    "participant_id": delivery.participant_id,
                    "delivery_id": delivery.delivery_id,
                    "asset_type": item.asset_type,
                    "serial": serial,
                    "quantity": 1 if serial is not None else item.quantity,
                    "unit_price": item.unit_price,
                    "delivered_on": delivery.delivered_on,
                    "status": ItemStatus.in_use,
                }
            )
    if rows:
        await session.execute(insert(VisitUnit).values(rows).on_conflict_do_nothing())


def _open_visits() -> Select[str | None, int]:
    return (
        select(Visit.monitor_id, func.count())
        .where(Visit.status == VisitStatus.scheduled, Visit.monitor_id.is_not(None))
        .group_by(Visit.monitor_id)
    )


async def _loads(session: AsyncSession, region: str) -> dict[str, int]:
    """Open visits of each active monitor of `region`."""
    monitors = await session.scalars(
        select(Monitor.id).where(Monitor.active, Monitor.regions.any_() == region)
    )
    loads = dict.fromkeys(monitors, 0)
    if loads:
        rows = await session.execute(_open_visits().where(Visit.monitor_id.in_(list(loads))))
        for monitor_id, count in rows:
            loads[str(monitor_id)] = int(count)
    return loads


def _pick(loads: dict[str, int]) -> str | None:
    """The monitor with the fewest open visits; the smallest id among equals."""
    return min(loads, key=lambda monitor_id: (loads[monitor_id], monitor_id), default=None)


async def _least_loaded_monitor(session: AsyncSession, region: str) -> str | None:
    return _pick(await _loads(session, region))


async def assign_unassigned(session: AsyncSession, regions: Iterable[str]) -> int:
    """Gives the scheduled visits nobody has to the regions' monitors, one participant's visits
    to one monitor, by load. Returns how many visits were assigned."""
    assigned = 0
    for region in sorted(set(regions)):
        loads = await _loads(session, region)
        if not loads:
            continue
        waiting = (
            await session.scalars(
                select(Visit)
                .where(
                    Visit.region == region,
                    Visit.status == VisitStatus.scheduled,
                    Visit.monitor_id.is_(None),
                )
                .order_by(Visit.participant_id, Visit.due_on, Visit.id)
            )
        ).all()
        by_participant: dict[uuid.UUID, list[Visit]] = {}
        for visit in waiting:
            by_participant.setdefault(visit.participant_id, []).append(visit)
        # The participant whose next visit is due first is served first.
        for visits in sorted(by_participant.values(), key=lambda vs: (vs[0].due_on, vs[0].id)):
            monitor_id = _pick(loads)
            assert monitor_id is not None
            for visit in visits:
                visit.monitor_id = monitor_id
            loads[monitor_id] += len(visits)
            assigned += len(visits)
    await session.flush()
    return assigned


# --- Monitors -----------------------------------------------------------------------------------


async def put_monitor(
    session: AsyncSession, monitor_id: str, data: MonitorIn, if_match: IfMatch | None
) -> tuple[Monitor, bool]:
    """Creates or replaces a monitor (a replacement needs If-Match). Visits of regions the
    monitor leaves go to the region's other monitors; waiting visits of its regions come to it."""
    regions = sorted(set(data.regions))
    monitor = await session.get(Monitor, monitor_id)
    created = monitor is None
    touched = set(regions)
    if monitor is None:
        monitor = Monitor(id=monitor_id, regions=regions, active=data.active)
        session.add(monitor)
    else:
        if if_match is None:
            raise PreconditionRequired()
        check_if_match(if_match, monitor.version)
        touched |= set(monitor.regions)
        monitor.regions = regions
        monitor.active = data.active
        kept = regions if data.active else []
        leaving = await session.scalars(
            select(Visit).where(
                Visit.monitor_id == monitor_id,
                Visit.status == VisitStatus.scheduled,
                Visit.region.not_in(kept),
            )
        )
        for visit in leaving:
            visit.monitor_id = None
    await session.flush()
    await assign_unassigned(session, touched)
    return monitor, created


async def get_monitor(session: AsyncSession, monitor_id: str) -> Monitor:
    monitor = await session.get(Monitor, monitor_id)
    if monitor is None:
        raise NotFound("monitor", monitor_id)
    return monitor


def monitors_query(region: str | None, active: bool | None) -> Select[Monitor, int]:
    """Monitors with their number of open (scheduled) visits."""
    open_count = (
        select(func.count())
        .where(Visit.monitor_id == Monitor.id, Visit.status == VisitStatus.scheduled)
        .correlate(Monitor)
        .scalar_subquery()
    )
    query = select(Monitor, open_count.label("open_visits"))
    if region is not None:
        query = query.where(Monitor.regions.any_() == region)
    if active is not None:
        query = query.where(Monitor.active.is_(active))
    return query


async def open_visits(session: AsyncSession, monitor_id: str) -> int:
    count = await session.scalar(
        select(func.count()).where(
            Visit.monitor_id == monitor_id, Visit.status == VisitStatus.scheduled
        )
    )
    return int(count or 0)


# --- Visits -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VisitFilters:
    participant_id: uuid.UUID | None = None
    monitor: str | None = None
    region: str | None = None
    status: VisitStatus | None = None
    due: Literal["due", "overdue"] | None = None


def visits_query(
    session: AsyncSession,
    principal: Principal,
    filters: VisitFilters,
    *,
    today: date,
    window_days: int = 14,
) -> Select[Visit]:
    monitor = principal.subject if filters.monitor == "me" else filters.monitor
    conditions = equal(
        (Visit.participant_id, filters.participant_id),
        (Visit.monitor_id, monitor),
        (Visit.region, filters.region),
        (Visit.status, filters.status),
    )
    if filters.due == "due":
        conditions += [
            Visit.status == VisitStatus.scheduled,
            Visit.due_on <= today + timedelta(days=window_days),
        ]
    elif filters.due == "overdue":
        conditions += [Visit.status == VisitStatus.scheduled, Visit.due_on < today]
    return VisitRepository(session).query(principal, *conditions)


async def reassign(session: AsyncSession, visit: Visit, monitor_id: str) -> Visit:
    if visit.status != VisitStatus.scheduled:
        raise InvalidState(visit.status, "detail.visit-not-assignable")
    monitor = await session.get(Monitor, monitor_id)
    if monitor is None or not monitor.active:
        raise ValidationProblem(
            [
                FieldError(
                    field="body.monitor_id", code="unknown_monitor", message="field.unknown-monitor"
                )
            ]
        )
    visit.monitor_id = monitor.id
    await session.flush()
    return visit


async def cancel_open_visits(
    session: AsyncSession, participant_id: uuid.UUID, closed_on: date
) -> int:
    """The case is closed: the visits not made yet will not be."""
    visits = await session.scalars(
        select(Visit).where(
            Visit.participant_id == participant_id, Visit.status == VisitStatus.scheduled
        )
    )
    cancelled = 0
    for visit in visits:
        visit.status = VisitStatus.cancelled
        visit.cancelled_on = closed_on
        cancelled += 1
    await session.flush()
    return cancelled


# --- Reports ------------------------------------------------------------------------------------


class ReportNotFound(NotFound):
    """The visit is there, its report not yet: said as such."""

    def __init__(self, visit_id: uuid.UUID) -> None:
        super().__init__("visit-report", visit_id)
        self.detail = "detail.visit-not-reported"


async def get_report(session: AsyncSession, visit: Visit) -> VisitReport:
    report = await _report_of(session, visit.id)
    if report is None:
        raise ReportNotFound(visit.id)
    return report


async def _report_of(session: AsyncSession, visit_id: uuid.UUID) -> VisitReport | None:
    return await session.scalar(select(VisitReport).where(VisitReport.visit_id == visit_id))


async def report_visit(
    session: AsyncSession,
    visit: Visit,
    data: ReportIn,
    principal: Principal,
    *,
    today: date,
    appeal_days: int,
) -> tuple[VisitReport, bool]:
    """Records a visit's report once. The same report_id again is answered with the stored
    report (created False); another report_id for a visit already reported is a conflict."""
    existing = await _report_of(session, visit.id)
    if existing is not None:
        if existing.id == data.report_id:
            return existing, False
        raise Conflict("detail.visit-already-reported", extras={"report_id": str(existing.id)})
    if await session.get(VisitReport, data.report_id) is not None:  # made for another visit
        raise Conflict("detail.visit-already-reported")
    if visit.status == VisitStatus.cancelled and (
        visit.cancelled_on is None or data.visited_on > visit.cancelled_on
    ):
        raise InvalidState(visit.status, "detail.visit-cancelled")
    units = await _check(session, visit, data, today)
    now = utcnow()
    report = VisitReport(
        id=data.report_id,
        visit_id=visit.id,
        reported_by=principal.id,
        reported_at=now,
        updated_by=principal.id,
        updated_at=now,
        items=[],
        **_columns(visit, data),
    )
    _set_items(report, data, units)
    visit.status = VisitStatus.reported
    visit.visited_on = data.visited_on
    visit.late = report.late
    try:
        await add_in_savepoint(session, report)
    except IntegrityError:
        # Another device's report of this visit (or the same one sent twice at once) won.
        raise Conflict("detail.visit-already-reported") from None
    before = {unit.id: unit.status for unit in units}
    await _announce(session, visit, report, before)
    await _record_against(session, visit, report, before, principal, appeal_days)
    await _refresh_unit_status(session, [unit.id for unit in units])
    return report, True


async def correct_report(
    session: AsyncSession,
    visit: Visit,
    report: VisitReport,
    data: CorrectionIn,
    principal: Principal,
    *,
    today: date,
    appeal_days: int,
) -> VisitReport:
    """A new revision of the report. Item events only for findings that changed."""
    units = await _check(session, visit, data, today)
    previous = {item.unit_id: item.status for item in report.items}
    current = {unit.id: unit.status for unit in units}
    for name, value in _columns(visit, data).items():
        setattr(report, name, value)
    report.updated_by = principal.id
    report.updated_at = utcnow()
    _set_items(report, data, units)
    visit.visited_on = data.visited_on
    visit.late = report.late
    await session.flush()  # raises the revision
    await _announce(session, visit, report, {**current, **previous})
    await _record_against(session, visit, report, {**current, **previous}, principal, appeal_days)
    await _refresh_unit_status(session, set(previous) | set(current))
    return report


def _columns(visit: Visit, data: ReportFields) -> dict[str, object]:
    return {
        "visited_on": data.visited_on,
        "operating": data.operating,
        "income": _cents(data.income),
        "costs": _cents(data.costs),
        "jobs": data.jobs,
        "notes": data.notes,
        "latitude": _degrees(data.location.latitude) if data.location else None,
        "longitude": _degrees(data.location.longitude) if data.location else None,
        "late": data.visited_on > visit.due_on,
    }


# As the columns keep them, so that the first answer and a resend's read the same.
def _cents(amount: Decimal | None) -> Decimal | None:
    return amount.quantize(Decimal("0.01")) if amount is not None else None


def _degrees(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.000001"))


def _set_items(report: VisitReport, data: ReportFields, units: list[VisitUnit]) -> None:
    """Updates findings in place (one row per unit and report), so a correction never trips
    over the unique (report, unit) pair."""
    kept = {item.unit_id: item for item in report.items}
    items = []
    for position, (finding, unit) in enumerate(zip(data.items, units, strict=True)):
        item = kept.get(unit.id) or ReportItem(unit_id=unit.id)
        item.position = position
        item.asset_type = unit.asset_type
        item.serial = unit.serial
        item.status = finding.status
        item.reason = finding.reason
        items.append(item)
    report.items = items


async def _check(
    session: AsyncSession, visit: Visit, data: ReportFields, today: date
) -> list[VisitUnit]:
    """Refuses what cannot be true; returns the delivered unit each finding names."""
    errors: list[FieldError] = []

    def error(field: str, code: str, message: str) -> None:
        errors.append(FieldError(field=field, code=code, message=message))

    if data.visited_on > today:
        error("body.visited_on", "in_future", "field.visited-in-future")
    elif visit.delivered_on is not None and data.visited_on < visit.delivered_on:
        error("body.visited_on", "before_delivery", "field.visited-before-delivery")
    if data.location is not None:
        if not AZ_LATITUDE[0] <= data.location.latitude <= AZ_LATITUDE[1]:
            error("body.location.latitude", "outside_country", "field.outside-azerbaijan")
        if not AZ_LONGITUDE[0] <= data.location.longitude <= AZ_LONGITUDE[1]:
            error("body.location.longitude", "outside_country", "field.outside-azerbaijan")

    delivered = (
        await session.scalars(
            select(VisitUnit).where(VisitUnit.participant_id == visit.participant_id)
        )
    ).all()
    by_id = {unit.id: unit for unit in delivered}
    by_serial: dict[tuple[str | None, str | None], VisitUnit] = {
        (unit.asset_type, unit.serial): unit for unit in delivered if unit.serial
    }
    units: list[VisitUnit] = []
    seen: set[uuid.UUID] = set()
    for index, finding in enumerate(data.items):
        at = f"body.items.{index}"
        if finding.unit_id is not None:
            unit = by_id.get(finding.unit_id)
            named = f"{at}.unit_id"
            if (
                unit is not None
                and finding.serial is not None
                and ((unit.asset_type, unit.serial) != (finding.asset_type, finding.serial))
            ):
                unit, named = None, f"{at}.serial"
        else:
            unit = by_serial.get((finding.asset_type, finding.serial))
            named = f"{at}.serial"
        if unit is None:
            error(named, "unknown_unit", "field.unknown-unit")
        elif unit.id in seen:
            error(at, "duplicate_unit", "field.duplicate-unit")
        else:
            seen.add(unit.id)
            units.append(unit)
    if errors:
        raise ValidationProblem(errors)
    return units


class _Finding(TypedDict):
    unit_id: uuid.UUID
    asset_type: str
    serial: str | None
    status: str


def _finding(item: ReportItem) -> _Finding:
    """What both the visit's event and the item's own event say of a finding."""
    return {
        "unit_id": item.unit_id,
        "asset_type": item.asset_type,
        "serial": item.serial,
        "status": item.status.value,
    }


async def _announce(
    session: AsyncSession,
    visit: Visit,
    report: VisitReport,
    before: dict[uuid.UUID, ItemStatus],
) -> None:
    """monitoring.visit.reported with the revision, and an item event for each finding that
    differs from what was known before it. Coded facts only: no notes, photos or place."""
    await add_event(
        session,
        VisitReported(
            visit_id=visit.id,
            participant_id=visit.participant_id,
            month=visit.month,
            due_on=visit.due_on,
            visited_on=report.visited_on,
            operating=report.operating,
            income=report.income,
            costs=report.costs,
            jobs=report.jobs,
            items=[events.ReportedItem(**_finding(item)) for item in report.items],
            revision=report.revision,
        ),
    )
    for item in report.items:
        if item.status == before.get(item.unit_id, ItemStatus.in_use):
            continue
        await add_event(
            session,
            ItemStatusReported(
                visit_id=visit.id,
                participant_id=visit.participant_id,
                **_finding(item),
                reported_on=report.visited_on,
                reason=item.reason,
            ),
        )


async def _record_against(
    session: AsyncSession,
    visit: Visit,
    report: VisitReport,
    before: dict[uuid.UUID, ItemStatus],
    principal: Principal,
    appeal_days: int,
) -> None:
    """An item newly found missing, sold, dead or broken is a finding against the person: an
    adverse decision they may appeal (the reporter decided it)."""
    for item in report.items:
        if item.status in (ItemStatus.in_use, before.get(item.unit_id, ItemStatus.in_use)):
            continue
        await record_decision(
            session,
            MonitoringDecisionRecorded,
            application_id=visit.participant_id,
            kind="item_status",
            reason=item.status.value,
            decided_by=principal.id,
            appeal_days=appeal_days,
            ref_id=item.unit_id,
            partner_id=visit.partner_id,
        )


async def correct_item_status(
    session: AsyncSession, decision: Row[Any], appeal: GrievanceResolved
) -> str:
    """An upheld appeal against an item status finding: the unit is in use again, and assets is
    told so like any finding."""
    unit = await session.get(VisitUnit, decision.ref_id, with_for_update=True)
    if unit is None:
        return "item_status_corrected"
    latest = await session.scalar(
        select(VisitReport.visit_id)
        .join(ReportItem, ReportItem.report_id == VisitReport.id)
        .where(ReportItem.unit_id == unit.id)
        .order_by(VisitReport.visited_on.desc(), VisitReport.updated_at.desc())
        .limit(1)
    )
    unit.status = ItemStatus.in_use
    unit.status_on = appeal.resolved_at.date()
    await session.flush()
    if latest is not None:
        await add_event(
            session,
            ItemStatusReported(
                visit_id=latest,
                participant_id=unit.participant_id,
                unit_id=unit.id,
                asset_type=unit.asset_type,
                serial=unit.serial,
                status=ItemStatus.in_use.value,
                reported_on=appeal.resolved_at.date(),
                reason="appeal_upheld",
            ),
        )
    return "item_status_corrected"


async def _refresh_unit_status(session: AsyncSession, unit_ids: Iterable[uuid.UUID]) -> None:
    """Each unit's status is its latest finding by visit date, whatever order reports came in."""
    ids = list(unit_ids)
    if not ids:
        return
    findings = await session.execute(
        select(ReportItem.unit_id, ReportItem.status, VisitReport.visited_on)
        .join(VisitReport, VisitReport.id == ReportItem.report_id)
        .where(ReportItem.unit_id.in_(ids))
        .order_by(VisitReport.visited_on, VisitReport.updated_at)
    )
    found = {unit_id: (status, on) for unit_id, status, on in findings}  # the latest wins
    for unit in await session.scalars(select(VisitUnit).where(VisitUnit.id.in_(ids))):
        status, on = found.get(unit.id, (ItemStatus.in_use, None))
        unit.status = ItemStatus(status)
        unit.status_on = on
    await session.flush()


# --- Photos -------------------------------------------------------------------------------------


async def add_photo(
    session: AsyncSession,
    visit: Visit,
    store: FileStore,
    upload: Upload,
    settings: MonitoringSettings,
    principal: Principal,
) -> VisitPhoto:
    """Keeps the photo without its metadata; a visit has at most `max_photos_per_visit`."""
    # The visit's row lock counts the photos of concurrent uploads one after the other.
    await session.execute(select(Visit.id).where(Visit.id == visit.id).with_for_update())
    photos = await session.scalar(
        select(func.count()).select_from(VisitPhoto).where(VisitPhoto.visit_id == visit.id)
    )
    limit = settings.max_photos_per_visit
    if (photos or 0) >= limit:
        raise Conflict("detail.photo-limit", params={"limit": limit}, extras={"limit": limit})
    content = await asyncio.to_thread(
        without_metadata, upload, max_pixels=settings.photo_max_pixels
    )
    assert upload.content_type is not None
    photo = VisitPhoto(
        visit_id=visit.id,
        key=await store.put(content, prefix=f"visits/{visit.id}"),
        content_type=upload.content_type,
        size=len(content),
        uploaded_by=principal.id,
    )
    session.add(photo)
    await session.flush()
    return photo


def photos_query(visit: Visit) -> Select[VisitPhoto]:
    return select(VisitPhoto).where(VisitPhoto.visit_id == visit.id)


async def get_photo(session: AsyncSession, visit: Visit, photo_id: uuid.UUID) -> VisitPhoto:
    photo = await session.get(VisitPhoto, photo_id)
    if photo is None or photo.visit_id != visit.id:
        raise NotFound("photo", photo_id)
    return photo


async def read_photo(
    session: AsyncSession, visit: Visit, photo_id: uuid.UUID, store: FileStore
) -> tuple[bytes, str]:
    photo = await get_photo(session, visit, photo_id)
    try:
        return await store.get(photo.key), photo.content_type
    except KeyError:
        raise NotFound("photo", photo_id) from None
