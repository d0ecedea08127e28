"""Data access scoped to the caller: the one place where a partner's view is narrowed.

Each model says once how a row belongs to a partner, in a class attribute `__partner__`:

    class Participant(Base):
        __partner__ = OwnedBy("partner_id")            # a column of the row
    class BusinessPlan(Base):
        __partner__ = OwnedThrough("participant")      # the row's participant belongs to one
    class Direction(Base):
        __partner__ = SHARED                           # reference data every caller may read
    class Fund(Base):
        __partner__ = STAFF_ONLY                       # a partner sees no row of it

and each domain has a repository on `Repository`, which applies that rule to every read:

    class PlanRepository(Repository[BusinessPlan]):
        model = BusinessPlan
        resource = "business-plan"

    plan = await PlanRepository(session).get(plan_id, principal, lock=True)
    rows = PlanRepository(session).query(principal, BusinessPlan.status == status)

A row another partner owns looks exactly like a missing one (404), so a partner cannot learn that it
exists. Staff (with no partner) see every row. Queries that do not start from a model (reports over
tables, aggregates) narrow with `visible_to(model, principal)` or `partner_column_filter`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from sqlalchemy import ColumnElement, Select, and_, bindparam, false, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import SQLCoreOperations

from shared.auth import Principal
from shared.consent import sharing_stands
from shared.problems import NotFound

M = TypeVar("M")


class Ownership(Protocol):
    """How the rows of a model belong to a partner: a condition on the model for one partner."""

    def criterion(self, model: type[Any], partner_id: uuid.UUID) -> ColumnElement[bool]: ...


@dataclass(frozen=True)
class OwnedBy:
    """The row carries its partner in a column (NULL: referred by no partner, so not theirs).

    `application` names the column holding the application (or participant) the row is about:
    the partner then sees the row only while the person's consent to share with it stands
    (shared/consent.py)."""

    column: str = "partner_id"
    application: str | None = None

    def criterion(self, model: type[Any], partner_id: uuid.UUID) -> ColumnElement[bool]:
        column: InstrumentedAttribute[Any] = getattr(model, self.column)
        if self.application is None:
            return column == partner_id
        application: InstrumentedAttribute[Any] = getattr(model, self.application)
        return and_(column == partner_id, sharing_stands(application, partner_id))


@dataclass(frozen=True)
class OwnedThrough:
    """The row belongs to whatever partner the row behind `relationship` belongs to.

    The related model's own `__partner__` decides, so chains (visit -> case -> participant) are
    declared one link at a time. EXISTS, not a join: a query's own joins are left alone.
    """

    relationship: str

    def criterion(self, model: type[Any], partner_id: uuid.UUID) -> ColumnElement[bool]:
        link: InstrumentedAttribute[Any] = getattr(model, self.relationship)
        target = link.property.mapper.class_
        condition = ownership_of(target).criterion(target, partner_id)
        return link.any(condition) if link.property.uselist else link.has(condition)


@dataclass(frozen=True)
class OwnedWhere:
    """Any other rule, as a condition for one partner (say why at the declaration)."""

    condition: Callable[[uuid.UUID], ColumnElement[bool]]

    def criterion(self, model: type[Any], partner_id: uuid.UUID) -> ColumnElement[bool]:
        return self.condition(partner_id)


@dataclass(frozen=True)
class _Everyone:
    def criterion(self, model: type[Any], partner_id: uuid.UUID) -> ColumnElement[bool]:
        return true()


@dataclass(frozen=True)
class _Nobody:
    def criterion(self, model: type[Any], partner_id: uuid.UUID) -> ColumnElement[bool]:
        return false()


SHARED: Ownership = _Everyone()
"""Reference data (directions, catalogue, rounds) that partners read as staff do."""

STAFF_ONLY: Ownership = _Nobody()
"""Rows no partner may see, even when a route is open to partners."""


def ownership_of(model: type[Any]) -> Ownership:
    rule = getattr(model, "__partner__", None)
    if rule is None:
        raise TypeError(f"{model.__name__} does not declare __partner__")
    return rule  # type: ignore[no-any-return]


def partner_of(principal: Principal) -> uuid.UUID | None:
    """The partner whose data alone the caller may see; None for staff, who see all."""
    return principal.partner_id


def partner_in_scope(
    requested: uuid.UUID | None, principal: Principal, refused: Callable[[], Exception]
) -> uuid.UUID | None:
    """The partner a request is about: staff's is the one they name (None: any); a partner's is
    its own, and naming another raises `refused()` (e.g. a 404, as for any object of theirs)."""
    own = partner_of(principal)
    if own is None:
        return requested
    if requested not in (None, own):
        raise refused()
    return own


def visible_to(model: type[Any], principal: Principal) -> ColumnElement[bool]:
    """The condition a query on `model` needs for `principal` (true for staff)."""
    partner_id = partner_of(principal)
    if partner_id is None:
        return true()
    return ownership_of(model).criterion(model, partner_id)


def partner_column_filter(
    column: SQLCoreOperations[Any],
    principal: Principal,
    application: SQLCoreOperations[Any] | None = None,
) -> ColumnElement[bool]:
    """For queries over tables or read models that carry a partner column but have no model rule;
    with `application`, rows whose person withdrew consent to share with the partner are out."""
    partner_id = partner_of(principal)
    if partner_id is None:
        return true()
    if application is None:
        return column == partner_id
    return and_(column == partner_id, sharing_stands(application, partner_id))


class Repository(Generic[M]):
    """Reads of one model, always narrowed to what the principal may see."""

    model: ClassVar[type[Any]]
    resource: ClassVar[str]  # names the resource in a 404, e.g. "business-plan"

    # Staff's read of one row by id (`query`, which for staff depends on nothing else of the
    # principal), built once per repository class and its cache key computed once; the id is its
    # one parameter. A partner's read adds the partner's rule, built each time.
    _staff_by_id: ClassVar[Select[Any] | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._staff_by_id = None
        if "model" in cls.__dict__:
            ownership_of(cls.model)  # a model without a rule fails at import, not at a leak

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def query(self, principal: Principal, *filters: ColumnElement[bool]) -> Select[M]:
        """The rows the principal may see, narrowed further by `filters`."""
        statement: Select[M] = select(self.model)
        return statement.where(visible_to(self.model, principal), *filters)

    async def find(
        self,
        id: uuid.UUID,
        principal: Principal,
        *,
        lock: bool = False,
        options: Sequence[Any] = (),
    ) -> M | None:
        if partner_of(principal) is None and not lock and not options:
            cls = type(self)
            if cls._staff_by_id is None:
                cls._staff_by_id = self.query(principal, self.model.id == bindparam("row_id"))
            found: M | None = await self.session.scalar(cls._staff_by_id, {"row_id": id})
            return found
        statement = self.query(principal, self.model.id == id).options(*options)
        if lock:
            # Rows of this model only: a rule's EXISTS on another table locks nothing there.
            statement = statement.with_for_update(of=self.model)
        row: M | None = await self.session.scalar(statement)
        return row

    async def get(
        self,
        id: uuid.UUID,
        principal: Principal,
        *,
        lock: bool = False,
        options: Sequence[Any] = (),
    ) -> M:
        """The row, or 404 when it is missing or not the principal's to see."""
        row = await self.find(id, principal, lock=lock, options=options)
        if row is None:
            raise NotFound(self.resource, id)
        return row

    async def get_by(
        self,
        principal: Principal,
        *filters: ColumnElement[bool],
        missing: object,
        fresh: bool = False,
    ) -> M:
        """The row matching `filters` (a natural key, or an id within a parent), or 404 naming
        `missing`. `fresh` reads it again over the session's copy (after UPDATEs past the ORM)."""
        statement = self.query(principal, *filters)
        if fresh:
            statement = statement.execution_options(populate_existing=True)
        row: M | None = await self.session.scalar(statement)
        if row is None:
            raise NotFound(self.resource, missing)
        return row
