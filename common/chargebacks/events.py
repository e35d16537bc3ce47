"""The chargeback event-log line: its pydantic models, version upcasting, and the
reason a line is rejected.

A line is one JSON object: `event_id`, `event_type`, `chargeback_id`, `occurred_at`
(ISO 8601 with an offset), `schema_version` and a `payload` whose fields depend on the
type. Version 2 renamed `chargeback_created.payload.reason` to `reason_code` and added
`network`; a version-1 line is upcast on read (`network` = "unknown") and keeps its
original version in `source_schema_version`.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
)

EVENT_TYPES = (
    "chargeback_created",
    "evidence_submitted",
    "status_changed",
    "amount_adjusted",
    "closed",
)
STATUSES = ("open", "under_review", "accepted", "disputed", "closed")
OUTCOMES = ("won", "lost", "withdrawn")
LATEST_VERSION = 2


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Created(Strict):
    amount_cents: int = Field(ge=0)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    merchant_id: str = Field(min_length=1)
    reason_code: str = Field(min_length=1)
    network: str = Field(min_length=1)


class Evidence(Strict):
    evidence_type: str = Field(min_length=1)


class StatusChanged(Strict):
    status: Literal["open", "under_review", "accepted", "disputed"]


class AmountAdjusted(Strict):
    amount_cents: int = Field(ge=0)


class Closed(Strict):
    outcome: Literal["won", "lost", "withdrawn"]


PAYLOADS: dict[str, type[Strict]] = {
    "chargeback_created": Created,
    "evidence_submitted": Evidence,
    "status_changed": StatusChanged,
    "amount_adjusted": AmountAdjusted,
    "closed": Closed,
}


class Event(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_id: Annotated[str, Field(min_length=1, strict=True)]
    chargeback_id: Annotated[str, Field(min_length=1, strict=True)]
    occurred_at: AwareDatetime
    schema_version: Literal[2]
    source_schema_version: Literal[1, 2]

    @field_validator("occurred_at", mode="before")
    @classmethod
    def iso_text(cls, value: Any) -> Any:
        if not isinstance(value, str):  # not a number of seconds, not a date alone
            raise ValueError("must be an ISO 8601 timestamp with an offset")
        return value


class CreatedEvent(Event):
    event_type: Literal["chargeback_created"]
    payload: Created


class EvidenceEvent(Event):
    event_type: Literal["evidence_submitted"]
    payload: Evidence


class StatusEvent(Event):
    event_type: Literal["status_changed"]
    payload: StatusChanged


class AmountEvent(Event):
    event_type: Literal["amount_adjusted"]
    payload: AmountAdjusted


class ClosedEvent(Event):
    event_type: Literal["closed"]
    payload: Closed


ChargebackEvent = Annotated[
    CreatedEvent | EvidenceEvent | StatusEvent | AmountEvent | ClosedEvent,
    Field(discriminator="event_type"),
]
EVENT = TypeAdapter(ChargebackEvent)


def upcast(line: dict[str, Any]) -> dict[str, Any]:
    """Version 1 -> 2, remembering the version the line was written in."""
    version = line.get("schema_version")
    line = {**line, "source_schema_version": version}
    if version != 1:
        return line
    payload = line.get("payload")
    if line.get("event_type") == "chargeback_created" and isinstance(payload, dict):
        payload = {k: v for k, v in payload.items() if k != "reason"}
        if "reason" in line["payload"]:
            payload["reason_code"] = line["payload"]["reason"]
        payload.setdefault("network", "unknown")
    return {**line, "schema_version": 2, "payload": payload}


def row(event: Event) -> dict[str, Any]:
    """The events table's row: the payload's fields as columns (absent: null)."""
    at = event.occurred_at.astimezone(dt.UTC)
    return {
        "event_id": event.event_id,
        "event_type": event.event_type,  # type: ignore[attr-defined]
        "chargeback_id": event.chargeback_id,
        "occurred_at": at,
        "date": at.date(),
        "source_schema_version": event.source_schema_version,
        **event.payload.model_dump(),  # type: ignore[attr-defined]
    }


def parse_line(text: str) -> dict[str, Any] | str:
    """The line's row, or why it is rejected (naming the field)."""
    if not text.strip():
        return "empty line"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return f"not JSON: {exc.msg} at column {exc.colno}"
    if not isinstance(data, dict):
        return f"not a JSON object: {type(data).__name__}"
    if "schema_version" not in data:
        return "schema_version: Field required"
    if data["schema_version"] not in (1, 2) or isinstance(data["schema_version"], bool):
        return f"schema_version: not a known version: {data.get('schema_version')!r}"
    try:
        return row(EVENT.validate_python(upcast(data)))
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [str(p) for p in first["loc"]]
        if loc[:1] and loc[0] in EVENT_TYPES:  # the union's tag, not a field
            loc = loc[1:]
        field = ".".join(loc) or "event_type"  # no or unknown tag: the type
        return f"{field}: {first['msg']}"
