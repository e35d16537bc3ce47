"""The table-job contract, shared by the Prefect tasks and the Lambda handlers.

A job is a function `(ctx, params) -> summary dict` plus a pydantic model for its
parameters. `run_job` parses the event (Powertools Parser), takes the job's writer
lease, runs the job, logs and meters the summary. Both runtimes call `run_job` and
nothing else; the Lambda response shape is defined here once (`to_response` /
`from_response`) for the handlers and for flows that invoke deployed Lambdas.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

from aws_lambda_powertools.utilities.parser import parse
from pydantic import BaseModel, ConfigDict, ValidationError

from common.errors import InvalidEvent, TransientError, is_transient
from common.observability import logger, record_invalid_event, record_summary
from common.settings import Settings
from common.state import Fence, StateStore, state_store
from common.storage import Warehouse

P = TypeVar("P", bound=BaseModel)


@dataclass
class JobContext:
    warehouse: Warehouse
    state: StateStore
    settings: Settings
    fence: Fence | None = None  # the table lease this run holds, once taken

    @classmethod
    def from_env(cls) -> JobContext:
        settings = Settings.from_env()
        wh = Warehouse(settings.warehouse_uri)
        return cls(wh, state_store(settings, wh.root, wh.is_local), settings)

    def check_lease(self) -> None:
        """Before writing: LeaseLost if another writer has taken the table since."""
        if self.fence:
            self.state.check(self.fence)

    def load(self, key: str, *former: str) -> dict[str, Any] | None:
        """Job state at `key`, else at a key an earlier release used for it (read
        once: the next commit writes `key`), so renaming a key loses nothing."""
        for name in (key, *former):
            value = self.state.get(name)
            if value is not None:
                return value
        return None

    def commit(self, key: str, value: dict[str, Any]) -> None:
        """Write job state (a watermark, processed ids) only while the lease holds."""
        self.state.put(key, value, fence=self.fence)

    def delete(self, keys: Iterable[str]) -> int:
        keys = list(keys)
        if keys:
            self.check_lease()
        return self.warehouse.delete(keys)


class NoParams(BaseModel):
    """The event of a job that takes no parameters: `{}` (anything else is a 400)."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class TableJob(Generic[P]):
    """One name everywhere: module, Lambda folder, Prefect task, Terraform key, lease
    (one writer per job at a time) and job-state key."""

    name: str
    params: type[P]
    run: Callable[[JobContext, P], dict[str, Any]]


def parse_params(job: TableJob[P], event: Mapping[str, Any] | None) -> P:
    if event is not None and not isinstance(event, Mapping):
        kind = type(event).__name__
        raise InvalidEvent("event", f"must be a JSON object, not {kind}")
    try:
        return parse(event=dict(event or {}), model=job.params)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "event"
        raise InvalidEvent(field, first["msg"]) from exc


def run_job(
    job: TableJob[P], event: Mapping[str, Any] | None, ctx: JobContext | None = None
) -> dict[str, Any]:
    ctx = ctx or JobContext.from_env()
    started = time.perf_counter()
    try:
        params = parse_params(job, event)
        with ctx.state.lease(job.name, ctx.settings.lease_seconds) as fence:
            ctx.warehouse.sweep_orphans()  # debris of a run that crashed
            summary = job.run(replace(ctx, fence=fence), params)
    except InvalidEvent as exc:
        record_invalid_event(job.name, exc.field, exc.problem)
        raise
    record_summary(job.name, summary, round(time.perf_counter() - started, 3))
    return summary


def handle_event(job: TableJob[Any], event: Mapping[str, Any] | None) -> dict[str, Any]:
    """The whole Lambda adapter: 200 + summary, 400 naming the bad field; any other
    failure is logged and re-raised so Lambda's retries and error alarms see it."""
    try:
        return to_response(run_job(job, event))
    except InvalidEvent as exc:
        return invalid_response(exc)
    except Exception as exc:
        logger.exception("job failed", extra={"job": job.name})
        if is_transient(exc):
            raise TransientError(f"{type(exc).__name__}: {exc}") from exc
        raise


def to_response(summary: Mapping[str, Any]) -> dict[str, Any]:
    return {"statusCode": 200, "body": json.dumps(summary, sort_keys=True)}


def invalid_response(exc: InvalidEvent) -> dict[str, Any]:
    body = {"error": "InvalidEvent", "field": exc.field, "message": str(exc)}
    return {"statusCode": 400, "body": json.dumps(body)}


def from_response(response: Mapping[str, Any]) -> dict[str, Any]:
    """The summary inside a handler response; InvalidEvent for a 400."""
    body = json.loads(response["body"])
    if response.get("statusCode") == 400:
        raise InvalidEvent(body["field"], body["message"].split(": ", 1)[-1])
    if response.get("statusCode") != 200:
        raise RuntimeError(f"unexpected Lambda response: {dict(response)}")
    return body
