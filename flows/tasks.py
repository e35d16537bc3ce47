"""One Prefect task per table job: retries on transient errors, alerts on failure."""

from __future__ import annotations

import os
from typing import Any, Literal

from prefect import Task, task
from prefect.runtime import task_run

from common.errors import is_transient
from common.jobs import TableJob, run_job
from common.observability import logger
from flows import lambda_runtime, run_log
from flows.notify import notify_failure

Runtime = Literal["local", "lambda"]


def _retry_transient(task: Task[..., Any], run: Any, state: Any) -> bool:
    try:
        state.result()
    except Exception as exc:  # noqa: BLE001 - we only classify it
        return is_transient(exc)
    return False


def job_task(job: TableJob[Any]) -> Task[..., dict[str, Any]]:
    def run(event: dict[str, Any], runtime: Runtime = "local") -> dict[str, Any]:
        """`local`: the job runs in this process; `lambda`: on its deployed function."""
        if runtime == "lambda":
            return lambda_runtime.invoke(job, event)
        run_log.attach()
        logger.set_correlation_id(task_run.id)  # None when called as task.fn(...)
        return run_job(job, event)  # its EMF metrics are emitted as it finishes

    return task(
        name=job.name,
        task_run_name=f"{job.name}",
        retries=2,
        retry_delay_seconds=[5, 30],
        retry_condition_fn=_retry_transient,
        tags=[f"table:{job.table}"],  # a concurrency limit per table (README)
        timeout_seconds=int(os.environ.get("JOB_TIMEOUT_SECONDS", "3600")),
        on_failure=[notify_failure],
    )(run)
