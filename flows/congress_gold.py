"""The Congress gold flow: build_fact_transactions (more tables join in issue #3)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect import flow
from prefect.artifacts import create_markdown_artifact

from common.congress import build_fact_transactions as fact_job
from flows.tasks import job_task

build_fact_transactions = job_task(fact_job.JOB)


def summary_markdown(results: dict[str, dict[str, Any]]) -> str:
    cols = sorted({k for summary in results.values() for k in summary})
    lines = ["| table | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for table, summary in results.items():
        lines.append(
            f"| {table} | " + " | ".join(str(summary.get(c, "")) for c in cols) + " |"
        )
    return "\n".join(lines)


@flow(name="congress-gold")
def congress_gold(
    rebuild: bool = False, since_date: dt.date | None = None
) -> dict[str, Any]:
    event: dict[str, Any] = {"rebuild": rebuild}
    if since_date:
        event["since_date"] = since_date.isoformat()
    results = {"fact_ptr_transactions": build_fact_transactions(event)}
    create_markdown_artifact(
        key="congress-gold-summary",
        markdown=summary_markdown(results),
        description="Rows and files written per table",
    )
    return results
