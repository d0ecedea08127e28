"""Reads of funds, budgets and ledgers, scoped to the caller (shared.repository)."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement

from assets.funds.models import Budget, Fund, LedgerEntry
from shared.auth import Principal
from shared.repository import Repository


class FundRepository(Repository[Fund]):
    model = Fund
    resource = "fund"


class BudgetRepository(Repository[Budget]):
    """A budget is read through its fund: a fund the caller may not see is the 404, first."""

    model = Budget
    resource = "budget"

    async def in_fund(
        self, fund_id: uuid.UUID, budget_id: uuid.UUID, principal: Principal
    ) -> Budget:
        return await self._fresh(fund_id, principal, Budget.id == budget_id, budget_id)

    async def of_round(self, fund_id: uuid.UUID, round_: str, principal: Principal) -> Budget:
        return await self._fresh(fund_id, principal, Budget.round == round_, round_)

    async def _fresh(
        self, fund_id: uuid.UUID, principal: Principal, which: ColumnElement[bool], missing: object
    ) -> Budget:
        fund = await FundRepository(self.session).get(fund_id, principal)
        # Read afresh: reservations move the money by UPDATE, past the session's copy.
        return await self.get_by(
            principal, Budget.fund_id == fund.id, which, missing=missing, fresh=True
        )


class LedgerRepository(Repository[LedgerEntry]):
    model = LedgerEntry
    resource = "ledger-entry"
