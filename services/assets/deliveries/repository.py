"""Reads of deliveries, delivered items and serial flags, scoped to the caller
(shared.repository)."""

from __future__ import annotations

from assets.deliveries.models import DeliveredUnit, Delivery, SerialFlag
from shared.repository import Repository


class DeliveryRepository(Repository[Delivery]):
    model = Delivery
    resource = "delivery"


class ItemRepository(Repository[DeliveredUnit]):
    model = DeliveredUnit
    resource = "item"


class SerialFlagRepository(Repository[SerialFlag]):
    model = SerialFlag
    resource = "serial-flag"
