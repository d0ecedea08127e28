"""Funds, budgets and the ledger. Functions flush, never commit.

Money moves only through `reserve`, `release` and `spend`, each one conditional UPDATE of the
budget row: PostgreSQL locks the row and re-checks the condition after any concurrent change, so
however many transactions reserve at once, a budget never goes below zero (and the table's CHECK
constraints would refuse it if code ever tried).
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from assets.funds.models import (
    STATE_FUND_ID,
    Budget,
    EntryKind,
    Fund,
    FundKind,
    LedgerEntry,
)
from assets.funds.schemas import BudgetIn, FundIn
from shared.auth import Principal
from shared.db import add_in_savepoint
from shared.events import BudgetChanged
from shared.i18n import add_messages
from shared.messaging.outbox import add_event
from shared.problems import Conflict, FieldError, ValidationProblem

SYSTEM = "system"

add_messages(
    {
        "detail.fund-exists": {
            "az": "Bu kodla və ya bu tərəfdaş üçün fond artıq var",
            "en": "A fund with this code, or for this partner, exists already",
            "ru": "Фонд с этим кодом или для этого партнёра уже существует",
        },
        "detail.budget-overlaps": {
            "az": "Fondun bu dövrü örtən və ya bu adda büdcəsi artıq var",
            "en": "The fund already has a budget for this round or covering these dates",
            "ru": "У фонда уже есть бюджет этого раунда или на эти даты",
        },
        "detail.budget-reduction-too-large": {
            "az": "Büdcə rezerv edilmiş və xərclənmiş məbləğdən ({floor} AZN) aşağı salına bilməz",
            "en": "The budget cannot go below what is reserved and spent ({floor} AZN)",
            "ru": "Бюджет нельзя уменьшить ниже зарезервированного и потраченного ({floor} AZN)",
        },
        "field.budget-reduction-too-large": {
            "az": "büdcədə qalan sərbəst məbləğdən çoxdur",
            "en": "more than the budget has available",
            "ru": "больше, чем доступно в бюджете",
        },
        "detail.budget-round-linked": {
            "az": "Fondun bu proqram raunduna bağlı büdcəsi artıq var",
            "en": "The fund already has a budget linked to this programme round",
            "ru": "У фонда уже есть бюджет, привязанный к этому раунду программы",
        },
        "field.budget-round-linked": {
            "az": "bu raund artıq fondun başqa büdcəsinə bağlıdır",
            "en": "this round is linked to another budget of the fund",
            "ru": "этот раунд уже привязан к другому бюджету фонда",
        },
    }
)


# --- which fund pays -----------------------------------------------------------------------------


async def covering_budget(session: AsyncSession, fund_id: uuid.UUID, on: date) -> Budget | None:
    """The fund's budget whose period covers `on`: that is the round an order belongs to."""
    return await session.scalar(
        select(Budget).where(
            Budget.fund_id == fund_id, Budget.period_start <= on, Budget.period_end >= on
        )
    )


async def budget_for(
    session: AsyncSession, fund_id: uuid.UUID, on: date, round_id: uuid.UUID | None
) -> Budget | None:
    """The fund's budget linked to the participant's round when there is one (however late the
    plan was approved), else the one covering `on`."""
    if round_id is not None:
        linked = await session.scalar(
            select(Budget).where(Budget.fund_id == fund_id, Budget.round_id == round_id)
        )
        if linked is not None:
            return linked
    return await covering_budget(session, fund_id, on)


async def paying_fund(
    session: AsyncSession, referrer: uuid.UUID | None, on: date, round_id: uuid.UUID | None
) -> tuple[uuid.UUID, Budget | None]:
    """The referring partner's fund when it has a budget for the round or covering `on`, else
    the state budget."""
    if referrer is not None:  # a participant staff referred is paid by the state
        fund_id = await session.scalar(select(Fund.id).where(Fund.partner_id == referrer))
        if fund_id is not None:
            budget = await budget_for(session, fund_id, on, round_id)
            if budget is not None:
                return fund_id, budget
    return STATE_FUND_ID, await budget_for(session, STATE_FUND_ID, on, round_id)


# --- moving money ------------------------------------------------------------------------------


async def reserve(
    session: AsyncSession, budget_id: uuid.UUID, order_id: uuid.UUID, amount: Decimal, by: str
) -> bool:
    """Reserves `amount` if the budget has it available; False (and nothing changed) if not."""
    if amount > 0:
        moved = await session.scalar(
            update(Budget)
            .where(
                Budget.id == budget_id,
                Budget.allocated - Budget.reserved - Budget.spent >= amount,
            )
            .values(reserved=Budget.reserved + amount)
            .returning(Budget.id)
            .execution_options(synchronize_session=False)
        )
        if moved is None:
            return False
        await _entry(session, budget_id, EntryKind.reservation, order_id, amount, by)
    return True


async def release(
    session: AsyncSession, budget_id: uuid.UUID, order_id: uuid.UUID, amount: Decimal, by: str
) -> None:
    if amount <= 0:
        return
    await session.execute(
        update(Budget)
        .where(Budget.id == budget_id)
        .values(reserved=Budget.reserved - amount)
        .execution_options(synchronize_session=False)
    )
    await _entry(session, budget_id, EntryKind.release, order_id, amount, by)


async def spend(
    session: AsyncSession, budget_id: uuid.UUID, order_id: uuid.UUID, amount: Decimal, by: str
) -> None:
    """A delivered order's reservation becomes spending."""
    await session.execute(
        update(Budget)
        .where(Budget.id == budget_id)
        .values(reserved=Budget.reserved - amount, spent=Budget.spent + amount)
        .execution_options(synchronize_session=False)
    )
    await _entry(session, budget_id, EntryKind.spend, order_id, amount, by)


async def lock_budget(session: AsyncSession, budget_id: uuid.UUID) -> Budget:
    """The budget row, locked until commit: its queue of waiting orders is served by one
    transaction at a time."""
    budget = await session.scalar(
        select(Budget)
        .where(Budget.id == budget_id)
        # NO KEY UPDATE: orders referencing the budget (a key-share lock) do not block it.
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    assert budget is not None
    return budget


async def _entry(
    session: AsyncSession,
    budget_id: uuid.UUID,
    kind: EntryKind,
    order_id: uuid.UUID | None,
    amount: Decimal,
    by: str,
) -> None:
    session.add(
        LedgerEntry(budget_id=budget_id, kind=kind, order_id=order_id, amount=amount, by=by)
    )
    await session.flush()


# --- administration ----------------------------------------------------------------------------


async def create_fund(session: AsyncSession, data: FundIn) -> Fund:
    fund = Fund(**data.model_dump(), kind=FundKind.partner)
    try:
        await add_in_savepoint(session, fund)
    except IntegrityError as exc:
        raise Conflict("detail.fund-exists") from exc
    return fund


async def create_budget(
    session: AsyncSession, fund: Fund, data: BudgetIn, principal: Principal
) -> Budget:
    if data.period_end < data.period_start:
        raise ValidationProblem(
            [FieldError(field="body.period_end", code="period_order", message="field.period-order")]
        )
    # The fund row lock orders concurrent budget creations, so the overlap check holds.
    await session.execute(select(Fund.id).where(Fund.id == fund.id).with_for_update(key_share=True))
    overlapping = await session.scalar(
        select(Budget.id).where(
            Budget.fund_id == fund.id,
            (Budget.round == data.round)
            | ((Budget.period_start <= data.period_end) & (Budget.period_end >= data.period_start)),
        )
    )
    if overlapping is not None:
        raise Conflict("detail.budget-overlaps")
    # One budget per fund and intake round: it is the one that round's orders are paid from.
    if data.round_id is not None and await session.scalar(
        select(Budget.id).where(Budget.fund_id == fund.id, Budget.round_id == data.round_id)
    ):
        raise Conflict(
            "detail.budget-round-linked",
            errors=[
                FieldError(field="body.round_id", code="taken", message="field.budget-round-linked")
            ],
        )
    budget = Budget(
        **data.model_dump(), fund_id=fund.id, reserved=Decimal("0.00"), spent=Decimal("0.00")
    )
    session.add(budget)
    await session.flush()
    await _entry(session, budget.id, EntryKind.allocation, None, data.allocated, principal.id)
    await _changed(session, budget)
    return budget


async def add_money(
    session: AsyncSession, budget: Budget, amount: Decimal, principal: Principal
) -> Budget:
    budget = await lock_budget(session, budget.id)
    budget.allocated += amount
    budget.version += 1
    await session.flush()
    await _entry(session, budget.id, EntryKind.allocation, None, amount, principal.id)
    await _changed(session, budget)
    return budget


async def reduce_money(
    session: AsyncSession, budget: Budget, amount: Decimal, principal: Principal
) -> Budget:
    """Takes `amount` back from the allocation, down to at most what is reserved and spent.

    Under the budget's row lock, like every reservation: a reduction racing approvals sees their
    reservations (or they see the reduced allocation), so the budget never goes below zero.
    """
    budget = await lock_budget(session, budget.id)
    if budget.available < amount:
        raise Conflict(
            "detail.budget-reduction-too-large",
            params={"floor": budget.reserved + budget.spent},
            errors=[
                FieldError(
                    field="body.amount",
                    code="exceeds_available",
                    message="field.budget-reduction-too-large",
                )
            ],
            extras={"available": str(budget.available)},
        )
    budget.allocated -= amount
    budget.version += 1
    await session.flush()
    await _entry(session, budget.id, EntryKind.reduction, None, amount, principal.id)
    await _changed(session, budget)
    return budget


async def _changed(session: AsyncSession, budget: Budget) -> None:
    fund = await session.get(Fund, budget.fund_id)
    assert fund is not None
    await add_event(
        session,
        BudgetChanged(
            fund_id=budget.fund_id,
            budget_id=budget.id,
            round=budget.round,
            period_start=budget.period_start,
            period_end=budget.period_end,
            allocated=budget.allocated,
            fund_partner_id=fund.partner_id,
            round_id=budget.round_id,
        ),
    )
