"""Reads of partners, their memoranda and API keys, narrowed to what the caller may see (a
partner: itself and its own)."""

from __future__ import annotations

import uuid
from typing import TypeVar

from intake.partners.models import ApiKey, Memorandum, Partner
from shared.auth import Principal
from shared.problems import NotFound
from shared.repository import Repository

Row = TypeVar("Row", Memorandum, ApiKey)


class PartnerRepository(Repository[Partner]):
    model = Partner
    resource = "partner"


class _PartnersRows(Repository[Row]):
    async def of_partner(self, partner: Partner, id: uuid.UUID, principal: Principal) -> Row:
        """One of the partner's rows: one of another partner answers 404 as a missing one."""
        row: Row | None = await self.session.scalar(
            self.query(principal, self.model.id == id, self.model.partner_id == partner.id)
        )
        if row is None:
            raise NotFound(self.resource, id)
        return row


class MemorandumRepository(_PartnersRows[Memorandum]):
    model = Memorandum
    resource = "memorandum"


class ApiKeyRepository(_PartnersRows[ApiKey]):
    model = ApiKey
    resource = "api-key"
