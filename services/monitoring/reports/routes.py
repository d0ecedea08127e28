"""The programme's figures: JSON by default, `?format=csv|xlsx` downloads and `?format=png|svg`
charts. Analysts and admins see exact figures (unless `audience=public`); everyone else, partners
included, sees counts of 1 to 4, what is derived from them, and the complementary figures that
would give them away withheld (monitoring.reports.suppression)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.concurrency import run_in_threadpool

from monitoring.access import ReadsGrievanceReport, ReadsReports
from monitoring.reports import charts, exports, service
from monitoring.reports.filters import (
    Audience,
    FiltersDep,
    FundFiltersDep,
    PeopleFiltersDep,
    PeriodFiltersDep,
    report_partner,
    scoped,
    suppressing,
)
from monitoring.reports.schemas import (
    Breakdown,
    BudgetReport,
    FunnelReport,
    GrievanceReport,
    ParticipantsReport,
    PartnerReport,
    PartnerReports,
    SurvivalReport,
)
from monitoring.settings import MonitoringSettings
from shared.db import SessionDep
from shared.i18n import add_messages
from shared.problems import Problem, problem_responses, request_language
from shared.ratelimit import RateLimit

router = APIRouter(
    prefix="/v1/reports",
    tags=["reports"],
    dependencies=[Depends(RateLimit("rate_limit_reports"))],
)

AudienceQuery = Annotated[
    Audience | None,
    Query(
        description=(
            "Analysts and admins get exact figures; everyone else, and anyone asking for "
            "`public`, gets every count from 1 to 4 withheld with the figures derived from it, "
            "and the next smallest figures needed so that none can be worked out by subtraction "
            '(null and named in the row\'s `suppressed`; "<5" in CSV and XLSX).'
        )
    ),
]
TableFormat = Literal["json", "csv", "xlsx"]
ChartOrTableFormat = Literal["json", "csv", "xlsx", "png", "svg"]

_TABLE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            exports.CSV_MEDIA_TYPE.split(";")[0]: {"schema": {"type": "string"}},
            exports.XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
        }
    }
}
_CHART_AND_TABLE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            **_TABLE[200]["content"],
            "image/png": {"schema": {"type": "string", "format": "binary"}},
            "image/svg+xml": {"schema": {"type": "string"}},
        }
    }
}
_PROBLEMS = problem_responses(401, 403, 404, 422, 429, 503)
QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE when statement_timeout stops a query

add_messages(
    {
        "detail.report-timeout": {
            "az": "Hesabat vaxtında hazırlanmadı; süzgəcləri daraldın və ya sonra cəhd edin",
            "en": "The report took too long; narrow its filters or try again later",
            "ru": "Отчёт не успел сформироваться; сузьте фильтры или повторите позже",
        },
    }
)


class ReportTimedOut(Problem):
    """A report's query stopped by the statement timeout: the service is busy, not broken."""

    def __init__(self) -> None:
        super().__init__(
            503,
            "service-unavailable",
            detail="detail.report-timeout",
            headers={"Retry-After": "60"},
        )


async def _report_session(session: SessionDep, request: Request) -> AsyncIterator[AsyncSession]:
    """The request's session with every query of the report bounded by
    `report_statement_timeout_ms` (SET LOCAL: this transaction only); a query stopped by it is
    a 503, not an error of ours."""
    settings: MonitoringSettings = request.app.state.settings
    await session.execute(
        text("SELECT set_config('statement_timeout', :ms, true)"),
        {"ms": str(settings.report_statement_timeout_ms)},
    )
    try:
        yield session
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) != QUERY_CANCELED:
            raise
        raise ReportTimedOut() from None


ReportSession = Annotated[AsyncSession, Depends(_report_session, scope="function")]


async def _answer(
    report: Any,
    fmt: ChartOrTableFormat,
    name: str,
    lines: Callable[[], list[list[Any]]],
    chart: Callable[[Any, Literal["png", "svg"]], bytes] | None = None,
) -> Any:
    """The report as asked: JSON, a chart (for reports that have one) or a CSV/XLSX download."""
    if chart is not None and (fmt == "png" or fmt == "svg"):
        content = await run_in_threadpool(chart, report, fmt)
        return Response(
            content,
            media_type=charts.MEDIA_TYPES[fmt],
            headers={"Content-Disposition": f'inline; filename="{name}.{fmt}"'},
        )
    if fmt == "json":
        return report
    return await run_in_threadpool(exports.download, lines(), name, fmt)


@router.get(
    "/participants",
    response_model=ParticipantsReport,
    summary="Participants per year and growth against the programme's first year",
    description=(
        "Participants enrolled (and not cancelled) per UTC year of enrolment; `growth` is the "
        "year's count as a multiple of the first year's (14.0: fourteen times the first year). "
        "`by` breaks it down by category (a person counts under each of theirs), region, "
        "direction or referring partner. The period bounds the enrolment day."
    ),
    responses={**_CHART_AND_TABLE, **_PROBLEMS},
)
async def participants(
    session: ReportSession,
    principal: ReadsReports,
    filters: FiltersDep,
    by: Annotated[Breakdown | None, Query(description="Break the years down")] = None,
    format: ChartOrTableFormat = "json",
    audience: AudienceQuery = None,
) -> Any:
    report = await service.participants_per_year(
        session, scoped(filters, principal), by=by, suppress=suppressing(principal, audience)
    )

    def lines() -> list[list[Any]]:
        if by is not None:
            return exports.table(report.breakdown, ["group", "year", "count", "growth"])
        return exports.table(report.years, ["year", "count", "growth"])

    return await _answer(report, format, "participants", lines, charts.participants_chart)


@router.get(
    "/funnel",
    response_model=FunnelReport,
    summary="The funnel from application to a business operating at 12 months",
    description=(
        "Applications submitted in the period, at each stage: applied, eligible, selected "
        "(in a round, or enrolled by hand), plan approved, assets delivered, operating at the "
        "6-month and at the 12-month visit. A stage counts those who passed every stage before "
        "it, with the conversion from the previous stage and from applied, and the median days "
        "from the previous stage."
    ),
    responses={**_CHART_AND_TABLE, **_PROBLEMS},
)
async def funnel(
    session: ReportSession,
    principal: ReadsReports,
    filters: FiltersDep,
    format: ChartOrTableFormat = "json",
    audience: AudienceQuery = None,
) -> Any:
    report = await service.funnel(
        session, scoped(filters, principal), suppress=suppressing(principal, audience)
    )
    return await _answer(
        report,
        format,
        "funnel",
        lambda: exports.table(report.stages, _FUNNEL_COLUMNS),
        charts.funnel_chart,
    )


@router.get(
    "/survival",
    response_model=SurvivalReport,
    summary="Business survival at 3, 6 and 12 months by direction (Kaplan-Meier)",
    description=(
        "Businesses handed over in the period. A business closes at the first visit that "
        "finds it not operating; one still followed is censored at its last visit found "
        "operating. Survival with its 95% confidence interval and the number still followed "
        "(at risk) at 3, 6 and 12 months after the handover."
    ),
    responses={**_CHART_AND_TABLE, **_PROBLEMS},
)
async def survival(
    session: ReportSession,
    principal: ReadsReports,
    filters: FiltersDep,
    format: ChartOrTableFormat = "json",
    audience: AudienceQuery = None,
) -> Any:
    report = await service.survival(
        session, scoped(filters, principal), suppress=suppressing(principal, audience)
    )

    def lines() -> list[list[Any]]:
        head: list[list[Any]] = [
            ["direction", "month", "at_risk", "survival", "ci_lower", "ci_upper"]
        ]
        return head + [
            [curve.direction, *row]
            for curve in report.directions
            for row in exports.table(curve.points, head[0][1:])[1:]
        ]

    return await _answer(report, format, "survival", lines, charts.survival_chart)


_FUNNEL_COLUMNS = [
    "stage",
    "count",
    "conversion_from_previous",
    "conversion_from_applied",
    "median_days_from_previous",
]
_BUDGET_COLUMNS = [
    "fund_id",
    "fund_partner_id",
    "round",
    "period_start",
    "period_end",
    "allocated",
    "reserved",
    "spent",
    "available",
    "orders_reserved",
    "orders_delivered",
    "orders_waiting",
]
_PARTNER_COLUMNS = [
    "partner_id",
    "enrolled",
    "priority",
    "trainings_held",
    "persons_trained",
    "persons_with_assets",
    "items_delivered",
    "assets_value",
    "visits_done",
    "operating",
    "summary",
]


@router.get(
    "/partners",
    response_model=PartnerReports,
    summary="Each partner's figures under its memorandum (a partner: its own)",
    description=(
        "Per referring partner: persons enrolled in the period and, of them, from martyr "
        "families or war participants; training sessions it ran and persons who completed them; "
        "assets handed over (persons, items, AZN); visits done; businesses operating at their "
        "latest visit. `summary` is the headline in the language of Accept-Language."
    ),
    responses={**_TABLE, **_PROBLEMS},
)
async def partners(
    request: Request,
    session: ReportSession,
    principal: ReadsReports,
    filters: FiltersDep,
    format: TableFormat = "json",
    audience: AudienceQuery = None,
) -> Any:
    filters = scoped(filters, principal)
    suppress = suppressing(principal, audience)
    reports = await service.partner_reports(
        session,
        filters,
        suppress=suppress,
        language=request_language(request),
        partner_id=filters.partner_id,
    )
    result = PartnerReports(partners=reports, suppressed_below=5 if suppress else None)
    return await _answer(
        result, format, "partners", lambda: exports.table(reports, _PARTNER_COLUMNS)
    )


@router.get(
    "/partners/{partner_id}",
    response_model=PartnerReport,
    summary="One partner's report under its memorandum",
    description=(
        'E.g. "27 persons enrolled, 14 of them from martyr families or war participants". '
        "A partner reads only its own (another partner's answers 404)."
    ),
    responses={**_TABLE, **_PROBLEMS},
)
async def partner(
    partner_id: uuid.UUID,
    request: Request,
    session: ReportSession,
    principal: ReadsReports,
    filters: PeopleFiltersDep,
    format: TableFormat = "json",
    audience: AudienceQuery = None,
) -> Any:
    report_partner(partner_id, principal)
    [report] = await service.partner_reports(
        session,
        filters,
        suppress=suppressing(principal, audience),
        language=request_language(request),
        partner_id=partner_id,
    )
    return await _answer(
        report, format, "partner", lambda: exports.table([report], _PARTNER_COLUMNS)
    )


@router.get(
    "/budgets",
    response_model=BudgetReport,
    summary="Budget use per fund and round: allocated, reserved, spent, available",
    description=(
        "Each fund's budget per round (those overlapping the period), as assets keeps it: "
        "available = allocated - reserved - spent, with the orders holding money, handed "
        "over, and waiting for money. A partner sees its own fund only."
    ),
    responses={**_TABLE, **_PROBLEMS},
)
async def budgets(
    session: ReportSession,
    principal: ReadsReports,
    filters: FundFiltersDep,
    round_: Annotated[
        str | None, Query(alias="round", max_length=64, description="The budget round's code")
    ] = None,
    format: TableFormat = "json",
    audience: AudienceQuery = None,
) -> Any:
    filters = scoped(filters, principal)
    report = await service.budget_use(
        session,
        partner_id=filters.partner_id,
        round_=round_,
        start=filters.start,
        end=filters.end,
        suppress=suppressing(principal, audience),
    )
    return await _answer(
        report, format, "budgets", lambda: exports.table(report.budgets, _BUDGET_COLUMNS)
    )


@router.get(
    "/grievances",
    response_model=GrievanceReport,
    summary="Grievances and appeals: counts by type, category and outcome, days to resolve",
    description=(
        "Grievances and appeals lodged in the period (by the day they were lodged), by type, "
        "by category and by outcome (`open` until resolved), and the median and 90th "
        "percentile of the days those resolved took. Analysts and admins only; `audience=public` "
        "gives the version with small cells withheld."
    ),
    responses={**_TABLE, **_PROBLEMS},
)
async def grievances(
    session: ReportSession,
    principal: ReadsGrievanceReport,
    filters: PeriodFiltersDep,
    format: TableFormat = "json",
    audience: AudienceQuery = None,
) -> Any:
    report = await service.grievance_report(
        session, filters, suppress=suppressing(principal, audience)
    )
    return await _answer(
        report, format, "grievances", lambda: exports.table(report.counts, _GRIEVANCE_COLUMNS)
    )


_GRIEVANCE_COLUMNS = ["by", "group", "count"]
