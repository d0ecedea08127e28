"""Every assets table, for Alembic: each domain keeps its models in its own folder, and importing
the module registers its tables on Base.metadata."""

from assets.base import Base, partner_keys, shared_tables
from assets.catalogue import models as catalogue
from assets.deliveries import models as deliveries
from assets.funds import models as funds
from assets.orders import models as orders

__all__ = ["Base", "catalogue", "deliveries", "funds", "orders", "partner_keys", "shared_tables"]
