"""Totesys against moto's server over HTTP: S3 for both roots, SSM for packet ids."""

from __future__ import annotations

import os
import random

import boto3
import polars as pl

from common import id_ranges
from common.jobs import JobContext, run_job
from common.storage import Warehouse
from common.totesys.packet_store import FORMER_STATE, STATE
from common.totesys.process_totesys_packets import JOB
from tests.aws_server import create_state_table, moto_server
from tests.totesys_packets import dump_rows, first_packets, write_packet


def test_s3_roots_and_ssm_packet_ids(monkeypatch):
    with moto_server():
        s3 = boto3.client("s3")
        for bucket in ("totesys-wh", "ingestion", "processed"):
            s3.create_bucket(Bucket=bucket)
        create_state_table("state")
        env = {
            "WAREHOUSE_URI": "s3://totesys-wh/warehouse",
            "STATE_TABLE": "state",
            "INGESTION_URI": "s3://ingestion",
            "PROCESSED_URI": "s3://processed",
            "SSM_PARAMETER_PREFIX": "totesys",
        }
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        packets = first_packets(Warehouse("s3://ingestion"))

        summary = run_job(JOB, {"packets": packets})

        assert summary["tables"]["fact_sales_order"]["rows_out"] == 11_175
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="processed")["Contents"]]
        assert any(
            k.startswith("fact_sales_order/fact_sales_order_packet_1_processed_")
            for k in keys
        )
        facts = pl.read_parquet("s3://processed/fact_sales_order/*.parquet")
        assert facts.height == 11_175
        ssm = boto3.client("ssm")
        assert (
            ssm.get_parameter(Name="/totesys/packet_id/sales_order")["Parameter"][
                "Value"
            ]
            == "1"
        )
        state = boto3.client("dynamodb").get_item(
            TableName="state", Key={"pk": {"S": f"state#{STATE}"}}
        )
        assert '"sales_order": [[1, 1]]' in state["Item"]["value"]["S"]  # id ranges




def run_with_state(warehouse, state, packets_ids, key=STATE):
    """Seed the job state (at `key`) in moto's DynamoDB, run packets of those ids,
    return the summary, the state item's size and the state read back."""
    table = f"state-{random.getrandbits(32)}"  # moto's server outlives one test
    with moto_server():
        create_state_table(table)
        os.environ["STATE_TABLE"] = table
        try:
            ctx = JobContext.from_env()
            ctx.state.put(key, state)
            ingestion = Warehouse(warehouse.uri("ingestion"))
            rows = dump_rows("sales_order")[:3]
            packets = [
                write_packet(ingestion, "sales_order", i, rows) for i in packets_ids
            ]
            summary = run_job(JOB, {"packets": packets})
            item = boto3.client("dynamodb").get_item(
                TableName=table, Key={"pk": {"S": f"state#{STATE}"}}
            )["Item"]
            return summary, len(item["value"]["S"]), ctx.state.get(STATE)
        finally:
            del os.environ["STATE_TABLE"]


def test_a_million_packet_ids_with_gaps_and_late_packets_in_dynamodb(warehouse):
    """After 1,000,000 sales_order packets (some lost, some arrived late) the job
    state is a small DynamoDB item, and the job still skips a replay and takes a
    late packet."""
    rng = random.Random(7)
    lost = set(rng.sample(range(2, 1_000_000), 2_000))
    late = set(rng.sample(sorted(lost), 1_000))  # arrived after later packets
    arrived = sorted(set(range(1, 1_000_001)) - lost | late)
    state = {"processed": {"sales_order": id_ranges.from_ids(arrived)}}
    gap = min(lost - late)
    summary, size, after = run_with_state(
        warehouse, {**state, "next_sales_record_id": 1}, [arrived[500_000], gap]
    )
    status = {p["id"]: p["status"] for p in summary["packets"]}
    assert status == {arrived[500_000]: "skipped", gap: "processed late"}
    assert size < 40_000  # a tenth of DynamoDB's 400 KB item limit
    assert after["processed"]["sales_order"] == id_ranges.from_ids([*arrived, gap])


def test_a_state_of_an_earlier_main_is_migrated_on_first_read(warehouse):
    """Ids as a plain list, under the key the job used before it was named after
    the job: both are migrated."""
    ids = [i for i in range(1, 30_001) if i % 997]
    summary, size, after = run_with_state(
        warehouse,
        {"processed": {"sales_order": ids}, "next_sales_record_id": 1},
        [997, 30_001],
        key=FORMER_STATE,
    )
    assert [p["status"] for p in summary["packets"]] == ["processed late", "processed"]
    assert after["processed"]["sales_order"] == id_ranges.from_ids([*ids, 997, 30_001])
    assert size < 2_000
