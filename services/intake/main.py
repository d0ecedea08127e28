"""The intake service: persons, applications, partners and enrolment."""

from fastapi import FastAPI

from intake.applicants.pii import FinProtector
from intake.applicants.routes import router as applicants
from intake.applications.routes import router as applications
from intake.exclusions.routes import router as exclusions
from intake.handlers import handlers
from intake.imports.routes import router as imports
from intake.imports.runner import ImportWorker
from intake.imports.service import FileCipher
from intake.partners.routes import router as partners
from intake.partners.service import DatabaseApiKeyStore, publish_keys_snapshot
from intake.privacy.erasure import erase_elapsed
from intake.privacy.routes import router as privacy
from intake.rounds.routes import router as rounds
from intake.selection.routes import router as selection
from intake.selection.runner import SelectionRunner
from intake.settings import IntakeSettings
from shared.app import Runtime, create_service_app
from shared.db import utcnow
from shared.workers import Periodic


def create_app(settings: IntakeSettings | None = None) -> FastAPI:
    settings = settings or IntakeSettings()

    def selection_runner(runtime: Runtime) -> SelectionRunner:
        return SelectionRunner(
            runtime.engine, runtime.sessionmaker, max_attempts=settings.selection_max_attempts
        )

    def import_worker(runtime: Runtime) -> ImportWorker:
        return ImportWorker(runtime.engine, runtime.sessionmaker, settings, FileCipher(settings))

    def keys_snapshots(runtime: Runtime) -> Periodic:
        # Now and periodically, so that the stream always holds a recent snapshot (even after
        # older messages were trimmed) for services that start or missed one.
        every = settings.partner_keys_snapshot_seconds

        async def publish() -> None:
            await publish_keys_snapshot(runtime.sessionmaker)

        return Periodic("writing the partner keys snapshot", every, publish, at_start=True)

    def retention(runtime: Runtime) -> Periodic:
        async def erase() -> None:
            await erase_elapsed(
                runtime.sessionmaker, now=utcnow(), retention_days=settings.retention_days
            )

        return Periodic(
            "erasing people whose retention elapsed", settings.retention_check_seconds, erase
        )

    return create_service_app(
        settings,
        title="Dayaq intake",
        description="Applicants, applications, partner organisations and enrolment.",
        routers=[
            applicants,
            applications,
            exclusions,
            rounds,
            selection,
            partners,
            imports,
            privacy,
        ],
        handlers=handlers(settings),
        api_key_store=DatabaseApiKeyStore,
        parts={
            FinProtector: lambda runtime: FinProtector(settings),
            SelectionRunner: selection_runner,
            ImportWorker: import_worker,
        },
        workers={
            "intake-selection-runner": lambda runtime: runtime.get(SelectionRunner),
            "intake-imports": lambda runtime: runtime.get(ImportWorker),
            "intake-keys-snapshots": keys_snapshots,
            "intake-retention": retention,
        },
    )
