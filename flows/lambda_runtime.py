"""Run a job on its deployed Lambda instead of in this process (`runtime="lambda"`).

The payload is the job's event and the answer the handler's response: the same
objects the handlers use (common.jobs.from_response reads them).
"""

from __future__ import annotations

import json
import os
from typing import Any, cast

from prefect_aws.lambda_function import LambdaFunction

from common.jobs import TableJob, from_response


class LambdaFunctionError(RuntimeError):
    """The function raised (Lambda reports FunctionError); retried like any failure."""


def function_name(job: TableJob[Any]) -> str:
    """`<LAMBDA_FUNCTION_PREFIX>-<job>`, as terraform/ names them."""
    return f"{os.environ.get('LAMBDA_FUNCTION_PREFIX', 'data-platform')}-{job.name}"


def invoke(job: TableJob[Any], event: dict[str, Any]) -> dict[str, Any]:
    name = function_name(job)
    # sync call from a sync task (the block's method is also awaitable elsewhere)
    response = cast(
        dict[str, Any], LambdaFunction(function_name=name).invoke(payload=event)
    )
    payload = json.loads(response["Payload"].read() or b"null")
    if response.get("FunctionError"):
        raise LambdaFunctionError(
            f"{name} failed: {payload.get('errorType')}: {payload.get('errorMessage')}"
        )
    return from_response(payload)
