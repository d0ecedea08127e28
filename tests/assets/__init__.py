"""Tests of the assets service: the catalogue, funds and budgets, orders and deliveries."""

# The helpers are in assets_support.py; these names stay importable from the package as well.
from tests.assets.assets_support import add_budget, approval, approve

__all__ = ["add_budget", "approval", "approve"]
