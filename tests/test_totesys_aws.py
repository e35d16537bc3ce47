"""Totesys against moto's server over HTTP: S3 for both roots, SSM for packet ids."""

from __future__ import annotations

import boto3
import polars as pl

from common.jobs import run_job
from common.storage import Warehouse
from common.totesys.process_packets import JOB
from tests.aws_server import create_state_table, moto_server
from tests.totesys_packets import first_packets


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
            TableName="state", Key={"pk": {"S": "state#totesys/packets"}}
        )
        assert '"sales_order": [1]' in state["Item"]["value"]["S"]
