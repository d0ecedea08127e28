"""Scoped data access: each model's `__partner__` rule, applied by the repository base to reads."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import ForeignKey, MetaData, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shared.auth import Principal, Role
from shared.devstack import create_database, drop_database
from shared.problems import NotFound
from shared.repository import (
    SHARED,
    STAFF_ONLY,
    OwnedBy,
    OwnedThrough,
    Repository,
    partner_column_filter,
)


class Base(DeclarativeBase):
    metadata = MetaData()


class Case(Base):
    __tablename__ = "cases"
    __partner__ = OwnedBy("partner_id")
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    partner_id: Mapped[uuid.UUID | None]
    visits: Mapped[list[Visit]] = relationship(back_populates="case")


class Visit(Base):
    __tablename__ = "visits"
    __partner__ = OwnedThrough("case")
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"))
    case: Mapped[Case] = relationship(back_populates="visits")
    photos: Mapped[list[Photo]] = relationship(back_populates="visit")


class Photo(Base):
    __tablename__ = "photos"
    __partner__ = OwnedThrough("visit")  # two links: photo -> visit -> case
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    visit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("visits.id"))
    visit: Mapped[Visit] = relationship(back_populates="photos")


class Direction(Base):
    __tablename__ = "directions"
    __partner__ = SHARED
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class Fund(Base):
    __tablename__ = "funds"
    __partner__ = STAFF_ONLY
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class Cases(Repository[Case]):
    model = Case
    resource = "case"


class Visits(Repository[Visit]):
    model = Visit
    resource = "visit"


class Photos(Repository[Photo]):
    model = Photo
    resource = "photo"


class Directions(Repository[Direction]):
    model = Direction
    resource = "direction"


class Funds(Repository[Fund]):
    model = Fund
    resource = "fund"


PARTNER_A = uuid.uuid4()
PARTNER_B = uuid.uuid4()
STAFF = Principal(kind="staff", subject="officer", roles=frozenset({Role.case_officer}))
A = Principal(kind="partner", subject="key-a", partner_id=PARTNER_A)
B = Principal(kind="partner", subject="key-b", partner_id=PARTNER_B)


@pytest.fixture
async def session(pg) -> AsyncIterator[AsyncSession]:
    name = f"t_{uuid.uuid4().hex}_repository"
    await create_database(pg.url(), name)
    engine = create_async_engine(pg.url(name))
    try:
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            yield session
    finally:
        await engine.dispose()
        await drop_database(pg.url(), name)


async def _rows(session: AsyncSession) -> dict[str, uuid.UUID]:
    case_a, case_b, unreferred = Case(partner_id=PARTNER_A), Case(partner_id=PARTNER_B), Case()
    visit_a, visit_b = Visit(case=case_a), Visit(case=case_b)
    photo_a, photo_b = Photo(visit=visit_a), Photo(visit=visit_b)
    direction, fund = Direction(), Fund()
    session.add_all([case_a, case_b, unreferred, photo_a, photo_b, direction, fund])
    await session.flush()
    return {
        "case_a": case_a.id,
        "case_b": case_b.id,
        "unreferred": unreferred.id,
        "visit_a": visit_a.id,
        "visit_b": visit_b.id,
        "photo_a": photo_a.id,
        "photo_b": photo_b.id,
        "direction": direction.id,
        "fund": fund.id,
    }


async def _ids(session: AsyncSession, repository: Repository[Any], who: Principal) -> set[object]:
    return {row.id for row in await session.scalars(repository.query(who))}


async def test_a_partner_sees_its_own_rows_through_columns_and_links(session: AsyncSession) -> None:
    ids = await _rows(session)
    assert await _ids(session, Cases(session), A) == {ids["case_a"]}
    assert await _ids(session, Visits(session), A) == {ids["visit_a"]}
    assert await _ids(session, Photos(session), A) == {ids["photo_a"]}
    assert await _ids(session, Photos(session), B) == {ids["photo_b"]}
    assert await _ids(session, Directions(session), A) == {ids["direction"]}
    assert await _ids(session, Funds(session), A) == set()


async def test_staff_see_every_row(session: AsyncSession) -> None:
    ids = await _rows(session)
    assert await _ids(session, Cases(session), STAFF) == {
        ids["case_a"],
        ids["case_b"],
        ids["unreferred"],
    }
    assert await _ids(session, Funds(session), STAFF) == {ids["fund"]}


async def test_another_partners_row_is_not_found_like_a_missing_one(session: AsyncSession) -> None:
    ids = await _rows(session)
    photos = Photos(session)
    assert (await photos.get(ids["photo_a"], A)).id == ids["photo_a"]
    for hidden in (ids["photo_b"], uuid.uuid4()):
        with pytest.raises(NotFound) as refused:
            await photos.get(hidden, A)
        assert refused.value.params == {"resource": "photo", "id": hidden}
    with pytest.raises(NotFound):
        await Cases(session).get(ids["unreferred"], A)  # referred by no partner: not A's either


async def test_get_with_lock_locks_the_row_and_keeps_the_scope(session: AsyncSession) -> None:
    ids = await _rows(session)
    visit = await Visits(session).get(ids["visit_a"], A, lock=True)
    assert visit.id == ids["visit_a"]
    with pytest.raises(NotFound):
        await Visits(session).get(ids["visit_b"], A, lock=True)


async def test_filters_narrow_further_and_columns_can_be_scoped_by_hand(
    session: AsyncSession,
) -> None:
    ids = await _rows(session)
    statement = Cases(session).query(STAFF, Case.id != ids["case_a"])
    assert {row.id for row in await session.scalars(statement)} == {
        ids["case_b"],
        ids["unreferred"],
    }
    by_column = select(Case.id).where(partner_column_filter(Case.partner_id, B))
    assert set(await session.scalars(by_column)) == {ids["case_b"]}


def test_a_repository_of_a_model_without_a_rule_fails_at_import() -> None:
    class Loose(Base):
        __tablename__ = "loose"
        id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)

    with pytest.raises(TypeError, match="__partner__"):

        class LooseRepository(Repository[Loose]):
            model = Loose
            resource = "loose"
