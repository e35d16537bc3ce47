"""Errors both runtimes map to responses: bad input (400) vs. failed processing."""

import re


class InvalidEvent(ValueError):
    """The event or job parameters are invalid; `field` names the culprit."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class MissingTable(RuntimeError):
    """A table the job reads does not exist (yet)."""


class LeaseHeld(RuntimeError):
    """Another run holds the writer lease of the table."""


class TransientError(RuntimeError):
    """A failure worth retrying (is_transient), under one name a Lambda's caller can
    match: Step Functions retries a Task whose error is `TransientError` and nothing
    else a job raises (common/pipelines.py)."""


class LeaseLost(RuntimeError):
    """This run's lease lapsed and another writer took the table: nothing committed."""


# botocore error codes AWS documents as retryable: throttling and server-side faults.
TRANSIENT_AWS_CODES = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "SlowDown",
    "RequestTimeout",
    "RequestTimeoutException",
    "InternalError",
    "InternalServerError",
    "ServiceUnavailable",
    "ServiceUnavailableException",
}


OBJECT_STORE_TRANSIENT = re.compile(
    r"status(?: code)?:? 5\d\d\b|Service Unavailable|SlowDown|Slow Down"
    r"|Gateway Timeout|operation timed out|error sending request",
    re.IGNORECASE,
)


def is_transient(exc: BaseException) -> bool:
    """Worth retrying: only what is known to pass by itself. Throttling, timeouts,
    5xx and dropped connections, and a table whose lease another writer holds (it is
    released when that writer finishes, or lapses if it died). Everything else (bad
    input, a missing table, a contract violation, an object that already exists, a
    bug) fails the same way on every try."""
    if isinstance(exc, LeaseHeld | TransientError | TimeoutError | ConnectionError):
        return True
    # botocore's exceptions are imported here, not at module level: it costs start-up
    # time that a job which never fails (or never talks to AWS) need not pay.
    from botocore import exceptions as boto

    if isinstance(exc, boto.ConnectionError | boto.HTTPClientError):
        return True
    if isinstance(exc, boto.ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return error.get("Code") in TRANSIENT_AWS_CODES or status >= 500
    # obstore and Polars' object-store IO report HTTP failures as text.
    return bool(OBJECT_STORE_TRANSIENT.search(str(exc)))
