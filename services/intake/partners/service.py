"""Partner organisations and their API keys. Functions flush, never commit."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake.partners.models import ApiKey, Partner
from intake.partners.schemas import ApiKeyIn, ApiKeyIssued
from shared.auth import ApiKeyRecord, generate_api_key
from shared.problems import NotFound


async def issue_api_key(
    session: AsyncSession, partner_id: uuid.UUID, data: ApiKeyIn
) -> ApiKeyIssued:
    if await session.get(Partner, partner_id) is None:
        raise NotFound("partner", partner_id)
    key, prefix, key_hash = generate_api_key()
    api_key = ApiKey(
        partner_id=partner_id,
        prefix=prefix,
        key_hash=key_hash,
        scopes=data.scopes,
        expires_at=data.expires_at,
    )
    session.add(api_key)
    await session.flush()
    return ApiKeyIssued.model_validate({**_key_columns(api_key), "key": key})


def _key_columns(api_key: ApiKey) -> dict[str, object]:
    return {c.key: getattr(api_key, c.key) for c in ApiKey.__table__.columns}


class DatabaseApiKeyStore:
    """Partner API keys from intake's own table."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def find(self, prefix: str) -> ApiKeyRecord | None:
        async with self._sessionmaker() as session:
            api_key = await session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
        if api_key is None:
            return None
        return ApiKeyRecord(
            key_id=api_key.id,
            partner_id=api_key.partner_id,
            key_hash=api_key.key_hash,
            scopes=frozenset(api_key.scopes),
            expires_at=api_key.expires_at,
            revoked_at=api_key.revoked_at,
        )
