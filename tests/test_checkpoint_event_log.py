"""checkpoint_event_log: event-log files -> events table + checkpoint, against an
oracle that applies the raw lines one by one; bad lines to quarantine; redelivery."""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.chargebacks.checkpoint_event_log import JOB
from common.chargebacks.notifications import object_uris
from common.errors import InvalidEvent
from common.jobs import run_job
from common.storage import Warehouse
from tests.chargeback_data import (
    checkpoint_table,
    events_table,
    lines_of,
    oracle,
    quarantine_table,
    sample_logs,
    write_logs,
)
from tests.shared_data import shared_file


def assert_matches_oracle(wh: Warehouse, lines: list[dict]) -> None:
    expected = oracle(lines)
    got = {r["chargeback_id"]: r for r in checkpoint_table(wh).to_dicts()}
    assert set(got) == set(expected)
    for cid, state in expected.items():
        row = {k: got[cid][k] for k in state}
        assert row == state, cid


def test_checkpoint_equals_the_oracle_and_upcasts_version_1(warehouse):
    logs = sample_logs()
    write_logs(warehouse, logs)
    summary = run_job(JOB, {})
    lines = lines_of(logs)
    assert summary["files_in"] == len(logs)
    assert summary["events_processed"] == summary["events_new"] == len(lines)
    assert summary["events_failed"] == 0 and summary["duplicates"] == 0
    assert_matches_oracle(warehouse, lines)
    events = events_table(warehouse)
    assert sorted(events["event_id"]) == sorted(e["event_id"] for e in lines)
    # version 1 kept as such, its `reason` read as reason_code, no network yet
    v1 = [e for e in lines if e["schema_version"] == 1]
    assert v1 and any(e["schema_version"] == 2 for e in lines)
    by_id = {r["event_id"]: r for r in events.to_dicts()}
    for e in v1:
        assert by_id[e["event_id"]]["source_schema_version"] == 1
        if e["event_type"] == "chargeback_created":
            assert by_id[e["event_id"]]["reason_code"] == e["payload"]["reason"]
            assert by_id[e["event_id"]]["network"] == "unknown"
    # each event in the partition of its UTC date
    for row in events.to_dicts():
        assert row["date"] == row["occurred_at"].date()
    # a second run finds nothing new and changes nothing
    before = checkpoint_table(warehouse)
    assert run_job(JOB, {})["files_in"] == 0
    assert checkpoint_table(warehouse).equals(before)


BAD = {
    "{not json": "not JSON",
    '{"event_id": "x1"}': "schema_version: Field required",
    "": "empty line",
}


def test_bad_lines_go_to_quarantine_and_the_rest_of_the_file_goes_on(warehouse, capsys):
    logs = sample_logs(per_day=10)
    key = sorted(logs)[0]
    good = logs[key].splitlines()
    e = json.loads(good[0])
    typed = {**e, "payload": {**e["payload"], "amount_cents": "12"}}
    unknown = {**e, "event_type": "refunded"}
    naive = {**e, "occurred_at": "2024-03-01T10:00:00"}
    bad_lines = {
        **BAD,
        json.dumps(typed): "payload.amount_cents",
        json.dumps(unknown): "event_type",
        json.dumps(naive): "occurred_at",
    }
    text = good[:1] + list(bad_lines) + good[1:]
    logs[key] = "\n".join(text) + "\n"
    uris = write_logs(warehouse, logs)
    summary = run_job(JOB, {"source_uris": uris})
    assert summary["events_failed"] == len(bad_lines)
    assert summary["lines_in"] == sum(len(t.splitlines()) for t in logs.values())
    rejected = quarantine_table(warehouse).to_dicts()
    assert [(r["line_number"], r["line"]) for r in rejected] == [
        (n + 2, line) for n, line in enumerate(bad_lines)
    ]
    for r, reason in zip(rejected, bad_lines.values(), strict=True):
        assert r["source_uri"] == warehouse.uri(key)
        assert r["reason"].startswith(reason), r
    # the good lines of the same file are in
    events = set(events_table(warehouse)["event_id"])
    assert {json.loads(line)["event_id"] for line in good} <= events
    metrics = [
        json.loads(x) for x in capsys.readouterr().out.splitlines() if "_aws" in x
    ]
    names = {
        m["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"]: m for m in metrics
    }
    assert names["EventsFailed"]["EventsFailed"] == [float(len(bad_lines))]
    processed = float(summary["events_processed"])
    assert names["EventsProcessed"]["EventsProcessed"] == [processed]
    assert (
        names["OutputFileSize"]["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"]
        == "Bytes"
    )


def test_a_file_or_an_event_delivered_again_counts_once(warehouse):
    logs = sample_logs(per_day=10)
    first_key = sorted(logs)[0]
    uris = write_logs(warehouse, {first_key: logs[first_key]})
    run_job(JOB, {"source_uris": uris})
    again = run_job(JOB, {"source_uris": uris + uris})  # the same notification twice
    assert again["files_in"] == 0
    # another file re-delivers an event of the first, then one of its own
    repeated = logs[first_key].splitlines()[0]
    other = "bronze/event_logs/2024/03/09/late.jsonl"
    own = json.loads(logs[sorted(logs)[1]].splitlines()[0])
    write_logs(warehouse, {other: repeated + "\n" + json.dumps(own) + "\n"})
    summary = run_job(JOB, {})
    assert (summary["duplicates"], summary["events_new"]) == (1, 1)
    events = events_table(warehouse)
    assert events["event_id"].is_unique().all()
    delivered = lines_of({first_key: logs[first_key]}) + [own]
    assert_matches_oracle(warehouse, delivered)


@pytest.mark.parametrize(
    "sample, key",
    [
        ("powertools_s3Event.json", "bronze/event_logs/2024/03/01/a+b.jsonl"),
        ("powertools_s3EventBridgeNotificationObjectCreatedEvent.json", "k.jsonl"),
        ("powertools_s3SqsEvent.json", "bronze/event_logs/2024/03/01/x.jsonl"),
    ],
)
def test_s3_notifications_in_their_three_shapes(sample, key):
    event = json.loads(Path(shared_file("lambda_events", sample)).read_text())
    if "Records" in event and event["Records"][0]["eventSource"] == "aws:sqs":
        body = json.loads(event["Records"][0]["body"])
        body["Records"][0]["s3"]["bucket"]["name"] = "lake"
        body["Records"][0]["s3"]["object"]["key"] = key
        event["Records"][0]["body"] = json.dumps(body)
        expected = [f"s3://lake/{key}"]
    elif "Records" in event:
        event["Records"][0]["s3"]["bucket"]["name"] = "lake"
        event["Records"][0]["s3"]["object"]["key"] = key
        expected = ["s3://lake/bronze/event_logs/2024/03/01/a b.jsonl"]  # URL-encoded
    else:
        event["detail"]["bucket"]["name"] = "lake"
        event["detail"]["object"]["key"] = key
        expected = [f"s3://lake/{key}"]
    assert object_uris(event) == expected


def test_bad_events_name_the_field(warehouse, tmp_path):
    outside = tmp_path / "outside.jsonl"
    outside.write_text("")
    for event in [
        {"source_uris": [str(outside)]},
        {"source_uris": [warehouse.uri("bronze/event_logs/x.json")]},
        {"source_uris": []},
        {"source_uris": [warehouse.uri("bronze/event_logs/missing.jsonl")]},
    ]:
        with pytest.raises(InvalidEvent) as err:
            run_job(JOB, event)
        assert err.value.field == "source_uris", event
    assert not warehouse.keys("gold")


# --- properties ---------------------------------------------------------------

KINDS = {
    "chargeback_created": st.fixed_dictionaries(
        {
            "amount_cents": st.integers(0, 10**6),
            "currency": st.sampled_from(["USD", "EUR"]),
            "merchant_id": st.sampled_from(["m1", "m2"]),
            "reason_code": st.sampled_from(["fraud", "duplicate"]),
            "network": st.sampled_from(["visa", "amex"]),
        }
    ),
    "evidence_submitted": st.fixed_dictionaries(
        {"evidence_type": st.sampled_from(["receipt", "tracking"])}
    ),
    "status_changed": st.fixed_dictionaries(
        {"status": st.sampled_from(["under_review", "disputed"])}
    ),
    "amount_adjusted": st.fixed_dictionaries({"amount_cents": st.integers(0, 999)}),
    "closed": st.fixed_dictionaries({"outcome": st.sampled_from(["won", "lost"])}),
}
BASE = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)


@st.composite
def event_line(draw, n: int) -> dict:
    kind = draw(st.sampled_from(sorted(KINDS)))
    payload = draw(KINDS[kind])
    version = 2
    if kind == "chargeback_created" and draw(st.booleans()):
        version = 1
        payload = {k: v for k, v in payload.items() if k != "network"}
        payload["reason"] = payload.pop("reason_code")
    minutes = draw(st.integers(0, 3 * 24 * 60))  # ties on purpose: few distinct
    offset = dt.timezone(dt.timedelta(hours=draw(st.sampled_from([-5, 0, 9]))))
    at = (BASE + dt.timedelta(minutes=minutes - minutes % 240)).astimezone(offset)
    return {
        "event_id": f"e{draw(st.integers(0, 40))}" if draw(st.booleans()) else f"u{n}",
        "event_type": kind,
        "chargeback_id": f"cb{draw(st.integers(0, 4))}",
        "occurred_at": at.isoformat(),
        "schema_version": version,
        "payload": payload,
    }


CORRUPT = [
    lambda e: "{" + json.dumps(e),
    lambda e: json.dumps({k: v for k, v in e.items() if k != "chargeback_id"}),
    lambda e: json.dumps({**e, "event_type": "refunded"}),
    lambda e: json.dumps({**e, "occurred_at": e["occurred_at"][:19]}),
    lambda e: json.dumps({**e, "schema_version": "2"}),
]


@st.composite
def event_files(draw) -> dict[str, list[str]]:
    """2-4 files of 0-12 lines: events (some ids repeated across lines and files,
    as redelivery does), some lines corrupted."""
    files = {}
    n = 0
    for f in range(draw(st.integers(2, 4))):
        lines = []
        for _ in range(draw(st.integers(0, 12))):
            e = draw(event_line(n))
            n += 1
            bad = draw(st.integers(0, 9))
            lines.append(CORRUPT[bad](e) if bad < len(CORRUPT) else json.dumps(e))
        files[f"bronze/event_logs/2024/03/0{f + 1}/part.jsonl"] = lines
    return files


@contextmanager
def warehouse_at(root: str):
    saved = {k: os.environ.get(k) for k in ("WAREHOUSE_URI", "SOURCE_ROOTS")}
    os.environ["WAREHOUSE_URI"] = root
    os.environ["SOURCE_ROOTS"] = os.path.join(root, "bronze")
    try:
        yield Warehouse(root)
    finally:
        for k, v in saved.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)


def tables(wh: Warehouse) -> tuple[pl.DataFrame, ...]:
    quarantine = quarantine_table(wh).select(
        pl.col("source_uri").str.strip_prefix(wh.root), "line_number"
    )
    return events_table(wh), checkpoint_table(wh), quarantine


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=event_files())
def test_one_by_one_equals_all_together_and_every_line_lands_once(files):
    texts = {k: "".join(line + "\n" for line in v) for k, v in files.items()}
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        with warehouse_at(a) as together:
            write_logs(together, texts)
            run_job(JOB, {})
            all_at_once = tables(together)
        with warehouse_at(b) as apart:
            uris = write_logs(apart, texts)
            for uri in uris:
                run_job(JOB, {"source_uris": [uri]})
            one_by_one = tables(apart)
    for x, y in zip(all_at_once, one_by_one, strict=True):
        assert x.equals(y)
    events, checkpoint, quarantine = all_at_once
    ids = set(events["event_id"]) if events.height else set()
    rejected = {(r["source_uri"], r["line_number"]) for r in quarantine.to_dicts()}
    good: list[dict] = []
    for key in sorted(files):
        uri = "/" + key
        for number, line in enumerate(files[key], start=1):
            try:
                e = json.loads(line)
                valid = (
                    not any(line == c(e) for c in CORRUPT[1:])
                    and isinstance(e.get("schema_version"), int)
                    and "chargeback_id" in e
                    and e["event_type"] != "refunded"
                    and (len(e["occurred_at"]) > 19)
                )
            except json.JSONDecodeError:
                valid = False
            # in the events table or in quarantine: exactly one
            assert valid == ((uri, number) not in rejected), (line, valid)
            if valid:
                assert e["event_id"] in ids
                good.append(e)
    assert len(rejected) == sum(len(v) for v in files.values()) - len(good)
    if good:
        expected = oracle(good)
        assert set(checkpoint["chargeback_id"]) == set(expected)
        for row in checkpoint.to_dicts():
            state = expected[row["chargeback_id"]]
            assert {k: row[k] for k in state} == state
