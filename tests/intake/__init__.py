"""Intake's rules against real PostgreSQL and NATS."""
