"""The Pants-built build_fact_transactions zip: self-contained, lean, scenarios 1-4."""

from __future__ import annotations

import datetime as dt
import itertools
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
from tests.snapshots import objects

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


def split_silver(wh: Warehouse, *bounds: dt.datetime) -> list[pl.DataFrame]:
    """Silver cut at ingest-time bounds into consecutive parts (the rest dropped)."""
    s = pl.read_parquet(wh.uri("silver/ptr_transactions/*.parquet"))
    wh.delete(wh.keys("silver/ptr_transactions"))
    ts = pl.col("silver_ingest_ts")
    return [s.filter((ts >= lo) & (ts < hi)) for lo, hi in itertools.pairwise(bounds)]



def day(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def test_scenario_2_as_written_through_the_zip(code_dir, tmp_path):
    """Fact holds data through 2024-11-30; new silver covers 2024-12-01..14;
    {"rebuild": false, "since_date": "2024-12-01"} processes only the new rows."""
    wh = Warehouse(str(tmp_path / "wh"))
    demo_data.generate(wh, rows=4_000, members=30, assets=100, seed=9)
    old, new = split_silver(
        wh, day("2000-01-01"), day("2024-12-01"), day("2024-12-15")
    )
    newest = cast(dt.datetime, old["silver_ingest_ts"].max())
    assert dt.date(2024, 11, 20) < newest.date() <= dt.date(2024, 11, 30)
    assert new.height > 0
    demo_data.append_silver(wh, old, "through-2024-11-30")
    assert call(code_dir, wh, {"rebuild": True})["statusCode"] == 200
    before = {k: wh.read_bytes(k) for k in wh.keys("gold/facts")}
    demo_data.append_silver(wh, new, "2024-12-01-to-14")

    resp = call(code_dir, wh, {"rebuild": False, "since_date": "2024-12-01"})
    assert resp["statusCode"] == 200, resp
    body = json.loads(resp["body"])
    new_ids = new.select(
        pl.format("{}-{}", "doc_id", pl.col("txn_index").cast(pl.String).str.zfill(3))
    ).n_unique()
    assert body["transactions_processed"] == new_ids
    # only months holding new rows (or older versions of them) were rewritten
    after = {k: wh.read_bytes(k) for k in wh.keys("gold/facts")}
    changed = {k for k in after if before.get(k) != after[k]}
    assert body["files_written"] == len(changed) > 0
    assert len(changed) < len(before)

    # the oracle: one rebuild over the same silver gives the same table
    incremental = read_fact(wh)
    assert call(code_dir, wh, {"rebuild": True})["statusCode"] == 200
    assert incremental.equals(read_fact(wh))


def test_since_date_that_would_skip_rows_is_refused_with_the_count(code_dir, tmp_path):
    wh = Warehouse(str(tmp_path / "wh"))
    demo_data.generate(wh, rows=4_000, members=30, assets=100, seed=9)
    old, gap, new = split_silver(
        wh,
        day("2000-01-01"),
        day("2024-11-28"),
        day("2024-12-01"),
        day("2024-12-15"),
    )
    demo_data.append_silver(wh, old, "old")
    assert call(code_dir, wh, {"rebuild": True})["statusCode"] == 200
    # rows that land after the fact's watermark and before 2024-12-01
    late = old.head(3).with_columns(silver_ingest_ts=pl.lit(day("2024-11-29T08:00")))
    gap = pl.concat([gap, late])
    demo_data.append_silver(wh, gap, "gap")
    demo_data.append_silver(wh, new, "new")
    before = objects(wh)

    resp = call(code_dir, wh, {"rebuild": False, "since_date": "2024-12-01"})
    assert resp["statusCode"] == 400
    body = json.loads(resp["body"])
    assert body["field"] == "since_date"
    assert f"would skip {gap.height} silver rows" in body["message"]
    assert objects(wh) == before
