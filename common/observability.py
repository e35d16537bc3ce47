"""Powertools Logger (JSON, correlation id) and Metrics (EMF), for both runtimes.

In Lambda, common/lambda_handler.py decorates every handler with these same objects.
Under Prefect, flows/ adds a handler to the stdlib logger behind `logger`, so the same
records reach the run log.
"""

from __future__ import annotations

import os
import resource
import sys

from aws_lambda_powertools import Logger, Metrics, single_metric
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

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
    "events_processed": "EventsProcessed",
    "events_failed": "EventsFailed",
}
BYTES_METRICS = {"output_file_size": "OutputFileSize"}
PEAK_MEMORY = "PeakMemory"  # what each function's memory alarm reads (terraform)


def emit(job: str, name: str, unit: MetricUnit, value: float, table: str = "") -> None:
    """One EMF record per metric with the job as dimension: safe when several jobs run
    in one process (concurrent Prefect tasks), unlike the shared `metrics` buffer.
    POWERTOOLS_METRICS_DISABLED silences it as it does `metrics` (Powertools'
    single_metric itself ignores that switch)."""
    if is_metrics_disabled():
        return
    with single_metric(
        name=name, unit=unit, value=value, namespace=NAMESPACE
    ) as metric:
        metric.add_dimension(name="service", value=SERVICE)
        metric.add_dimension(name="job", value=job)
        if table:
            metric.add_dimension(name="table", value=table)


def record_summary(job: str, summary: dict, seconds: float) -> None:
    """Log a job's summary and emit its counts as EMF metrics."""
    logger.info(
        "job finished", extra={"job": job, "summary": summary, "seconds": seconds}
    )
    for field, name in COUNT_METRICS.items():
        if isinstance(summary.get(field), int):
            emit(job, name, MetricUnit.Count, summary[field])
    for field, name in BYTES_METRICS.items():
        if isinstance(summary.get(field), int):
            emit(job, name, MetricUnit.Bytes, summary[field])
    emit(job, "DurationSeconds", MetricUnit.Seconds, seconds)
    # The process's peak so far: in Lambda, the most any invocation of this
    # container needed, which the function's memory alarm compares with memory_mb.
    emit(job, PEAK_MEMORY, MetricUnit.Megabytes, peak_rss_mb())


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB: the kernel's VmHWM, which starts
    afresh when a program is exec'd (ru_maxrss keeps the peak of whatever exec'd
    it, such as a PEX bootstrap)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:  # not Linux: ru_maxrss is in bytes on macOS
        pass
    scale = 2**20 if sys.platform == "darwin" else 2**10
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale, 1)


def record_invalid_event(job: str, field: str, problem: str) -> None:
    logger.warning(
        "invalid event", extra={"job": job, "field": field, "problem": problem}
    )
    emit(job, "InvalidEvents", MetricUnit.Count, 1)
