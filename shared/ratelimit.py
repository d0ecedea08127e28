"""Rate limits on the expensive operations (imports, selections, reports, searches), per principal:
each partner key and each staff user has its own moving window (the `limits` library).

A route takes `dependencies=[RateLimit("<setting>")]`, the setting holding the limit in the
library's notation ("10/minute", "100 per hour"). Past it: 429 with Retry-After.

The counts live in the service's memory by default, so a limit holds per replica; with
`rate_limit_storage_uri` set to a shared storage the library knows (e.g. "async+redis://…"),
across replicas.
"""

from __future__ import annotations

import math
import time
from typing import Annotated

from fastapi import Request
from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string
from pydantic import AfterValidator

from shared.auth import CurrentPrincipal
from shared.i18n import add_messages
from shared.problems import Problem
from shared.settings import ServiceSettings

add_messages(
    {
        "detail.rate-limited": {
            "az": "Sorğu həddi keçilib; {retry_after} saniyə sonra yenidən cəhd edin",
            "en": "Too many requests for this operation; try again in {retry_after} seconds",
            "ru": "Слишком много запросов этой операции; повторите через {retry_after} с",
        },
    }
)


def _parses(text: str) -> str:
    parse(text)  # ValueError for a limit the library cannot read: refused at start-up
    return text


# A setting holding a limit in the library's notation, checked when the settings load.
RateLimitSetting = Annotated[str, AfterValidator(_parses)]


def rate_limiter(settings: ServiceSettings) -> MovingWindowRateLimiter:
    """The service's limiter, made at start (on its runtime): counts per replica unless the
    storage is shared."""
    storage = storage_from_string(settings.rate_limit_storage_uri)
    assert isinstance(storage, Storage), "rate_limit_storage_uri must be an async+ storage"
    return MovingWindowRateLimiter(storage)


def _limiter(request: Request) -> MovingWindowRateLimiter:
    limiter: MovingWindowRateLimiter = request.app.state.runtime.rate_limiter
    return limiter


class RateLimit:
    """A dependency: at most the limit in the service setting `setting` per principal."""

    def __init__(self, setting: str) -> None:
        self.setting = setting
        self._items: dict[str, RateLimitItem] = {}

    def _item(self, text: str) -> RateLimitItem:
        if text not in self._items:
            self._items[text] = parse(text)
        return self._items[text]

    async def __call__(self, request: Request, principal: CurrentPrincipal) -> None:
        item = self._item(str(getattr(request.app.state.settings, self.setting)))
        limiter = _limiter(request)
        if await limiter.hit(item, self.setting, principal.id):
            return
        stats = await limiter.get_window_stats(item, self.setting, principal.id)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        raise Problem(
            429,
            "too-many-requests",
            detail="detail.rate-limited",
            params={"retry_after": retry_after},
            headers={"Retry-After": str(retry_after)},
            extras={"retry_after": retry_after},
        )
