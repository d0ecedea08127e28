"""Reads of the catalogue and the suppliers, scoped to the caller (shared.repository)."""

from __future__ import annotations

from assets.catalogue.models import AssetType, Supplier
from shared.auth import Principal
from shared.repository import Repository


class AssetTypeRepository(Repository[AssetType]):
    model = AssetType
    resource = "asset-type"

    async def get_code(self, code: str, principal: Principal) -> AssetType:
        """By its code, the asset type's identity."""
        return await self.get_by(principal, AssetType.code == code, missing=code)


class SupplierRepository(Repository[Supplier]):
    model = Supplier
    resource = "supplier"
