"""Reads of applications, narrowed to what the caller may see (a partner: its own referrals)."""

from __future__ import annotations

from intake.applications.models import Application
from shared.repository import Repository


class ApplicationRepository(Repository[Application]):
    model = Application
    resource = "application"
