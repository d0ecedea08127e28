"""The monitoring service: visits after the handover, and read models of the whole lifecycle."""

from fastapi import FastAPI

from monitoring.cases.routes import router as cases
from monitoring.cases.service import check_overdue
from monitoring.due_process import subject_access
from monitoring.grievances.routes import router as grievances
from monitoring.grievances.service import check_escalations
from monitoring.handlers import handlers
from monitoring.readmodels.routes import router as readmodels
from monitoring.reports.routes import router as reports
from monitoring.settings import MonitoringSettings
from monitoring.visits.routes import router as visits
from shared.app import Runtime, create_service_app
from shared.filestore import FileStore, store_from_settings
from shared.partner_keys import partner_key_reconciliation
from shared.workers import Periodic


def create_app(settings: MonitoringSettings | None = None) -> FastAPI:
    settings = settings or MonitoringSettings()

    def overdue_check(runtime: Runtime) -> Periodic:
        # Several instances may run it at once: a visit is flagged once.
        async def check() -> None:
            await check_overdue(runtime.sessionmaker)

        return Periodic("the overdue check", settings.overdue_check_seconds, check)

    def grievance_escalation(runtime: Runtime) -> Periodic:
        # Several instances may run it at once: each deadline escalates once.
        async def escalate() -> None:
            await check_escalations(runtime.sessionmaker)

        return Periodic(
            "the grievance escalation", settings.grievance_escalation_check_seconds, escalate
        )

    return create_service_app(
        settings,
        title="Dayaq monitoring",
        description=(
            "Visits after the handover, case flags and outcomes, participants' timelines and "
            "the programme's figures."
        ),
        routers=[
            visits,
            cases,
            readmodels,
            grievances,
            reports,
            subject_access(),
        ],
        handlers=handlers(settings),
        parts={FileStore: lambda runtime: store_from_settings(settings)},
        workers={
            "monitoring-partner-keys": partner_key_reconciliation,
            "monitoring-overdue-check": overdue_check,
            "monitoring-grievance-escalation": grievance_escalation,
        },
    )
