"""Backfill fact_ptr_transactions range by range, optionally on a Dask cluster.

Use it when silver no longer fits one machine's memory: the global step keeps only ids
and keys; each range of years is built by its own task, on Prefect's Dask task runner
when `dask_address` is given ("local" starts a LocalCluster in this process)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from prefect import flow, task, unmapped
from prefect.task_runners import ThreadPoolTaskRunner
from prefect_dask import DaskTaskRunner

from common.congress import backfill_fact
from common.congress.build_fact_transactions import JOB
from common.jobs import JobContext
from common.state import Fence
from flows.tasks import TRANSIENT_RETRIES


def fenced(fence: Fence) -> JobContext:
    """A context whose writes and commits hold to the flow's lease (the flow's
    heartbeat keeps it; a task that finds it lost stops before committing)."""
    return replace(JobContext.from_env(), fence=fence)


@task(**TRANSIENT_RETRIES)
def build_index(fence: Fence) -> dict[str, Any]:
    return backfill_fact.build_index(fenced(fence))


@task(**TRANSIENT_RETRIES)
def build_years(years: list[int], fence: Fence) -> dict[str, Any]:
    return backfill_fact.build_years(fenced(fence), years)


@task
def finish(written: list[str], fence: Fence) -> dict[str, Any]:
    return backfill_fact.finish(fenced(fence), written)


@flow(name="congress-fact-ranges")
def build_ranges(fence: Fence, years_per_task: int = 1) -> dict[str, Any]:
    index = build_index(fence)
    years = index["years"]
    ranges = [
        years[i : i + years_per_task] for i in range(0, len(years), years_per_task)
    ]
    results = [f.result() for f in build_years.map(ranges, fence=unmapped(fence))]
    done = finish([k for r in results for k in r["written"]], fence)
    return {
        "transactions_processed": index["transactions"],
        "ranges": len(ranges),
        "files_written": sum(r["files_written"] for r in results),
        **done,
    }


@flow(name="congress-fact-backfill")
def congress_fact_backfill(
    years_per_task: int = 1, dask_address: str | None = None
) -> dict[str, Any]:
    """`dask_address`: a scheduler like tcp://host:8786, "local", or none (threads)."""
    if dask_address == "local":
        runner: Any = DaskTaskRunner(
            cluster_kwargs={"processes": False, "n_workers": 2}
        )
    elif dask_address:
        runner = DaskTaskRunner(address=dask_address)
    else:
        runner = ThreadPoolTaskRunner()
    ctx = JobContext.from_env()
    with ctx.state.lease(JOB.name, ctx.settings.lease_seconds) as fence:
        return build_ranges.with_options(task_runner=runner)(
            fence, years_per_task=years_per_task
        )
