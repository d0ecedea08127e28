"""HTTP calls that outlast the faults: a service being killed, NATS or PostgreSQL away.

A call is retried on a connection error, a time-out, 429 or any 5xx until its patience runs out.
Creating POSTs carry an Idempotency-Key, so a retry of one that took effect gets its first
answer; state changes re-read the resource and its ETag, and stop once the change is there.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from shared.devkeys import mint_token

PATIENCE_SECONDS = 300.0
POLL_SECONDS = 0.25
Body = dict[str, Any]


class GaveUp(Exception):
    """A step did not get there within its patience: the journey is lost."""


class Api:
    """One client per service, tokens minted once per role."""

    def __init__(self, urls: dict[str, str], keys: Any, patience: float = PATIENCE_SECONDS):
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
        self.clients = {
            name: httpx.AsyncClient(base_url=url, timeout=15, limits=limits)
            for name, url in urls.items()
        }
        self.keys = keys
        self.patience = patience
        self._tokens: dict[str, dict[str, str]] = {}
        self.retries = 0

    def as_role(self, role: str) -> dict[str, str]:
        if role not in self._tokens:
            token = mint_token(self.keys, roles=[role], subject=f"faults-{role}")
            self._tokens[role] = {"Authorization": f"Bearer {token}"}
        return self._tokens[role]

    async def close(self) -> None:
        for client in self.clients.values():
            await client.aclose()

    def _deadline(self) -> float:
        return asyncio.get_running_loop().time() + self.patience

    def _late(self, deadline: float) -> bool:
        return asyncio.get_running_loop().time() > deadline

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        role: str,
        *,
        json: Body | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """The first answer that is neither a 5xx nor a 429, retrying through the faults."""
        deadline = self._deadline()
        all_headers = {**self.as_role(role), **(headers or {})}
        while True:
            try:
                response = await self.clients[service].request(
                    method, path, json=json, headers=all_headers
                )
                if response.status_code < 500 and response.status_code != 429:
                    return response
                what = f"{response.status_code} {response.text[:200]}"
            except httpx.TransportError as error:
                what = type(error).__name__
            if self._late(deadline):
                raise GaveUp(f"{method} {service} {path}: still {what}")
            self.retries += 1
            await asyncio.sleep(POLL_SECONDS)

    async def create(self, service: str, path: str, role: str, body: Body) -> Body:
        """A creating POST, once: the same Idempotency-Key on every retry."""
        key = {"Idempotency-Key": str(uuid.uuid4())}
        deadline = self._deadline()
        while True:
            response = await self.call(service, "POST", path, role, json=body, headers=key)
            if response.status_code in (200, 201):
                created: Body = response.json()
                return created
            # 409: the first try is still in flight; its outcome answers once it commits.
            if response.status_code != 409 or self._late(deadline):
                raise GaveUp(f"POST {service} {path}: {response.status_code} {response.text}")
            await asyncio.sleep(POLL_SECONDS)

    async def get(self, service: str, path: str, role: str) -> httpx.Response:
        response = await self.call(service, "GET", path, role)
        if response.status_code not in (200, 404):
            raise GaveUp(f"GET {service} {path}: {response.status_code} {response.text}")
        return response

    async def items(self, service: str, path: str, role: str) -> list[Body]:
        response = await self.get(service, path, role)
        found: list[Body] = response.json()["items"]
        return found

    async def eventually(
        self, probe: Callable[[], Awaitable[Any]], what: str, patience: float | None = None
    ) -> Any:
        """Polls until `probe` returns something truthy: events cross services asynchronously."""
        deadline = asyncio.get_running_loop().time() + (patience or self.patience)
        while True:
            if result := await probe():
                return result
            if self._late(deadline):
                raise GaveUp(f"timed out waiting for {what}")
            await asyncio.sleep(POLL_SECONDS)

    async def change(
        self,
        service: str,
        resource: str,
        method: str,
        action: str,
        role: str,
        *,
        done: Callable[[Body], bool],
        body: Body | None = None,
    ) -> Body:
        """A state change under If-Match, until `done(resource)`: a 412 (someone, or our own
        earlier try, changed it) or a lost answer make it read the resource and its ETag again."""
        deadline = self._deadline()
        while True:
            current = await self.get(service, resource, role)
            if current.status_code == 200:
                if done(current.json()):
                    state: Body = current.json()
                    return state
                etag = {"If-Match": current.headers["etag"]}
                answer = await self.call(service, method, action, role, json=body, headers=etag)
                if answer.status_code in (200, 201):
                    continue  # read once more: `done` decides
                if answer.status_code not in (409, 412):
                    raise GaveUp(f"{method} {service} {action}: {answer.status_code} {answer.text}")
            if self._late(deadline):
                raise GaveUp(f"{method} {service} {action}: never done")
            await asyncio.sleep(POLL_SECONDS)
