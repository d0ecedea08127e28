"""Cases (one per participant under follow-up), flag rules as data, flags and outcomes."""

from __future__ import annotations

from monitoring.base import Base

__all__ = ["Base"]
