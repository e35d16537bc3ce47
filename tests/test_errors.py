"""Which failures are retried: only those known to pass by themselves."""

from __future__ import annotations

from typing import Any

import pandera.errors
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from common.errors import (
    InvalidEvent,
    LeaseHeld,
    LeaseLost,
    MissingTable,
    is_transient,
)


def client_error(code: str, status: int) -> ClientError:
    response: Any = {
        "Error": {"Code": code},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "Op")


@pytest.mark.parametrize(
    "exc",
    [
        client_error("ThrottlingException", 400),
        client_error("ProvisionedThroughputExceededException", 400),
        client_error("SlowDown", 503),
        client_error("Whatever", 500),
        ReadTimeoutError(endpoint_url="http://x"),
        EndpointConnectionError(endpoint_url="http://x"),
        TimeoutError("read timed out"),
        ConnectionResetError("peer reset"),
        LeaseHeld("table t is being written by w until ..."),
        OSError("Generic S3 error: Server returned non-2xx status code: 503"),
    ],
)
def test_retried(exc):
    assert is_transient(exc)


@pytest.mark.parametrize(
    "exc",
    [
        InvalidEvent("since_date", "bad"),
        MissingTable("dim_dates"),
        pandera.errors.SchemaError(None, None, "column 'x' not in dataframe"),
        FileExistsError("object already exists: s3://b/k"),
        LeaseLost("lease on table t was lost"),
        client_error("AccessDenied", 403),
        client_error("ConditionalCheckFailedException", 400),
        KeyError("name"),
        ValueError("processed 500 rows then failed"),
    ],
)
def test_not_retried(exc):
    assert not is_transient(exc)
