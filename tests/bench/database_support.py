"""The database each benchmark runs on."""

from __future__ import annotations

import asyncio
import uuid

from shared import migrations
from shared.devstack import create_database


async def migrated_database(pg_url: str, service: str) -> str:
    """The URL of a new database on the server, migrated to the service's head."""
    database = f"bench_{uuid.uuid4().hex[:8]}"
    await create_database(pg_url, database)
    url = pg_url.rsplit("/", 1)[0] + f"/{database}"
    await asyncio.to_thread(migrations.upgrade, service, url)
    return url
