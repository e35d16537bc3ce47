"""update_consolidation: consolidation messages from Kafka (MSK) -> the chargebacks
store.

Lambda: an MSK event of up to 100 records. Powertools' BatchProcessor (Kafka) decodes
and validates each record's value with the Parser model; each message is applied by
consolidation.consolidate; a message that is undecodable, not JSON, missing or
ill-typed fields, or out of time fails alone, and the handler returns the partial
batch response (`{"batchItemFailures": [{"itemIdentifier": {"partition":
"<topic>-<n>", "offset": n}}]}`) so Lambda retries only those, then hands them to the
event source mapping's on-failure destination (an S3 bucket: it keeps the whole
invocation record, which `redrive` replays).

Prefect runs the same per-message code on a list of messages (`apply_messages`) and
the redrive (`redrive`).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.parser.models import KafkaRecordModel
from pydantic import Field, Json, ValidationError

from common.chargebacks.consolidation import Consolidation, consolidate
from common.chargebacks.store import ChargebackStore, chargeback_store
from common.observability import emit, logger
from common.settings import Settings
from common.storage import Warehouse

NAME = "update_consolidation"


class ConsolidationRecord(KafkaRecordModel):
    """A Kafka record whose value (base64, decoded by the parent model) is a JSON
    consolidation message. Headers are optional: not every producer sends them."""

    value: Json[Consolidation]  # type: ignore[assignment]
    headers: list[dict[str, bytes]] = Field(default_factory=list)


def store_from_env() -> ChargebackStore:
    wh = Warehouse(Settings.from_env().warehouse_uri)
    return chargeback_store(wh.root, wh.is_local)


@functools.cache
def container_store() -> ChargebackStore:
    """One store (and DynamoDB client) per Lambda container, made at init."""
    return store_from_env()


def handle(event: dict[str, Any], remaining_ms: Callable[[], int]) -> dict[str, Any]:
    """The Lambda handler's work (common/lambda_handler.batch_handler_for)."""
    return process_batch(event, container_store(), remaining_ms)


def report(processed: int, failed: int, updated: int) -> None:
    emit(NAME, "MessagesProcessed", MetricUnit.Count, processed)
    emit(NAME, "MessagesFailed", MetricUnit.Count, failed)
    emit(NAME, "ChargebacksUpdated", MetricUnit.Count, updated)


def process_batch(
    event: dict[str, Any],
    store: ChargebackStore,
    remaining_ms: Callable[[], int] | None = None,
) -> dict[str, Any]:
    """The partial batch response for one MSK event."""
    processor = BatchProcessor(
        event_type=EventType.Kafka,
        model=ConsolidationRecord,
        raise_on_entire_batch_failure=False,  # a bad batch is reported, never raised
    )
    updated = 0

    def apply(record: ConsolidationRecord) -> dict[str, Any]:
        nonlocal updated
        where = {"topic": record.topic, "partition": record.partition}
        logger.append_keys(**where, offset=record.offset)
        try:
            summary = consolidate(store, record.value, remaining_ms)
            logger.info("consolidation applied", extra=summary)
            updated += summary["chargebacks_updated"]
            return summary
        except Exception:
            logger.exception("consolidation failed")
            raise
        finally:
            logger.remove_keys(["topic", "partition", "offset"])

    response = process_partial_response(
        event=event, record_handler=apply, processor=processor
    )
    failed = len(response["batchItemFailures"])
    for _, exc, _ in processor.exceptions:
        if isinstance(exc, ValidationError):
            logger.warning("invalid message", extra={"problem": str(exc)[:500]})
    report(len(processor.success_messages) + failed, failed, updated)
    return dict(response)


def apply_messages(
    messages: list[Any], store: ChargebackStore | None = None
) -> dict[str, Any]:
    """Prefect's entry: the same per-message code on a list of messages (dicts or
    JSON strings). Each message fails alone: the failures come back with the index
    and reason; the rest are applied."""
    store = store or store_from_env()
    applied, failures, updated = [], [], 0
    for index, message in enumerate(messages):
        try:
            raw = json.loads(message) if isinstance(message, str) else message
            summary = consolidate(store, Consolidation.model_validate(raw))
        except (ValidationError, ValueError) as exc:
            failures.append({"index": index, "reason": str(exc)[:500]})
            continue
        applied.append(summary)
        updated += summary["chargebacks_updated"]
    report(len(messages), len(failures), updated)
    return {"applied": applied, "failures": failures, "chargebacks_updated": updated}


def invocation_payload(record: dict[str, Any]) -> dict[str, Any]:
    """The MSK event inside an S3 on-failure destination's invocation record."""
    payload = record.get("payload")
    if isinstance(payload, str):
        payload = json.loads(payload)
    if not isinstance(payload, dict) or payload.get("eventSource") != "aws:kafka":
        raise ValueError("not an invocation record of a Kafka batch (no payload)")
    return payload


def redrive(
    destination: Warehouse, store: ChargebackStore | None = None
) -> dict[str, Any]:
    """Replay each invocation record the on-failure destination kept; one whose
    messages now all apply is deleted, the others stay for the next redrive."""
    store = store or store_from_env()
    replayed, kept = [], []
    for key in destination.keys("", ""):
        record = json.loads(destination.read_bytes(key))
        response = process_batch(invocation_payload(record), store)
        if response["batchItemFailures"]:
            kept.append({"key": key, "failures": response["batchItemFailures"]})
        else:
            destination.delete([key])
            replayed.append(key)
    return {"replayed": replayed, "kept": kept}
