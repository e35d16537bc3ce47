"""The chargebacks flows: the event-log checkpoint, and the consolidation updates
(from a list of messages, or replayed from the Lambda's on-failure destination)."""

from __future__ import annotations

from typing import Any

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact

from common import pipelines
from common.chargebacks import checkpoint_event_log as checkpoint_event_log_job
from common.chargebacks import update_consolidation as update
from common.storage import Warehouse
from flows.tasks import (
    FLOW_TIMEOUT_SECONDS,
    TRANSIENT_RETRIES,
    Runtime,
    job_task,
    run_stages,
)

checkpoint_event_log = job_task(checkpoint_event_log_job.JOB)


@flow(name=pipelines.CHARGEBACKS.name, timeout_seconds=FLOW_TIMEOUT_SECONDS)
def chargebacks_checkpoint(
    source_uris: list[str] | None = None, runtime: Runtime = "local"
) -> dict[str, Any]:
    """Checkpoint the given event logs, or every one not checkpointed yet."""
    event = {"source_uris": source_uris} if source_uris else {}
    futures = run_stages(
        pipelines.CHARGEBACKS,
        {checkpoint_event_log.name: checkpoint_event_log},
        {checkpoint_event_log.name: event},
        lambda job: runtime,
    )
    return futures[checkpoint_event_log.name].result()


@task(
    name="update_consolidation", **TRANSIENT_RETRIES, tags=["job:update_consolidation"]
)
def apply_messages(messages: list[Any]) -> dict[str, Any]:
    return update.apply_messages(messages)


@task(name="redrive_consolidation", **TRANSIENT_RETRIES)
def redrive_records(destination_uri: str) -> dict[str, Any]:
    return update.redrive(Warehouse(destination_uri))


def failures_markdown(failures: list[dict[str, Any]]) -> str:
    rows = [
        f"| {f.get('index', f.get('key'))} | {f.get('reason', f.get('failures'))} |"
        for f in failures
    ]
    return "\n".join(["| message | reason |", "|---|---|", *rows])


@flow(name="consolidation-updates", timeout_seconds=FLOW_TIMEOUT_SECONDS)
def consolidation_updates(events: list[Any]) -> dict[str, Any]:
    """Apply consolidation messages (what the Glue job's `consolidation.completed`
    Prefect event carries). A bad message fails alone; the run then fails, listing
    it in an artifact, after the others are applied."""
    summary = apply_messages(events)
    if summary["failures"]:
        create_markdown_artifact(
            key="consolidation-failures",
            markdown=failures_markdown(summary["failures"]),
        )
        raise ValueError(f"{len(summary['failures'])} of {len(events)} messages failed")
    return summary


@flow(name="consolidation-redrive", timeout_seconds=FLOW_TIMEOUT_SECONDS)
def consolidation_redrive(destination_uri: str) -> dict[str, Any]:
    """Replay the batches the update_consolidation Lambda's on-failure destination
    kept (an S3 prefix, or a local folder); replayed ones are deleted."""
    summary = redrive_records(destination_uri)
    if summary["kept"]:
        create_markdown_artifact(
            key="consolidation-redrive-kept",
            markdown=failures_markdown(summary["kept"]),
        )
    return summary
