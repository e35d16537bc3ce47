"""A task that fails after its retries notifies once: SNS (moto over HTTP) with the
flow, task, parameters and error; the flow run ends failed."""

from __future__ import annotations

import json

import boto3
import pytest
from prefect.testing.utilities import prefect_test_harness

from common.congress import demo_data
from common.congress.tables import DIMENSIONS
from tests.aws_server import moto_server


@pytest.fixture(scope="module", autouse=True)
def prefect_api():
    with prefect_test_harness(server_startup_timeout=180):
        yield


def test_failed_task_publishes_one_alert(warehouse, monkeypatch):
    from flows.congress_gold import congress_gold

    demo_data.generate(warehouse, rows=300, members=5, assets=20, seed=51)
    warehouse.delete([DIMENSIONS["dim_members"]])  # the fact build cannot run
    with moto_server():
        sns, sqs = boto3.client("sns"), boto3.client("sqs")
        topic = sns.create_topic(Name="alerts")["TopicArn"]
        queue = sqs.create_queue(QueueName="alerts")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
        sns.subscribe(
            TopicArn=topic, Protocol="sqs", Endpoint=arn["Attributes"]["QueueArn"]
        )
        monkeypatch.setenv("ALERT_TOPIC_ARN", topic)

        state = congress_gold(rebuild=True, build_members=False, return_state=True)

        assert state.is_failed()
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)[
            "Messages"
        ]
    assert len(messages) == 1  # MissingTable is not retried: one failure, one alert
    alert = json.loads(json.loads(messages[0]["Body"])["Message"])
    assert alert["flow"] == "congress-gold"
    assert alert["task"] == "build_fact_transactions"
    assert alert["flow_parameters"]["rebuild"] is True
    assert alert["task_parameters"]["event"] == {"rebuild": True}
    assert "Dimension table dim_members not found" in alert["error"]
