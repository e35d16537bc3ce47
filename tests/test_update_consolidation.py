"""update_consolidation: MSK batches -> the chargebacks store, on SQLite (the
embedded default) and on DynamoDB (moto's server): the real event shapes, partial
batch responses, order and replay safety, the deadline, the redrive."""

from __future__ import annotations

import base64
import datetime as dt
import json
import tempfile
from pathlib import Path

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.chargebacks import generate
from common.chargebacks.consolidation import Consolidation, consolidate
from common.chargebacks.store import INDEX, DynamoStore, SqliteStore
from common.chargebacks.update_consolidation import (
    apply_messages,
    process_batch,
    redrive,
)
from common.storage import Warehouse
from tests.aws_server import moto_server
from tests.shared_data import shared_file

DAY = dt.date(2024, 3, 1)
FIELDS = (
    "consolidation_status",
    "consolidation_s3_path",
    "consolidation_date",
    "consolidation_execution",
    "consolidation_job_name",
    "output_format",
    "records_in_consolidation",
)


def create_chargebacks_table(name: str) -> None:
    boto3.client("dynamodb").create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "chargeback_id", "KeyType": "HASH"},
            {"AttributeName": "created_at", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": a, "AttributeType": "S"}
            for a in ("chargeback_id", "created_at", "partition_date")
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": INDEX,
                "KeySchema": [{"AttributeName": "partition_date", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )


@pytest.fixture(scope="module")
def aws():
    with moto_server() as env:
        create_chargebacks_table("chargebacks")
        yield env


@pytest.fixture(params=["sqlite", "dynamodb"])
def store(request, tmp_path):
    if request.param == "sqlite":
        return SqliteStore(str(tmp_path / "cb.sqlite3"), page_size=7)
    request.getfixturevalue("aws")
    table = f"cb-{tmp_path.name[-20:]}"
    create_chargebacks_table(table)
    return DynamoStore(table)


def msk_event(values: list[object], sample: str = "powertools_kafkaEventMsk.json"):
    """The real MSK event's shape, its records' values ours (base64 JSON)."""
    event = json.loads(Path(shared_file("lambda_events", sample)).read_text())
    (topic, records), *_ = event["records"].items()
    out = []
    for offset, value in enumerate(values):
        text = value if isinstance(value, str) else json.dumps(value)
        encoded = base64.b64encode(text.encode()).decode()
        out.append({**records[0], "offset": offset, "value": encoded})
    event["records"] = {topic: out}
    return event, records[0]["topic"], records[0]["partition"]


def stamped(store, day: dt.date = DAY) -> dict[str, dict]:
    return {
        i["chargeback_id"]: {k: i.get(k) for k in FIELDS}
        for i in store.items()
        if i["partition_date"] == day.isoformat()
    }


def expected_stamp(message: dict) -> dict:
    """What the issue says a record gets, written out from the message by hand."""
    return {
        "consolidation_status": "completed",
        "consolidation_s3_path": message["output_path"],
        "consolidation_date": dt.datetime.fromisoformat(
            message["completed_at"]
        ).isoformat(),
        "consolidation_execution": message["execution_sequence"],
        "consolidation_job_name": message["job_name"],
        "output_format": message["output_format"],
        "records_in_consolidation": message["records_processed"],
    }


@pytest.mark.parametrize(
    "sample", ["powertools_kafkaEventMsk.json", "javalibs_kafka_event.json"]
)
def test_one_bad_message_fails_alone_in_the_partial_batch_response(store, sample):
    store.put(generate.chargebacks(DAY, DAY + dt.timedelta(days=1), 15))
    good = generate.consolidation_events(DAY, DAY)[0]
    missing = {k: v for k, v in good.items() if k != "output_path"}
    typed = {**good, "execution_sequence": "2"}
    values: list[object] = [good, "not json", missing, typed, "%%%"]
    event, topic, partition = msk_event(values, sample)
    (batch,) = event["records"].values()
    batch[4]["value"] = "%%%not-base64"
    response = process_batch(event, store)
    assert response == {
        "batchItemFailures": [
            {"itemIdentifier": {"partition": f"{topic}-{partition}", "offset": n}}
            for n in (1, 2, 3, 4)
        ]
    }
    got = stamped(store)
    assert len(got) == 15 and all(v == expected_stamp(good) for v in got.values())
    # the other day is untouched
    other = stamped(store, DAY + dt.timedelta(days=1))
    assert all(v["consolidation_execution"] is None for v in other.values())


def test_an_empty_partition_or_store_is_a_success_with_nothing_updated(store):
    message = generate.consolidation_events(DAY, DAY)[0]
    event, _, _ = msk_event([message])
    assert process_batch(event, store) == {"batchItemFailures": []}
    out = apply_messages([message], store)
    assert out["chargebacks_updated"] == 0 and out["failures"] == []


def test_a_batch_out_of_time_fails_its_messages_and_the_retry_resumes(store):
    store.put(generate.chargebacks(DAY, DAY, 30))  # 5 pages of 7 on SQLite
    message = generate.consolidation_events(DAY, DAY)[0]
    event, topic, partition = msk_event([message])
    clock = iter([60_000, 60_000, 1_000] + [1_000] * 100)  # dies on the third page
    response = process_batch(event, store, remaining_ms=lambda: next(clock))
    is_sqlite = isinstance(store, SqliteStore)
    if is_sqlite:
        assert response["batchItemFailures"] == [
            {"itemIdentifier": {"partition": f"{topic}-{partition}", "offset": 0}}
        ]
        done = [v for v in stamped(store).values() if v["consolidation_execution"]]
        assert len(done) == 14  # two pages, then it stopped
    retry = consolidate(store, Consolidation.model_validate(message))
    assert retry["chargebacks_updated"] == (16 if is_sqlite else 0)
    assert retry["chargebacks_skipped"] == (14 if is_sqlite else 30)
    assert all(v == expected_stamp(message) for v in stamped(store).values())


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    deliveries=st.lists(st.integers(1, 5), min_size=1, max_size=12),
    bad=st.lists(st.integers(0, 11), max_size=3),
)
def test_any_order_and_any_duplicates_leave_the_highest_execution(deliveries, bad):
    """Messages of executions 1..5 delivered in any order, any number of times,
    some bad ones among them, in batches of any size: every record ends with the
    highest execution delivered, exactly as that message says."""
    messages = {
        m["execution_sequence"]: m for m in generate.consolidation_events(DAY, DAY, 5)
    }
    with tempfile.TemporaryDirectory() as root:
        store = SqliteStore(f"{root}/cb.sqlite3", page_size=4)
        store.put(generate.chargebacks(DAY, DAY, 9))
        values: list[object] = [messages[seq] for seq in deliveries]
        for n in bad:
            values.insert(min(n, len(values)), "{broken")
        for start in range(0, len(values), 5):
            process_batch(msk_event(values[start : start + 5])[0], store)
        highest = messages[max(deliveries)]
        assert all(v == expected_stamp(highest) for v in stamped(store).values())


def test_the_same_holds_on_dynamodb(aws):
    """Orders and replays on the real protocol peer: an older execution after a
    newer one, and a replay, change nothing."""
    store = DynamoStore("chargebacks")
    store.put(generate.chargebacks(DAY, DAY, 40))
    messages = generate.consolidation_events(DAY, DAY, 3)
    for order, top in (([2, 1, 2], 2), ([3, 1], 3), ([1, 2, 3, 3], 3)):
        process_batch(msk_event([messages[s - 1] for s in order])[0], store)
        got = stamped(store).values()
        assert len(got) == 40
        assert all(v == expected_stamp(messages[top - 1]) for v in got)


def test_redrive_replays_what_the_s3_destination_kept(aws, tmp_path):
    """The invocation record Lambda writes to an S3 on-failure destination holds the
    whole batch: the redrive applies it and deletes the record; one that still
    fails stays."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="failed-batches")
    store = SqliteStore(str(tmp_path / "cb.sqlite3"))
    store.put(generate.chargebacks(DAY, DAY, 10))
    message = generate.consolidation_events(DAY, DAY)[0]
    good, _, _ = msk_event([message])
    bad, _, _ = msk_event(["{broken"])
    for name, payload in (("a", good), ("b", bad)):
        record = {
            "requestContext": {"condition": "RetryAttemptsExhausted"},
            "version": "1.0",
            "payload": json.dumps(payload),
        }
        key = f"update_consolidation/2024/03/01/{name}.json"
        s3.put_object(Bucket="failed-batches", Key=key, Body=json.dumps(record))
    out = redrive(Warehouse("s3://failed-batches/update_consolidation"), store)
    assert out["replayed"] == ["2024/03/01/a.json"]
    assert [k["key"] for k in out["kept"]] == ["2024/03/01/b.json"]
    left = s3.list_objects_v2(Bucket="failed-batches")["Contents"]
    assert [o["Key"] for o in left] == ["update_consolidation/2024/03/01/b.json"]
    assert all(v == expected_stamp(message) for v in stamped(store).values())
