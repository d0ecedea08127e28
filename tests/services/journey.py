"""Moved to tests/journey_support.py; kept for the imports that still name this path."""

from tests.journey_support import APPLICANT, eventually

__all__ = ["APPLICANT", "eventually"]
