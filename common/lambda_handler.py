"""The one Lambda adapter every handler uses: Powertools decorators around a job.

Lives apart from observability.py because the X-Ray SDK behind Tracer costs about a
second of imports that Prefect runs (which never import this module) do not need.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from common.jobs import TableJob, handle_event
from common.observability import SERVICE, logger, metrics

tracer = Tracer(service=SERVICE)

if os.environ.get("STATE_TABLE"):
    # Deployed, every call reads and commits its state in DynamoDB: boto3 loads in
    # Lambda's init phase (and in benchmarks/cold_import.py), not in the first call.
    import boto3  # noqa: F401
    from botocore.config import Config  # noqa: F401

Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def lambda_handler_for(job: TableJob[Any]) -> Handler:
    @logger.inject_lambda_context(log_event=True)
    @metrics.log_metrics(capture_cold_start_metric=True)
    @tracer.capture_lambda_handler
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return handle_event(job, event)

    return lambda_handler


Batch = Callable[[dict[str, Any], Callable[[], int]], dict[str, Any]]


def batch_handler_for(process: Batch) -> Handler:
    """A queue consumer's adapter: `process(event, remaining_ms)` returns the partial
    batch response itself (`{"batchItemFailures": [...]}`), not a statusCode/body."""

    @logger.inject_lambda_context(log_event=False)
    @metrics.log_metrics(capture_cold_start_metric=True)
    @tracer.capture_lambda_handler
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return process(event, context.get_remaining_time_in_millis)

    return lambda_handler
