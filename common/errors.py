"""Errors both runtimes map to responses: bad input (400) vs. failed processing."""


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


def is_transient(exc: BaseException) -> bool:
    """Worth retrying: not bad input, a missing table or data breaking its contract."""
    from pandera.errors import SchemaError, SchemaErrors

    return not isinstance(exc, InvalidEvent | MissingTable | SchemaError | SchemaErrors)
