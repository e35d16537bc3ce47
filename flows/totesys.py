"""The Totesys flow: process the given packets, or every packet not processed yet."""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.artifacts import create_markdown_artifact

from common import pipelines
from common.totesys import process_totesys_packets as process_totesys_packets_job
from flows.tasks import FLOW_TIMEOUT_SECONDS, Runtime, job_task, run_stages

process_totesys_packets = job_task(process_totesys_packets_job.JOB)


def report_markdown(summary: dict[str, Any]) -> str:
    cols = ["rows_in", "rows_out", "quarantined", "objects"]
    lines = ["| table | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for table, stats in summary["tables"].items():
        lines.append(f"| {table} | " + " | ".join(str(stats[c]) for c in cols) + " |")
    packets = ", ".join(
        f"{p['table']}#{p['id']} {p['status']}" for p in summary["packets"]
    )
    return "\n".join(lines) + f"\n\nPackets: {packets or 'none'}"


@flow(name=pipelines.TOTESYS.name, timeout_seconds=FLOW_TIMEOUT_SECONDS)
def totesys(
    packets: list[dict[str, Any]] | None = None, runtime: Runtime = "local"
) -> dict:
    """The job graph of common/pipelines.py (TOTESYS). `packets`: [{"table", "id"},
    ...]; none: the job takes every packet not processed yet."""
    event = {"packets": packets} if packets is not None else {}
    futures = run_stages(
        pipelines.TOTESYS,
        {process_totesys_packets.name: process_totesys_packets},
        {process_totesys_packets.name: event},
        lambda job: runtime,
    )
    summary = futures[process_totesys_packets.name].result()
    create_markdown_artifact(key="totesys-summary", markdown=report_markdown(summary))
    return summary
