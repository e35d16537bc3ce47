"""The Totesys job's per-star-table metrics (EMF, one record per metric)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from common.observability import emit

TABLE_METRICS = {
    "rows_in": "RowsIn",
    "rows_out": "RowsOut",
    "quarantined": "RowsQuarantined",
    "objects": "ObjectsWritten",
}


def emit_table_metrics(job: str, tables: dict[str, dict[str, Any]]) -> None:
    for name, stats in tables.items():
        for field, metric in TABLE_METRICS.items():
            emit(job, metric, MetricUnit.Count, stats[field], table=name)
