"""Run a job on its deployed Lambda instead of in this process (`runtime="lambda"`).

The payload is the job's event and the answer the handler's response: the same
objects the handlers use (common.jobs.from_response reads them).
"""

from __future__ import annotations

import json
import os
from typing import Any, cast

from prefect_aws import AwsClientParameters, AwsCredentials
from prefect_aws.lambda_function import LambdaFunction

from common.errors import TransientError
from common.jobs import TableJob, from_response

# Longer than any function may run (Terraform's timeout_s is at most 900 s): a
# synchronous Invoke answers when the function ends, so a shorter read timeout would
# give up on a job that is still running.
READ_TIMEOUT_SECONDS = int(os.environ.get("LAMBDA_READ_TIMEOUT_SECONDS", "960"))


class LambdaFunctionError(RuntimeError):
    """The function raised (Lambda reports FunctionError); retried only when it
    raised TransientError, as Step Functions does."""


class ConfiguredLambdaFunction(LambdaFunction):
    """prefect-aws's LambdaFunction, with the client its credentials' parameters
    configure: its own builds a plain boto3 client (60 s reads, retried by botocore),
    which starts a job again while the first call still runs."""

    # a block type of its own, so prefect-aws's LambdaFunction stays registered
    _block_type_name = "Data Platform Lambda Function"

    def _get_lambda_client(self) -> Any:
        # built per call, like prefect-aws's own: get_client would cache a client
        # with the endpoint of its first use
        creds = self.aws_credentials
        params = creds.aws_client_parameters.get_params_override()
        return creds.get_boto3_session().client("lambda", **params)


def lambda_function(name: str) -> LambdaFunction:
    config = {
        "read_timeout": READ_TIMEOUT_SECONDS,
        "connect_timeout": 10,
        # one attempt: a retried Invoke is a second run of the job (Prefect's task
        # retries decide, once the first call has answered)
        "retries": {"mode": "standard", "total_max_attempts": 1},
    }
    client = AwsClientParameters(config=config)
    return ConfiguredLambdaFunction(
        function_name=name, aws_credentials=AwsCredentials(aws_client_parameters=client)
    )


def function_name(job: TableJob[Any]) -> str:
    """`<LAMBDA_FUNCTION_PREFIX>-<job>`, as terraform/ names them."""
    return f"{os.environ.get('LAMBDA_FUNCTION_PREFIX', 'data-platform')}-{job.name}"


def invoke(job: TableJob[Any], event: dict[str, Any]) -> dict[str, Any]:
    name = function_name(job)
    # sync call from a sync task (the block's method is also awaitable elsewhere)
    response = cast(dict[str, Any], lambda_function(name).invoke(payload=event))
    payload = json.loads(response["Payload"].read() or b"null")
    if response.get("FunctionError"):
        kind = TransientError if payload.get("errorType") == "TransientError" else (
            LambdaFunctionError
        )
        raise kind(
            f"{name} failed: {payload.get('errorType')}: {payload.get('errorMessage')}"
        )
    return from_response(payload)
