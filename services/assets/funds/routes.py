from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from assets.access import ReadsAssets
from assets.funds import service as funds
from assets.funds.models import Budget, Fund, LedgerEntry
from assets.funds.repository import BudgetRepository, FundRepository, LedgerRepository
from assets.funds.schemas import (
    BudgetIn,
    BudgetOut,
    FundIn,
    FundOut,
    LedgerEntryOut,
    LedgerOut,
    ReductionIn,
    TopUpIn,
)
from assets.orders.service import serve_line
from shared.auth import Admin
from shared.db import SessionDep
from shared.etag import IfMatchDep, change_versioned, read_versioned
from shared.idempotency import IdempotencyDep
from shared.paging import Page, PageParamsDep, paginate
from shared.problems import problem_responses
from shared.routes import RESPONSE_ID, links

router = APIRouter(prefix="/v1", tags=["funds"])


@router.post(
    "/funds",
    status_code=201,
    response_model=FundOut,
    summary="Register a partner's fund under its memorandum (admin; the state budget exists)",
    responses=problem_responses(401, 403, 409, 422),
    openapi_extra=links(
        "GET /v1/funds/{fund_id}",
        "POST /v1/funds/{fund_id}/budgets",
        "GET /v1/funds/{fund_id}/budgets",
        "GET /v1/funds/{fund_id}/ledger",
        fund_id=RESPONSE_ID,
    ),
)
async def create_fund(
    body: FundIn, session: SessionDep, principal: Admin, idem: IdempotencyDep
) -> Response:
    return await idem.create(
        lambda: funds.create_fund(session, body),
        read=lambda id: FundRepository(session).get(id, principal),
        response_model=FundOut,
        location="/v1/funds/{id}",
    )


@router.get(
    "/funds",
    response_model=Page[FundOut],
    summary="Funding sources (a partner sees only its own)",
    responses=problem_responses(401, 403, 422),
)
async def list_funds(
    session: SessionDep, principal: ReadsAssets, page: PageParamsDep
) -> Page[FundOut]:
    return await paginate(
        session,
        FundRepository(session).query(principal),
        key_columns=(Fund.created_at, Fund.id),
        params=page,
        to_item=FundOut.model_validate,
    )


@router.get(
    "/funds/{fund_id}",
    response_model=FundOut,
    summary="A funding source",
    responses=problem_responses(401, 403, 404),
)
async def get_fund(
    fund_id: uuid.UUID, session: SessionDep, principal: ReadsAssets, response: Response
) -> Fund:
    return read_versioned(await FundRepository(session).get(fund_id, principal), response)


@router.post(
    "/funds/{fund_id}/budgets",
    status_code=201,
    response_model=BudgetOut,
    summary="Give a fund its budget for a programme round (admin)",
    description=(
        "An order is paid from the fund's budget linked to its participant's intake round "
        "(`round_id`, one budget per fund and round), else from the budget whose period covers "
        "the day its plan was approved; orders already waiting for such a budget are reserved "
        "at once, oldest first."
    ),
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def create_budget(
    fund_id: uuid.UUID,
    body: BudgetIn,
    session: SessionDep,
    principal: Admin,
    idem: IdempotencyDep,
) -> Response:
    budgets = BudgetRepository(session)

    async def create() -> Budget:
        fund = await FundRepository(session).get(fund_id, principal)
        budget = await funds.create_budget(session, fund, body, principal)
        await serve_line(session, budget.id)
        return await budgets.in_fund(fund_id, budget.id, principal)

    return await idem.create(
        create,
        read=lambda id: budgets.in_fund(fund_id, id, principal),
        response_model=BudgetOut,
        location=f"/v1/funds/{fund_id}/budgets/{{id}}",
    )


@router.get(
    "/funds/{fund_id}/budgets",
    response_model=Page[BudgetOut],
    summary="A fund's budgets, one per round",
    responses=problem_responses(401, 403, 404, 422),
)
async def list_budgets(
    fund_id: uuid.UUID,
    session: SessionDep,
    principal: ReadsAssets,
    page: PageParamsDep,
    round_id: Annotated[
        uuid.UUID | None, Query(description="Only the budget linked to this intake round")
    ] = None,
) -> Page[BudgetOut]:
    fund = await FundRepository(session).get(fund_id, principal)
    query = BudgetRepository(session).query(principal, Budget.fund_id == fund.id)
    if round_id is not None:
        query = query.where(Budget.round_id == round_id)
    return await paginate(
        session,
        query,
        key_columns=(Budget.period_start, Budget.id),
        params=page,
        to_item=BudgetOut.model_validate,
    )


@router.get(
    "/funds/{fund_id}/budgets/{budget_id}",
    response_model=BudgetOut,
    summary="A budget; its ETag changes with the allocation only",
    responses=problem_responses(401, 403, 404),
)
async def get_budget(
    fund_id: uuid.UUID,
    budget_id: uuid.UUID,
    session: SessionDep,
    principal: ReadsAssets,
    response: Response,
) -> Budget:
    return read_versioned(
        await BudgetRepository(session).in_fund(fund_id, budget_id, principal), response
    )


@router.post(
    "/funds/{fund_id}/budgets/{budget_id}/top-ups",
    response_model=BudgetOut,
    summary="Add money to a budget (admin, If-Match); waiting orders take it, oldest first",
    responses=problem_responses(401, 403, 404, 412, 422, 428),
)
async def top_up(
    fund_id: uuid.UUID,
    budget_id: uuid.UUID,
    body: TopUpIn,
    session: SessionDep,
    principal: Admin,
    if_match: IfMatchDep,
    response: Response,
) -> Budget:
    budgets = BudgetRepository(session)

    async def add(budget: Budget) -> None:
        await funds.add_money(session, budget, body.amount, principal)
        await serve_line(session, budget.id)
        await budgets.in_fund(fund_id, budget_id, principal)  # the reservations it served

    budget = await budgets.in_fund(fund_id, budget_id, principal)
    return await change_versioned(budget, if_match, response, add)


@router.post(
    "/funds/{fund_id}/budgets/{budget_id}/reductions",
    response_model=BudgetOut,
    summary="Take money back from a budget (admin, If-Match), down to what is reserved and spent",
    description=(
        "Lowers the allocation by `amount` and writes a `reduction` ledger entry. Refused with 409 "
        "(on `body.amount`, with the budget's `available`) when the budget has less available: "
        "money reserved for orders or spent stays theirs; cancel orders to free it first."
    ),
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
)
async def reduce(
    fund_id: uuid.UUID,
    budget_id: uuid.UUID,
    body: ReductionIn,
    session: SessionDep,
    principal: Admin,
    if_match: IfMatchDep,
    response: Response,
) -> Budget:
    budget = await BudgetRepository(session).in_fund(fund_id, budget_id, principal)
    # Checked under the lock, so a top-up committed meanwhile makes this ETag stale, not lost.
    budget = await funds.lock_budget(session, budget.id)
    return await change_versioned(
        budget,
        if_match,
        response,
        lambda row: funds.reduce_money(session, row, body.amount, principal),
    )


@router.get(
    "/funds/{fund_id}/ledger",
    response_model=LedgerOut,
    summary="A round's ledger: allocated, reserved, spent, available and every entry",
    responses=problem_responses(401, 403, 404, 422),
)
async def ledger(
    fund_id: uuid.UUID,
    session: SessionDep,
    principal: ReadsAssets,
    page: PageParamsDep,
    round_: Annotated[str, Query(alias="round", description="The round's code")],
) -> LedgerOut:
    budget = await BudgetRepository(session).of_round(fund_id, round_, principal)
    entries = await paginate(
        session,
        LedgerRepository(session).query(principal, LedgerEntry.budget_id == budget.id),
        key_columns=(LedgerEntry.at, LedgerEntry.id),
        params=page,
        to_item=LedgerEntryOut.model_validate,
    )
    return LedgerOut(
        fund_id=budget.fund_id,
        budget_id=budget.id,
        round=budget.round,
        allocated=budget.allocated,
        reserved=budget.reserved,
        spent=budget.spent,
        available=budget.available,
        entries=entries.items,
        next_cursor=entries.next_cursor,
    )
