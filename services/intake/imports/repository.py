"""Reads of imports, narrowed to what the caller may see (a partner: its own)."""

from __future__ import annotations

from intake.imports.models import Import
from shared.repository import Repository


class ImportRepository(Repository[Import]):
    model = Import
    resource = "import"
