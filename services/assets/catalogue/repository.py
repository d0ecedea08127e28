"""Reads of the catalogue and the suppliers, scoped to the caller (shared.repository)."""

from __future__ import annotations

from assets.catalogue.models import AssetType, Supplier
from shared.auth import Principal
from shared.problems import NotFound
from shared.repository import Repository


class AssetTypeRepository(Repository[AssetType]):
    model = AssetType
    resource = "asset-type"

    async def get_code(self, code: str, principal: Principal) -> AssetType:
        """The asset type by its code (its identity), or 404."""
        asset_type = await self.session.scalar(self.query(principal, AssetType.code == code))
        if asset_type is None:
            raise NotFound(self.resource, code)
        return asset_type


class SupplierRepository(Repository[Supplier]):
    model = Supplier
    resource = "supplier"
