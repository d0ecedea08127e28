"""Async SQLAlchemy plumbing: one engine per service, one session per request or event.

The commit boundary is the request's session dependency (or the event handler's unit of work);
service code only flushes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import DateTime, MetaData
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from shared.settings import ServiceSettings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """timestamptz that refuses naive datetimes and always comes back in UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime; use an aware UTC datetime")
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.astimezone(UTC) if value is not None else None


def utcnow() -> datetime:
    return datetime.now(UTC)


class BaseModel(DeclarativeBase):
    """Not used directly: each service declares `class Base(BaseModel)` with its own metadata."""

    __abstract__ = True
    type_annotation_map = {datetime: UTCDateTime}


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """The service's engine; `engine_options(settings)` sizes a running service's pool.

    No ping on checkout (a round trip before every request's first statement): a connection
    that PostgreSQL dropped fails its first statement instead, which invalidates the whole pool
    (so every other stale connection is replaced at its next checkout), and that one request is
    answered 500, which a client retries (with its Idempotency-Key). `pool_recycle` replaces
    connections before a proxy or firewall drops them for their age.
    """
    # hide_parameters: SQL errors in logs must not show the personal data they were writing.
    return create_async_engine(url, pool_pre_ping=False, hide_parameters=True, **kwargs)


def engine_options(settings: ServiceSettings) -> dict[str, Any]:
    return {
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_max_overflow,
        "pool_recycle": settings.db_pool_recycle_seconds,
    }


async def add_in_savepoint(session: AsyncSession, *rows: object) -> None:
    """Adds `rows` and writes them in a savepoint of their own: an IntegrityError they raise
    (a concurrent twin's unique key) rolls back only them, and the transaction goes on.

    What was pending before is written first, outside the savepoint. The rows must not be added
    before: `begin_nested()` flushes everything pending before its SAVEPOINT, so a row added
    earlier would fail outside it and take the whole transaction with it."""
    await session.flush()
    async with session.begin_nested():
        session.add_all(rows)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Commits when the route returns normally, rolls back when it raises."""
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.runtime.sessionmaker
    async with sessionmaker() as session, session.begin():
        yield session


# scope="function": the commit happens before the response is sent, so a failed commit is an error
# response, never a success the database did not keep.
SessionDep = Annotated[AsyncSession, Depends(_request_session, scope="function")]


async def _read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session without BEGIN and COMMIT, two round trips fewer: each statement is a
    transaction of its own (PostgreSQL's autocommit). For a read that is one statement (its one
    snapshot is the whole read's), never for one that needs several to agree. What the route
    adds (an audit row) is flushed when it returns normally, before the response is sent."""
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.runtime.sessionmaker
    async with sessionmaker() as session:
        # No round trip: asyncpg's adapter only stops sending BEGIN, and the pool gives the
        # connection back with its usual isolation level.
        await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        yield session
        await session.commit()


ReadSessionDep = Annotated[AsyncSession, Depends(_read_session, scope="function")]
