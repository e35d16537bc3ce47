"""Powertools Logger (JSON, correlation id) and Metrics (EMF), for both runtimes.

In Lambda the handlers decorate with these same objects (plus a Tracer, created in
the handler because X-Ray's SDK costs a second of imports Prefect runs do not need).
Under Prefect, flows/ adds a handler to the stdlib logger behind `logger`, so the same
records reach the run log.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "data-platform")
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "DataPlatform")

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)

COUNT_METRICS = {
    "rows_in": "RowsIn",
    "rows_out": "RowsOut",
    "transactions_processed": "RowsOut",
    "files_written": "FilesWritten",
    "files_deleted": "FilesDeleted",
    "quarantined": "RowsQuarantined",
}


def record_summary(job: str, summary: dict, seconds: float) -> None:
    """Log a job's summary and add its counts to the EMF metrics."""
    logger.info(
        "job finished", extra={"job": job, "summary": summary, "seconds": seconds}
    )
    metrics.add_dimension(name="job", value=job)
    for field, name in COUNT_METRICS.items():
        if isinstance(summary.get(field), int):
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=summary[field])
    metrics.add_metric(name="DurationSeconds", unit=MetricUnit.Seconds, value=seconds)


def record_invalid_event(job: str, field: str, problem: str) -> None:
    logger.warning(
        "invalid event", extra={"job": job, "field": field, "problem": problem}
    )
    metrics.add_dimension(name="job", value=job)
    metrics.add_metric(name="InvalidEvents", unit=MetricUnit.Count, value=1)
