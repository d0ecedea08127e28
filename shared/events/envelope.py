"""The one envelope of every event: CloudEvents 1.0 attributes plus Dayaq's extensions.

Extension attribute names follow CloudEvents' rule (lower-case letters and digits only):
`correlationid`, `causationid` and `principal` (who acted: "staff:<sub>" or "partner:<key id>").
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.context import current_trace
from shared.db import utcnow

SCHEMA_BASE = "https://dayaq.az/events"


class Event(BaseModel):
    """Base of every event payload. Payloads carry ids and coded facts, never personal data.

    A new optional field is an additive change within a version; anything else is a new type.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    type: ClassVar[str]
    version: ClassVar[int] = 1
    source_service: ClassVar[str]
    # Part of a participant's journey (its subject is the participant); monitoring's timeline.
    lifecycle: ClassVar[bool] = True
    # The services that consume it, in the journey's order (docs/events.md is made from these).
    consumers: ClassVar[tuple[str, ...]] = ()
    # The field holding the id of the thing the event is about: the CloudEvents `subject`.
    subject_field: ClassVar[str | None] = None

    def subject_id(self) -> str | None:
        if self.subject_field is None:
            return None
        return str(getattr(self, self.subject_field))

    @classmethod
    def dataschema(cls) -> str:
        return f"{SCHEMA_BASE}/{cls.type}/v{cls.version}"


class Envelope(BaseModel):
    model_config = ConfigDict(extra="ignore")

    specversion: Literal["1.0"] = "1.0"
    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    source: str
    type: str
    subject: str | None = None
    time: datetime = Field(default_factory=utcnow)
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: str
    correlationid: str
    causationid: str | None = None
    principal: str | None = None
    data: dict[str, Any]

    @classmethod
    def wrap(cls, event: Event) -> Envelope:
        """Wrap an event, taking correlation, causation and principal from the current context."""
        trace = current_trace()
        event_id = uuid.uuid4()
        return cls(
            id=event_id,
            source=f"/dayaq/{event.source_service}",
            type=event.type,
            subject=event.subject_id(),
            dataschema=event.dataschema(),
            correlationid=trace.correlation_id or str(event_id),
            causationid=trace.causation_id,
            principal=trace.principal,
            data=event.model_dump(mode="json"),
        )
