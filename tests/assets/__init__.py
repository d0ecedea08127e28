"""Tests of the assets service: the catalogue, funds and budgets, orders and deliveries."""
