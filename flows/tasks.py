"""One Prefect task per table job: retries on transient errors, alerts on failure."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal, Protocol

from prefect import Task, task
from prefect.runtime import task_run

from common import pipelines
from common.errors import is_transient
from common.jobs import TableJob, run_job
from common.observability import logger
from flows import lambda_runtime, run_log
from flows.notify import notify_failure

Runtime = Literal["local", "lambda"]
# The pipelines' retry policy, Step Functions' too (common/pipelines.py): retries
# outlast a lease left by a writer that died in AWS (LEASE_SECONDS, 120 s by default:
# 20 + 60 + 180 s); locally such a lease is released at once.
RETRY_DELAYS: list[float] = [float(s) for s in pipelines.RETRY_DELAYS]
# Enforced per flow run, in the run's main thread, where Prefect's timeout interrupts
# blocking IO; sync tasks run in worker threads, where it cannot (docs/decisions.md).
FLOW_TIMEOUT_SECONDS = int(os.environ.get("FLOW_TIMEOUT_SECONDS", "10800"))


class JobWatcher(Protocol):
    """Told when a job starts, ends or fails here (the CLI's progress display)."""

    def started(self, job: str) -> None: ...

    def finished(self, job: str, summary: dict[str, Any]) -> None: ...

    def failed(self, job: str, error: BaseException) -> None: ...


WATCHERS: list[JobWatcher] = []


@contextmanager
def watched(job: str) -> Iterator[None]:
    for w in WATCHERS:
        w.started(job)
    try:
        yield
    except BaseException as exc:
        for w in WATCHERS:
            w.failed(job, exc)
        raise


def retry_transient(task: Task[..., Any], run: Any, state: Any) -> bool:
    try:
        state.result()
    except Exception as exc:  # noqa: BLE001 - we only classify it
        return is_transient(exc)
    return False


# How every task that writes a table retries (the job tasks, the backfill's steps).
TRANSIENT_RETRIES: dict[str, Any] = {
    "retries": len(RETRY_DELAYS),
    "retry_delay_seconds": RETRY_DELAYS,
    "retry_condition_fn": retry_transient,
}


def run_stages(
    pipeline: pipelines.Pipeline,
    tasks: dict[str, Task[..., dict[str, Any]]],
    events: dict[str, dict[str, Any] | None],
    runtime: Callable[[str], Runtime],
) -> dict[str, Any]:
    """Submit the pipeline's jobs stage after stage, a stage's jobs side by side;
    a job whose event is None is left out of this run. Returns the futures by job."""
    futures: dict[str, Any] = {}
    before: list[Any] = []
    for stage in pipeline.stages:
        submitted = [
            (job, tasks[job].submit(event, runtime=runtime(job), wait_for=before))
            for job in stage
            if (event := events.get(job, {})) is not None
        ]
        futures.update(submitted)
        before = [future for _, future in submitted] or before
    return futures


def job_task(job: TableJob[Any]) -> Task[..., dict[str, Any]]:
    def run(event: dict[str, Any], runtime: Runtime = "local") -> dict[str, Any]:
        """`local`: the job runs in this process; `lambda`: on its deployed function."""
        with watched(job.name):
            if runtime == "lambda":
                summary = lambda_runtime.invoke(job, event)
            else:
                run_log.attach()
                logger.set_correlation_id(task_run.id)  # None when called as .fn()
                summary = run_job(job, event)  # its EMF metrics are emitted here
        for w in WATCHERS:
            w.finished(job.name, summary)
        return summary

    return task(
        name=job.name,
        task_run_name=f"{job.name}",
        **TRANSIENT_RETRIES,
        tags=[f"job:{job.name}"],  # a concurrency limit per job (deployments.md)
        on_failure=[notify_failure],
    )(run)
