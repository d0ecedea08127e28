"""The directions catalogue. Functions flush, never commit."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from plans.directions.models import Direction
from plans.directions.schemas import DirectionIn, DirectionUpdate
from shared.problems import Conflict, FieldError, NotFound


async def get_direction(session: AsyncSession, code: str) -> Direction:
    direction = await session.get(Direction, code)
    if direction is None:
        raise NotFound("direction", code)
    return direction


async def create_direction(session: AsyncSession, body: DirectionIn) -> Direction:
    if await session.get(Direction, body.code) is not None:
        raise Conflict(
            "detail.direction-exists",
            params={"code": body.code},
            errors=[FieldError(field="body.code", code="taken", message="field.code-taken")],
        )
    direction = Direction(**body.model_dump(mode="json", exclude={"ceiling"}), ceiling=body.ceiling)
    session.add(direction)
    await session.flush()
    return direction


async def update_direction(
    session: AsyncSession, direction: Direction, body: DirectionUpdate
) -> Direction:
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if "asset_package" in changes:
        changes["asset_package"] = [item.model_dump() for item in body.asset_package or []]
    for name, value in changes.items():
        setattr(direction, name, value)
    await session.flush()
    return direction
