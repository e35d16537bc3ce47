"""The chargebacks jobs in both runtimes: the Pants-built zips in a clean interpreter
on moto's S3 and DynamoDB with the real event shapes, and the Prefect flows on the
embedded default; outputs equal."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import boto3
import pytest
from prefect.testing.utilities import prefect_test_harness

from common.chargebacks import generate
from common.chargebacks.store import DynamoStore, SqliteStore
from common.storage import Warehouse
from tests.aws_server import create_state_table, moto_server
from tests.chargeback_data import (
    START,
    checkpoint_table,
    events_table,
    quarantine_table,
    sample_logs,
    write_logs,
)
from tests.lambda_zip import invoke, unpack
from tests.shared_data import BUILDROOT, shared_file
from tests.test_update_consolidation import create_chargebacks_table, stamped

LAMBDA = Path(BUILDROOT, "lambda")


@pytest.fixture(scope="module", autouse=True)
def harness():
    with prefect_test_harness(server_startup_timeout=180):
        yield


def sample(job: str, name: str) -> dict:
    return json.loads((LAMBDA / job / f"{name}.json").read_text())


def notification(shape: int, bucket: str, key: str) -> dict:
    """An object-created notification in one of three shapes: 0 the sample event
    (S3's own), 1 EventBridge's, 2 S3's inside an SQS message."""
    if shape == 0:
        event = sample("checkpoint_event_log", "event")
        event["Records"][0]["s3"]["object"]["key"] = key
        return event
    name = (
        "powertools_s3EventBridgeNotificationObjectCreatedEvent",
        "powertools_s3SqsEvent",
    )[shape - 1]
    event = json.loads(Path(shared_file("lambda_events", f"{name}.json")).read_text())
    if shape == 1:
        event["detail"]["bucket"]["name"] = bucket
        event["detail"]["object"]["key"] = key
        return event
    body = json.loads(event["Records"][0]["body"])
    body["Records"][0]["s3"]["bucket"]["name"] = bucket
    body["Records"][0]["s3"]["object"]["key"] = key
    event["Records"][0]["body"] = json.dumps(body)
    return event


def test_checkpoint_zip_on_s3_equals_the_prefect_flow(warehouse, tmp_path):
    from flows.chargebacks import chargebacks_checkpoint

    logs = sample_logs()
    write_logs(warehouse, logs)
    flow_summary = chargebacks_checkpoint()  # finds the unprocessed files itself
    assert flow_summary["files_in"] == len(logs) > 3

    with moto_server() as aws:
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="example-warehouse")
        create_state_table("state")
        for key, text in logs.items():
            s3.put_object(Bucket="example-warehouse", Key=f"warehouse/{key}", Body=text)
        env = {
            **aws,
            "WAREHOUSE_URI": "s3://example-warehouse/warehouse",
            "STATE_TABLE": "state",
            "SOURCE_ROOTS": "s3://example-warehouse/warehouse/bronze",
        }
        code = unpack("checkpoint_event_log", str(tmp_path / "code"))
        keys = [f"warehouse/{k}" for k in sorted(logs)]
        answers = []
        for n, key in enumerate(keys):
            event = notification(n % 3, "example-warehouse", key)
            out = invoke(code, "checkpoint_event_log", event, env)
            assert "result" in out, out
            answers.append(out["result"])
        # the sample event answers exactly the sample response
        assert answers[0] == sample("checkpoint_event_log", "response")
        assert all(a["statusCode"] == 200 for a in answers)
        lake = Warehouse("s3://example-warehouse/warehouse")
        assert events_table(lake).equals(events_table(warehouse))
        assert checkpoint_table(lake).equals(checkpoint_table(warehouse))
        assert quarantine_table(lake).height == 0
        # the same notification again: nothing more
        event = notification(0, "example-warehouse", keys[0])
        again = invoke(code, "checkpoint_event_log", event, env)
        assert json.loads(again["result"]["body"])["files_in"] == 0


def local_store(wh: Warehouse) -> SqliteStore:
    """The store the flows use by default: SQLite in the warehouse folder."""
    return SqliteStore(os.path.join(wh.root, "_stores", "chargebacks.sqlite3"))


def test_update_consolidation_zip_on_dynamodb_equals_the_prefect_flow(
    warehouse, tmp_path
):
    from flows.chargebacks import consolidation_updates

    records = generate.chargebacks(START, START, 25)
    event = sample("update_consolidation", "event")
    (batch,) = event["records"].values()
    good = json.loads(base64.b64decode(batch[0]["value"]))
    with moto_server() as aws:
        create_chargebacks_table("chargebacks")
        remote = DynamoStore("chargebacks")
        remote.put(records)
        code = unpack("update_consolidation", str(tmp_path / "code"))
        env = {
            **aws,
            "WAREHOUSE_URI": "s3://unused/warehouse",
            "CHARGEBACKS_TABLE": "chargebacks",
        }
        out = invoke(code, "update_consolidation", event, env)
        # the sample batch (one good message, one without partition_date) answers
        # exactly its sample response: the bad one fails alone
        assert out["result"] == sample("update_consolidation", "response")
        logs = [json.loads(x) for x in out["logs"].splitlines() if x[:1] == "{"]
        applied = [r for r in logs if r.get("message") == "consolidation applied"]
        assert [(r["topic"], r["partition"], r["offset"]) for r in applied] == [
            ("chargebacks-consolidation", 0, 15)
        ]
        metrics = {
            name: m[name]
            for m in logs
            if "_aws" in m
            for name in ("MessagesProcessed", "MessagesFailed", "ChargebacksUpdated")
            if name in m
        }
        assert metrics == {
            "MessagesProcessed": [2.0],
            "MessagesFailed": [1.0],
            "ChargebacksUpdated": [25.0],
        }
        in_aws = stamped(remote)

    local = local_store(warehouse)
    local.put(records)
    summary = consolidation_updates(events=[good])  # the embedded default
    assert summary["chargebacks_updated"] == 25
    assert stamped(local) == in_aws


def test_the_flow_fails_on_a_bad_message_after_applying_the_others(warehouse):
    from flows.chargebacks import consolidation_updates

    local = local_store(warehouse)
    local.put(generate.chargebacks(START, START, 5))
    good = generate.consolidation_events(START, START)[0]
    bad = {"event_type": "nope"}
    state = consolidation_updates(events=[bad, good], return_state=True)
    assert state.is_failed()
    assert "1 of 2 messages failed" in str(state.message) + repr(state)
    assert all(v["consolidation_execution"] == 1 for v in stamped(local).values())


def test_redrive_flow_replays_a_local_destination(warehouse, tmp_path):
    from flows.chargebacks import consolidation_redrive

    local = local_store(warehouse)
    local.put(generate.chargebacks(START, START, 5))
    message = generate.consolidation_events(START, START)[0]
    event = sample("update_consolidation", "event")
    (batch,) = event["records"].values()
    batch[:] = batch[:1]  # the good message only
    batch[0]["value"] = base64.b64encode(json.dumps(message).encode()).decode()
    kept = tmp_path / "failed"
    kept.mkdir()
    (kept / "record.json").write_text(json.dumps({"payload": event}))
    summary = consolidation_redrive(destination_uri=str(kept))
    assert summary["replayed"] == ["record.json"] and summary["kept"] == []
    assert not list(kept.iterdir())
    assert all(v["consolidation_execution"] == 1 for v in stamped(local).values())
