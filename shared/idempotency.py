"""Idempotency-Key on POST: a retried request gets the first request's outcome instead of a
second effect.

The record is written in the request's own transaction, so it exists exactly when the effect does.
It keeps no response body (a body can hold personal data): only the status and a reference to the
resource the request created. A replay answers by reading that resource again through `read`, the
route's normal read path, so it is scoped, checked and audited like any read by the caller making
it. The request is kept as a keyed hash, and records are purged after a retention
(`idempotency_retention_hours`). Usage in a route:

    async def create_x(body: XIn, session: SessionDep, idem: IdempotencyDep) -> Response:
        return await idem.respond(
            lambda: service.create_x(session, body),
            read=lambda ref: service.get_x(session, uuid.UUID(ref)),
            response_model=XOut,
            status_code=201,
        )
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Annotated, Any, TypeVar

import sqlalchemy as sa
from fastapi import Depends, Header, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from shared.auth import CurrentPrincipal, Principal
from shared.db import SessionDep
from shared.etag import etag_for
from shared.problems import Problem
from shared.settings import ServiceSettings
from shared.tables import SHARED_TABLES
from shared.workers import Periodic

M = TypeVar("M", bound=BaseModel)

log = logging.getLogger(__name__)

MAX_KEY_LENGTH = 255
REPLAYED_HEADER = "Idempotent-Replayed"
_IN_PROGRESS = 0  # status_code of a row whose response is not written yet (never committed so)
PURGE_BATCH = 10_000


def _resource_id(out: BaseModel) -> object:
    return getattr(out, "id")  # noqa: B009 - any response model with an `id`


class Idempotency:
    def __init__(
        self, request: Request, session: AsyncSession, principal: Principal, key: str | None
    ) -> None:
        self.request = request
        self.session = session
        self.principal = principal
        self.key = key

    async def respond(
        self,
        action: Callable[[], Awaitable[Any]],
        *,
        read: Callable[[str], Awaitable[Any]],
        response_model: type[M],
        status_code: int = 201,
        headers: Mapping[str, str] | Callable[[M], Mapping[str, str]] | None = None,
        reference: Callable[[M], object] = _resource_id,
    ) -> Response:
        """Runs `action` once per key, and answers with its result as `response_model`.

        `reference(out)` names the resource created (its `id` unless told); a replay answers with
        `read(reference)`, so with the resource as it is now. `headers` may depend on the result,
        e.g. `lambda out: {"Location": f"/v1/x/{out.id}"}`, and are computed again on a replay.
        """
        if self.key is None:
            return _response(await action(), response_model, status_code, headers)

        table = SHARED_TABLES.idempotency_keys
        request_hash = await self._request_hash()
        mine = (table.c.principal == self.principal.id) & (table.c.key == self.key)
        # Claim the key before the effect, in one statement. A record past its retention is
        # gone, whether or not the purge has reached it yet: the key is claimed anew over it.
        # A concurrent duplicate waits here on the key instead of running its effect
        # alongside; once this one commits it claims nothing and answers with the committed
        # resource (had this one rolled back, it would claim the key itself).
        claim = insert(table).values(
            principal=self.principal.id,
            key=self.key,
            method=self.request.method,
            path=self.request.url.path,
            request_hash=request_hash,
            status_code=_IN_PROGRESS,
        )
        claim = claim.on_conflict_do_update(
            index_elements=[table.c.principal, table.c.key],
            set_={
                "method": claim.excluded.method,
                "path": claim.excluded.path,
                "request_hash": claim.excluded.request_hash,
                "status_code": claim.excluded.status_code,
                "resource": None,
                "created_at": sa.func.now(),
            },
            where=table.c.created_at < self._cutoff(),
        )
        claimed = (await self.session.execute(claim.returning(table.c.key))).first()
        if claimed is None:
            if (stored := await self._stored()) is not None:
                return await self._replay(stored, request_hash, read, response_model, headers)
            raise Problem(409, "conflict", detail="detail.idempotency-in-progress")

        out = response_model.model_validate(await action(), from_attributes=True)
        await self.session.execute(
            sa.update(table)
            .where(mine)
            .values(status_code=status_code, resource=str(reference(out)))
        )
        return _response(out, response_model, status_code, headers)

    async def create(
        self,
        action: Callable[[], Awaitable[Any]],
        *,
        read: Callable[[uuid.UUID], Awaitable[Any]],
        response_model: type[M],
        location: str,
    ) -> Response:
        """The pattern of every create route: 201, `Location` and, for versioned resources, `ETag`.

        `location` is the path of the new resource with `{id}` for its id, e.g.
        "/v1/orders/{id}"; `read` loads it by id (the route's normal, scoped read).
        """

        def headers(out: M) -> Mapping[str, str]:
            created = {"Location": location.format(id=getattr(out, "id"))}  # noqa: B009
            version = getattr(out, "version", None)
            if isinstance(version, int):
                created["ETag"] = etag_for(version)
            return created

        return await self.respond(
            action,
            read=lambda ref: read(uuid.UUID(ref)),
            response_model=response_model,
            status_code=201,
            headers=headers,
        )

    async def _stored(self) -> sa.Row[*tuple[Any, ...]] | None:
        table = SHARED_TABLES.idempotency_keys
        statement = sa.select(table.c.request_hash, table.c.status_code, table.c.resource).where(
            table.c.principal == self.principal.id, table.c.key == self.key
        )
        return (await self.session.execute(statement)).one_or_none()

    async def _replay(
        self,
        row: sa.Row[*tuple[Any, ...]],
        request_hash: str,
        read: Callable[[str], Awaitable[Any]],
        response_model: type[M],
        headers: Mapping[str, str] | Callable[[M], Mapping[str, str]] | None,
    ) -> Response:
        if not hmac.compare_digest(row.request_hash, request_hash):
            raise Problem(422, "idempotency-key-reused")
        if row.status_code == _IN_PROGRESS:  # only visible to its own transaction; defensive
            raise Problem(409, "conflict", detail="detail.idempotency-in-progress")
        response = _response(await read(row.resource), response_model, row.status_code, headers)
        response.headers[REPLAYED_HEADER] = "true"
        return response

    def _cutoff(self) -> sa.ColumnElement[Any]:
        settings: ServiceSettings = self.request.app.state.settings
        return sa.func.now() - timedelta(hours=settings.idempotency_retention_hours)

    async def _request_hash(self) -> str:
        """A keyed hash: the body can hold personal data, and a plain hash of a FIN is guessable."""
        settings: ServiceSettings = self.request.app.state.settings
        digest = hmac.new(
            settings.idempotency_hash_key.get_secret_value().encode(), None, hashlib.sha256
        )
        digest.update(self.request.method.encode())
        digest.update(b"\n")
        digest.update(self.request.url.path.encode())
        digest.update(b"\n")
        digest.update(await self.request.body())
        return digest.hexdigest()


def _response(
    result: Any,
    response_model: type[M],
    status_code: int,
    headers: Mapping[str, str] | Callable[[M], Mapping[str, str]] | None,
) -> Response:
    # from_attributes: the action may return an ORM object as well as the model itself.
    out = response_model.model_validate(result, from_attributes=True)
    extra = headers(out) if callable(headers) else dict(headers or {})
    return JSONResponse(
        out.model_dump(mode="json", by_alias=True), status_code=status_code, headers=extra
    )


async def purge_expired(engine: AsyncEngine, retention: timedelta) -> int:
    """Deletes the records older than `retention`, in batches; returns how many."""
    table = SHARED_TABLES.idempotency_keys
    purged = 0
    while True:
        batch = (
            sa.select(table.c.principal, table.c.key)
            .where(table.c.created_at < sa.func.now() - retention)
            .limit(PURGE_BATCH)
        )
        async with engine.begin() as connection:
            result = await connection.execute(
                sa.delete(table).where(sa.tuple_(table.c.principal, table.c.key).in_(batch))
            )
        purged += result.rowcount
        if result.rowcount < PURGE_BATCH:
            return purged


def idempotency_purge(engine: AsyncEngine, settings: ServiceSettings) -> Periodic:
    """The worker each service runs: purges expired records every hour or so."""
    retention = timedelta(hours=settings.idempotency_retention_hours)

    async def purge() -> None:
        if purged := await purge_expired(engine, retention):
            log.info("purged %d expired idempotency records", purged)

    interval = min(3600.0, retention.total_seconds() / 4)
    return Periodic("purging idempotency records", interval, purge, at_start=True)


async def _idempotency(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=MAX_KEY_LENGTH,
            description="A unique value per intended operation (e.g. a UUID); a retry with the "
            "same key and body within the retention (24 h by default) gets the resource created "
            "the first time, read again and marked `Idempotent-Replayed: true`.",
        ),
    ] = None,
) -> Idempotency:
    return Idempotency(request, session, principal, key)


IdempotencyDep = Annotated[Idempotency, Depends(_idempotency)]
