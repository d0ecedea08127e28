"""Reads of orders, scoped to the caller (shared.repository)."""

from __future__ import annotations

from assets.orders.models import Order
from shared.repository import Repository


class OrderRepository(Repository[Order]):
    model = Order
    resource = "order"
