"""What cases do with events."""

from __future__ import annotations

from monitoring.settings import MonitoringSettings
from shared.messaging.consumer import Handler


def handlers(settings: MonitoringSettings) -> dict[str, Handler]:
    return {}
