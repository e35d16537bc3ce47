"""A failure alert is logged before it is published: a publish that fails (topic
gone, no permission, SNS down) must not take the record of the failure with it."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
from botocore.exceptions import ClientError

from common.errors import MissingTable
from common.observability import SERVICE
from flows.notify import notify_failure
from tests.aws_server import moto_server


class FailedState:
    message = None

    def result(self) -> None:
        raise MissingTable("Dimension table dim_dates not found")


def test_a_failed_publish_still_leaves_the_log_line(monkeypatch, caplog):
    task = SimpleNamespace(name="build_fact_transactions")
    with moto_server(), caplog.at_level(logging.ERROR, logger=SERVICE):
        missing = "arn:aws:sns:us-east-1:123456789012:no-such-topic"
        monkeypatch.setenv("ALERT_TOPIC_ARN", missing)
        with pytest.raises(ClientError, match="NotFound"):
            notify_failure(task, None, FailedState())
    [record] = [r for r in caplog.records if r.getMessage() == "task failed"]
    assert record.__dict__["task"] == "build_fact_transactions"
    assert "MissingTable: Dimension table dim_dates" in record.__dict__["error"]
