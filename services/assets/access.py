"""Who may call the assets routes: every role dependency of the service, named by what it allows.

Admin-only routes take `shared.auth.Admin`.
"""

from typing import Annotated

from fastapi import Depends

from shared.auth import Principal, Role, Scope, require

ReadsCatalogue = Annotated[
    Principal,
    Depends(
        require(
            Role.asset_officer,
            Role.analyst,
            Role.case_officer,
            Role.plan_reviewer,
            scopes=(Scope.assets_read,),
        )
    ),
]
"""The asset catalogue: staff who buy, plan or report on assets, and partners with assets:read
(it names no person)."""

ReadsAssets = Annotated[
    Principal,
    Depends(require(Role.asset_officer, Role.analyst, scopes=(Scope.assets_read,))),
]
"""Funds, budgets, orders, deliveries and items; a partner sees its own only."""

_ASSET_STAFF = require(Role.asset_officer, Role.analyst)

ReadsSuppliers = Annotated[Principal, Depends(_ASSET_STAFF)]
"""Suppliers are the ministry's procurement business: staff only, no partner."""

ReadsSerialFlags = Annotated[Principal, Depends(_ASSET_STAFF)]
"""Refused second handovers, for staff to look into."""

_ASSET_OFFICER = require(Role.asset_officer)

HandlesOrders = Annotated[Principal, Depends(_ASSET_OFFICER)]
"""Suppliers and agreed prices of an order, placing and cancelling it."""

RecordsDeliveries = Annotated[Principal, Depends(_ASSET_OFFICER)]
"""Recording handovers and uploading their signed acts."""

ReadsActs = Annotated[Principal, Depends(_ASSET_OFFICER)]
"""The signed act carries the participant's signature: staff who handle handovers only."""
