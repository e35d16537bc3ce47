"""One consolidation message applied to the chargebacks store.

The Glue consolidation job publishes `consolidation_completed` for a partition date
and execution; every chargeback record of that date is then stamped with it. Keys come
a page at a time from the keys-only partition_date index; items already carrying this
execution (or a newer one) are skipped without a write; the others are written in
parallel, each conditionally (store.py), so replays and late older executions change
nothing. Before each page the remaining time is checked: a message that cannot finish
raises DeadlineNear and is retried later, resuming where it stopped, since what it
stamped is skipped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from common.chargebacks.store import ChargebackStore
from common.errors import TransientError

SAFETY_MS = 10_000  # what a page of writes and the response need, at most


class DeadlineNear(TransientError):
    """The invocation ends before this message could finish; retry it."""


def _text(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 string")
    return value


class Consolidation(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")

    event_type: Literal["consolidation_completed"]
    partition_date: Annotated[dt.date, Field(strict=False)]
    execution_sequence: int = Field(ge=1)
    total_executions: int = Field(ge=1)
    records_processed: int = Field(ge=0)
    duplicates_removed: int = Field(ge=0)
    output_files: int = Field(ge=0)
    output_format: Literal["csv", "parquet", "json"]
    output_path: str = Field(min_length=1)
    execution_time: float = Field(ge=0)
    completed_at: Annotated[AwareDatetime, Field(strict=False)]
    job_name: str = Field(min_length=1)

    _iso = field_validator("partition_date", "completed_at", mode="before")(_text)


def fields(message: Consolidation, now: dt.datetime) -> dict[str, Any]:
    return {
        "consolidation_status": "completed",
        "consolidation_s3_path": message.output_path,
        "consolidation_date": message.completed_at.isoformat(),
        "consolidation_execution": message.execution_sequence,
        "consolidation_job_name": message.job_name,
        "output_format": message.output_format,
        "records_in_consolidation": message.records_processed,
        "updated_at": now.isoformat(),
    }


def consolidate(
    store: ChargebackStore,
    message: Consolidation,
    remaining_ms: Callable[[], int] | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Stamp every record of the message's partition date; the counts."""
    stamp = fields(message, now or dt.datetime.now(dt.UTC))
    seq = message.execution_sequence
    updated = skipped = 0
    with ThreadPoolExecutor(store.parallelism) as pool:
        for page in store.key_pages(message.partition_date.isoformat()):
            if remaining_ms is not None and remaining_ms() < SAFETY_MS:
                raise DeadlineNear(
                    f"{message.partition_date} execution {seq}: "
                    f"{updated} stamped before the deadline; the retry resumes"
                )
            current = store.executions(page)
            todo = [k for k in page if (current.get(k) or 0) < seq]
            written = sum(pool.map(lambda key: store.stamp(key, stamp), todo))
            updated += written
            skipped += len(page) - written
    return {
        "partition_date": message.partition_date.isoformat(),
        "execution_sequence": seq,
        "chargebacks_updated": updated,
        "chargebacks_skipped": skipped,
    }
