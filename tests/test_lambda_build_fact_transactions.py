"""The Pants-built build_fact_transactions zip: self-contained, lean, scenarios 1-4."""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import cast

import polars as pl
import pytest

from common.congress import demo_data
from common.congress.tables import DIMENSIONS, fact_partition_key
from common.storage import Warehouse
from tests.fact_reader import read_fact
from tests.lambda_zip import invoke, unpack

FUNCTION = "build_fact_transactions"
HERE = os.path.join(os.path.dirname(__file__), "..", "lambda", FUNCTION)


@pytest.fixture(scope="module")
def code_dir(tmp_path_factory):
    return unpack(FUNCTION, str(tmp_path_factory.mktemp("code")))


def call(code_dir, wh: Warehouse, event) -> dict:
    out = invoke(code_dir, FUNCTION, event, {"WAREHOUSE_URI": wh.root})
    assert "result" in out, out
    return out["result"]


def test_scenarios_through_the_packaged_handler(code_dir, tmp_path):
    wh = Warehouse(str(tmp_path / "wh"))
    demo_data.generate(wh, rows=2_000, members=30, assets=100, seed=5)
    wh.write_parquet(pl.DataFrame({"x": [1]}), fact_partition_key(1999, 1))

    # 1. rebuild: stale partitions gone, summary in the body
    resp = call(code_dir, wh, {"rebuild": True})
    assert resp["statusCode"] == 200
    body = json.loads(resp["body"])
    fact = read_fact(wh)
    assert body["transactions_processed"] == fact.height
    assert body["files_written"] == len(wh.keys("gold/facts", ".parquet"))
    assert fact_partition_key(1999, 1) not in wh.keys("gold/facts")

    # 4. a newer version of a transaction replaces it; 2. since_date incremental
    first = pl.read_parquet(wh.uri("silver/ptr_transactions/*.parquet")).head(1)
    newest = cast(
        dt.datetime,
        pl.read_parquet(wh.uri("silver/ptr_transactions/*.parquet"))[
            "silver_ingest_ts"
        ].max(),
    )
    demo_data.append_silver(
        wh,
        first.with_columns(
            amount_low=pl.lit(7, pl.Int64),
            silver_ingest_ts=pl.lit(newest) + pl.duration(hours=1),
        ),
        "v2",
    )
    since = newest.date().isoformat()
    body = json.loads(
        call(code_dir, wh, {"rebuild": False, "since_date": since})["body"]
    )
    assert set(body) >= {"transactions_processed", "files_written"}
    tid = f"{first['doc_id'].item()}-{first['txn_index'].item():03d}"
    rows = read_fact(wh).filter(pl.col("transaction_id") == tid)
    assert rows["amount_low"].to_list() == [7]
    assert read_fact(wh)["transaction_id"].is_unique().all()

    # invalid event: 400 naming the field
    resp = call(code_dir, wh, {"rebuild": False, "since_date": "2999-01-01"})
    assert resp["statusCode"] == 400
    assert json.loads(resp["body"])["field"] == "since_date"

    # 3. missing dimension: raised (Lambda retries/alarms), nothing written
    wh.delete([DIMENSIONS["dim_assets"]])
    before = {k: wh.read_bytes(k) for k in wh.keys("gold/facts")}
    out = invoke(code_dir, FUNCTION, {"rebuild": True}, {"WAREHOUSE_URI": wh.root})
    assert out["errorType"] == "MissingTable"
    assert "Dimension table dim_assets not found" in out["errorMessage"]
    assert {k: wh.read_bytes(k) for k in wh.keys("gold/facts")} == before
