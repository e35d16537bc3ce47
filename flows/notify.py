"""Failure notifications: SNS when ALERT_TOPIC_ARN is set (AWS), a log line otherwise.

Attached as each job task's on_failure hook, so it fires once per task that failed
after its retries, with the flow, task, parameters and error."""

from __future__ import annotations

import json
import os
from typing import Any

from prefect.runtime import flow_run
from prefect.runtime import task_run as task_run_context

from common.observability import logger


def failure_message(
    task_name: str, parameters: dict[str, Any], error: str
) -> dict[str, Any]:
    return {
        "flow": flow_run.flow_name,
        "flow_run": flow_run.name,
        "flow_parameters": flow_run.parameters,
        "task": task_name,
        "task_parameters": parameters,
        "error": error,
    }


def notify_failure(task: Any, task_run: Any, state: Any) -> None:
    try:
        state.result()
        error = state.message or "failed"
    except Exception as exc:  # noqa: BLE001 - the error is what we report
        error = f"{type(exc).__name__}: {exc}"
    # hooks run inside the task run context, which holds its parameters
    message = failure_message(task.name, dict(task_run_context.parameters or {}), error)
    # The log line first: a publish that fails must not take the record with it.
    logger.error("task failed", extra=message)
    topic = os.environ.get("ALERT_TOPIC_ARN")
    if topic:
        import boto3

        boto3.client("sns").publish(
            TopicArn=topic,
            Subject=f"data-platform: {message['task']} failed"[:100],
            Message=json.dumps(message, default=str, indent=1),
        )
