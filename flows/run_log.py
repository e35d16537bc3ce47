"""Send the jobs' Powertools log records to the Prefect run log as well."""

from __future__ import annotations

import logging

from prefect.exceptions import MissingContextError
from prefect.logging import get_run_logger

from common.observability import SERVICE, logger


class PrefectRunLogHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            run_logger = get_run_logger()
        except MissingContextError:
            return  # outside a flow or task run: stdout JSON only
        run_logger.log(record.levelno, self.format(record))


def attach() -> None:
    std = logging.getLogger(SERVICE)
    if not any(isinstance(h, PrefectRunLogHandler) for h in std.handlers):
        handler = PrefectRunLogHandler()
        handler.setFormatter(logger.registered_formatter)
        std.addHandler(handler)
