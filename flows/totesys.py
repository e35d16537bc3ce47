"""The Totesys flow: process the given packets, or every packet not processed yet."""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.artifacts import create_markdown_artifact

from common.jobs import JobContext
from common.totesys import packet_store
from common.totesys import process_totesys_packets as process_totesys_packets_job
from flows.tasks import FLOW_TIMEOUT_SECONDS, Runtime, job_task

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


@flow(name="totesys", timeout_seconds=FLOW_TIMEOUT_SECONDS)
def totesys(
    packets: list[dict[str, Any]] | None = None, runtime: Runtime = "local"
) -> dict:
    """`packets`: [{"table", "id"}, ...]; none: discover unprocessed packets."""
    todo = (
        packets
        if packets is not None
        else packet_store.pending(JobContext.from_env())
    )
    summary = process_totesys_packets({"packets": todo}, runtime=runtime)
    create_markdown_artifact(key="totesys-summary", markdown=report_markdown(summary))
    return summary
