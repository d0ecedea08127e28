"""Personal data at rest: applicants registered through the API (with idempotency keys, replays
and a refused duplicate) and through a bulk import (with rejected rows), then the whole journey
through the four services; afterwards every text, json and bytea column of every table of every
service's database, and every message of every stream, is searched for their personal data.

The FIN is nowhere in the clear. Names, birth dates, phones, addresses and document numbers are
only in intake's applicant registry (ALLOWED)."""

from __future__ import annotations

import functools
import json
from typing import Any

import nats
from nats.js.errors import NotFoundError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from shared.messaging.identities import OPERATOR
from shared.messaging.jetstream import DEADLETTER, PRODUCERS, stream_name
from shared.tables import SHARED_TABLES
from tests.intake.imports_support import csv_file, finished, partner_key, referral, upload
from tests.intake.rounds_support import open_round
from tests.journey_support import APPLICANT, eventually, run_journey
from tests.service_fixtures import Auth, Service, StartService

# Intake's registry: the only tables that may hold personal data other than the FIN.
ALLOWED = {("intake", "applicants"), ("intake", "applicant_categories")}

API_PERSON = {
    "fin": "8QWE5RT",
    "first_name": "Zülfiyyə",
    "last_name": "Qəhrəmanova",
    "patronymic": "Rasim qızı",
    "birth_date": "1977-07-17",
    "sex": "female",
    "phone": "+994551234599",
    "address": "Sumqayıt, 9-cu mikrorayon",
    "region": "AZ-SM",
    "household_size": 3,
    "categories": [
        {
            "category": "war_participant",
            "evidence": {
                "document_type": "war_participant_certificate",
                "number": "MŞ-778899",
                "issued_on": "2021-05-01",
            },
        }
    ],
}
PARTNER_PERSON = {
    **API_PERSON,
    "fin": "3ZXC9VB",
    "first_name": "Tofiq",
    "last_name": "Hüseynzadə",
    "patronymic": None,
    "birth_date": "1969-02-23",
    "sex": "male",
    "phone": "+994709876543",
    "address": "Şirvan, Qarabağ küç. 12",
}
IMPORTED = [
    referral("4IMP0RT", first_name="Sevinc", last_name="Əliquliyeva", phone="+994503332211"),
    referral("5IMP0RT", first_name="Elnur", last_name="Bağırzadə", sex="male"),
    # Rejected rows: the FIN and names of a row refused are kept nowhere either.
    referral("6IMP0RT", first_name="Rejected", last_name="Nəcəfquliyeva", region="Atlantis"),
    referral("4IMP0RT", first_name="Sevinc", last_name="Əliquliyeva"),  # a duplicate in the file
]

FINS: list[str] = [
    str(APPLICANT["fin"]),
    str(API_PERSON["fin"]),
    str(PARTNER_PERSON["fin"]),
    "4IMP0RT",
    "5IMP0RT",
    "6IMP0RT",
]
OTHER_PERSONAL = [
    # the journey's applicant
    "Aygün",
    "Məmmədova",
    "1988-04-12",
    "+994501234567",
    "501234567",
    "ŞA-123456",
    # through the API
    "Zülfiyyə",
    "Qəhrəmanova",
    "Rasim qızı",
    "1977-07-17",
    "551234599",
    "Sumqayıt, 9-cu",
    "MŞ-778899",
    "Hüseynzadə",
    "1969-02-23",
    "709876543",
    "Qarabağ küç",
    # imported
    "Əliquliyeva",
    "Bağırzadə",
    "Nəcəfquliyeva",
    "503332211",
    "ƏL-004512",
]

# Column types whose values are searched (arrays of text are cast to text too).
SEARCHED_TYPES = ("text", "character varying", "character", "json", "jsonb", "bytea", "ARRAY")


async def columns_of(engine: AsyncEngine) -> list[tuple[str, str, str]]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT table_name, column_name, data_type FROM information_schema.columns"
                " WHERE table_schema = 'public' AND data_type = ANY(:types)"
                " AND table_name <> 'alembic_version' ORDER BY table_name, column_name"
            ),
            {"types": list(SEARCHED_TYPES)},
        )
        return [(row[0], row[1], row[2]) for row in rows]


async def found_in(engine: AsyncEngine, needles: list[str]) -> set[tuple[str, str, str]]:
    """{(table, column, needle)} where a value holds the needle (case-insensitive in text, as
    UTF-8 bytes in bytea)."""
    found: set[tuple[str, str, str]] = set()
    async with engine.connect() as connection:
        for table, column, data_type in await columns_of(engine):
            for needle in needles:
                if data_type == "bytea":
                    condition = f"position(convert_to(:needle, 'UTF8') in \"{column}\") > 0"
                else:
                    condition = f'strpos(lower("{column}"::text), lower(:needle)) > 0'
                hit = await connection.scalar(
                    text(f'SELECT EXISTS (SELECT 1 FROM "{table}" WHERE {condition})'),  # noqa: S608
                    {"needle": needle},
                )
                if hit:
                    found.add((table, column, needle))
    return found


async def stream_messages(nats_server: Any, namespace: str) -> list[bytes]:
    """Every message (headers and data) of every stream of the namespace, dead letters too."""
    # As the operator, the one identity that reads every stream.
    nc = await nats.connect(nats_server.url, **nats_server.identity(OPERATOR).connect_options())
    try:
        jsm = nc.jsm()
        messages: list[bytes] = []
        # By name: listing every stream pages, and a long run holds many namespaces' streams.
        for service in (*PRODUCERS, DEADLETTER):
            name = stream_name(namespace, service)
            try:
                stream = await jsm.stream_info(name)
            except NotFoundError:
                continue
            state = stream.state
            if not state.messages:
                continue
            for sequence in range(state.first_seq, state.last_seq + 1):
                try:
                    msg = await jsm.get_msg(name, sequence)
                except NotFoundError:  # a deleted message
                    continue
                headers = repr(msg.headers or {}).encode()
                messages.append(headers + b"\n" + (msg.data or b""))
        return messages
    finally:
        await nc.close()


async def all_published(service: Service) -> bool:
    outbox = SHARED_TABLES.outbox
    async with service.runtime.sessionmaker() as session:
        left = await session.scalar(
            text(f"SELECT count(*) FROM {outbox.name} WHERE published_at IS NULL")  # noqa: S608
        )
    return bool(left == 0)


async def test_personal_data_rests_only_in_intakes_registry(
    start_service: StartService, auth: Auth, nats_server: Any, nats_namespace: str
) -> None:
    services = {
        name: await start_service(name) for name in ("intake", "plans", "assets", "monitoring")
    }
    intake = services["intake"]
    officer = auth("case_officer", subject="officer-scan")

    # Through the API: with a key, replayed; refused as a duplicate; by a partner.
    keyed = {**officer, "Idempotency-Key": "scan-1"}
    for _ in range(2):
        created = await intake.client.post("/v1/applicants", json=API_PERSON, headers=keyed)
        assert created.status_code == 201, created.text
    again = await intake.client.post("/v1/applicants", json=API_PERSON, headers=officer)
    assert again.status_code == 409
    partner = await partner_key(intake, auth, "AHİK")
    partner_headers = {"X-API-Key": partner["X-API-Key"], "Idempotency-Key": "p-1"}
    body = {k: v for k, v in PARTNER_PERSON.items() if v is not None}
    by_partner = await intake.client.post("/v1/applicants", json=body, headers=partner_headers)
    assert by_partner.status_code == 201, by_partner.text

    # Through a bulk import into an open round, with rejected rows.
    round_ = await open_round(intake, auth)
    uploaded = await upload(intake.client, csv_file(IMPORTED), officer, round_id=round_["id"])
    assert uploaded.status_code == 202, uploaded.text
    job = await finished(intake.client, uploaded.headers["location"], officer)
    assert (job["status"], job["imported"], job["rejected"]) == ("completed", 2, 2), job
    errors_csv = await intake.client.get(
        f"{uploaded.headers['location']}/errors.csv", headers=officer
    )
    assert errors_csv.status_code == 200

    # The journey: events through plans, assets and monitoring.
    await run_journey(
        intake.client,
        services["plans"].client,
        services["assets"].client,
        services["monitoring"].client,
        lambda role, subject: auth(role, subject=subject),
    )
    for service in services.values():
        await eventually(functools.partial(all_published, service), "every event published")

    leaks: list[str] = []
    registry: set[tuple[str, str, str]] = set()
    for name, service in services.items():
        engine = create_async_engine(service.settings.database_url)
        try:
            for table, column, needle in sorted(await found_in(engine, FINS)):
                leaks.append(f"FIN {needle} in {name}.{table}.{column}")
            for table, column, needle in sorted(await found_in(engine, OTHER_PERSONAL)):
                if (name, table) in ALLOWED:
                    registry.add((table, column, needle))
                else:
                    leaks.append(f"{needle!r} in {name}.{table}.{column}")
        finally:
            await engine.dispose()
    # The search does find what is there: the registry holds every person's names and contacts.
    assert {("applicants", "last_name", "Qəhrəmanova"), ("applicants", "phone", "503332211")} <= (
        registry
    )
    assert ("applicant_categories", "document_number", "MŞ-778899") in registry
    messages = await stream_messages(nats_server, nats_namespace)
    # The scan reads the import's and the journey's events back, through every producer.
    types = [json.loads(message.split(b"\n", 1)[1])["type"] for message in messages]
    assert types.count("intake.application.submitted") >= 3, types
    for expected in ("intake.participant.enrolled", "plans.plan.approved"):
        assert expected in types, types
    assert "assets.delivery.completed" in types, types
    for message in messages:
        content = message.decode(errors="replace").lower()
        leaks += [
            f"{n!r} in a stream message" for n in FINS + OTHER_PERSONAL if n.lower() in content
        ]
    assert leaks == []
