"""Idempotency-Key on POST: a retried request gets the first response instead of a second effect.

The stored response is written in the request's own transaction, so it exists exactly when the
effect does. Usage in a route:

    async def create_x(body: XIn, session: SessionDep, idem: IdempotencyDep) -> Response:
        return await idem.respond(
            lambda: service.create_x(session, body), response_model=XOut, status_code=201
        )
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any, TypeVar

import sqlalchemy as sa
from fastapi import Depends, Header, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import CurrentPrincipal, Principal
from shared.db import SessionDep
from shared.problems import Problem
from shared.tables import SHARED_TABLES

M = TypeVar("M", bound=BaseModel)

MAX_KEY_LENGTH = 255
REPLAYED_HEADER = "Idempotent-Replayed"
_IN_PROGRESS = 0  # status_code of a row whose response is not written yet (never committed so)


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
        response_model: type[M],
        status_code: int = 201,
        headers: Mapping[str, str] | Callable[[M], Mapping[str, str]] | None = None,
    ) -> Response:
        """Runs `action` once per key, and answers with its result as `response_model`.

        `headers` may depend on the result, e.g. `lambda out: {"Location": f"/v1/x/{out.id}"}`.
        """
        if self.key is None:
            return await self._run(action, response_model, status_code, headers)

        table = SHARED_TABLES.idempotency_keys
        request_hash = await self._request_hash()
        if (stored := await self._stored()) is not None:
            return _replay(stored, request_hash)

        # Claim the key before the effect: a concurrent duplicate waits here on the primary key
        # instead of running its effect alongside, fails the insert once this one commits, and
        # then answers with the committed response. The savepoint keeps that failure from
        # poisoning the transaction.
        try:
            async with self.session.begin_nested():
                await self.session.execute(
                    sa.insert(table).values(
                        principal=self.principal.id,
                        key=self.key,
                        method=self.request.method,
                        path=self.request.url.path,
                        request_hash=request_hash,
                        status_code=_IN_PROGRESS,
                    )
                )
        except IntegrityError:
            if (stored := await self._stored()) is not None:
                return _replay(stored, request_hash)
            raise Problem(409, "conflict", detail="detail.idempotency-in-progress") from None

        response = await self._run(action, response_model, status_code, headers)
        await self.session.execute(
            sa.update(table)
            .where(table.c.principal == self.principal.id, table.c.key == self.key)
            .values(
                status_code=response.status_code,
                body=response.content_json,
                headers=response.stored_headers,
            )
        )
        return response

    async def _run(
        self,
        action: Callable[[], Awaitable[Any]],
        response_model: type[M],
        status_code: int,
        headers: Mapping[str, str] | Callable[[M], Mapping[str, str]] | None,
    ) -> _StoredResponse:
        result = await action()
        # from_attributes: the action may return an ORM object as well as the model itself.
        out = response_model.model_validate(result, from_attributes=True)
        extra = headers(out) if callable(headers) else dict(headers or {})
        return _StoredResponse(
            out.model_dump(mode="json", by_alias=True), status_code=status_code, headers=extra
        )

    async def _stored(self) -> sa.Row[*tuple[Any, ...]] | None:
        table = SHARED_TABLES.idempotency_keys
        statement = sa.select(
            table.c.request_hash, table.c.status_code, table.c.body, table.c.headers
        ).where(table.c.principal == self.principal.id, table.c.key == self.key)
        return (await self.session.execute(statement)).one_or_none()

    async def _request_hash(self) -> str:
        digest = hashlib.sha256()
        digest.update(self.request.method.encode())
        digest.update(b"\n")
        digest.update(self.request.url.path.encode())
        digest.update(b"\n")
        digest.update(await self.request.body())
        return digest.hexdigest()


class _StoredResponse(JSONResponse):
    """A JSONResponse that remembers what it was built from, for the stored copy."""

    def __init__(self, content: Any, *, status_code: int, headers: Mapping[str, str]) -> None:
        super().__init__(content, status_code=status_code, headers=headers)
        self.content_json = content
        self.stored_headers = dict(headers)


def _replay(row: sa.Row[*tuple[Any, ...]], request_hash: str) -> Response:
    if row.request_hash != request_hash:
        raise Problem(422, "idempotency-key-reused")
    if row.status_code == _IN_PROGRESS:  # only visible to its own transaction; defensive
        raise Problem(409, "conflict", detail="detail.idempotency-in-progress")
    headers = {**row.headers, REPLAYED_HEADER: "true"}
    if row.body is None:
        return Response(status_code=row.status_code, headers=headers)
    return JSONResponse(row.body, status_code=row.status_code, headers=headers)


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
            "same key and body gets the first response, marked `Idempotent-Replayed: true`.",
        ),
    ] = None,
) -> Idempotency:
    return Idempotency(request, session, principal, key)


IdempotencyDep = Annotated[Idempotency, Depends(_idempotency)]
