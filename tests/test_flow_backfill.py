"""The range-by-range backfill on a Dask LocalCluster equals one full rebuild."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from prefect.testing.utilities import prefect_test_harness

from common.congress import demo_data
from common.congress.build_fact_transactions import JOB
from common.congress.tables import SILVER_PTR
from common.jobs import run_job
from tests.fact_reader import read_fact


@pytest.fixture(scope="module", autouse=True)
def prefect_api():
    with prefect_test_harness(server_startup_timeout=180):
        yield


def test_backfill_on_dask_equals_full_rebuild(warehouse):
    from flows.congress_backfill import congress_fact_backfill

    demo_data.generate(warehouse, rows=4_000, members=30, assets=100, seed=41)
    silver = pl.read_parquet(warehouse.uri(f"{SILVER_PTR}/*.parquet"))
    # later versions that move to another year: early January -> previous December
    january = silver.filter(
        (pl.col("transaction_date").dt.month() == 1)
        & (pl.col("transaction_date").dt.day() < 10)
    ).head(5)
    assert january.height == 5
    moved = january.with_columns(
        transaction_date=pl.col("transaction_date") - dt.timedelta(days=20),
        silver_ingest_ts=pl.col("silver_ingest_ts") + dt.timedelta(days=400),
    )
    demo_data.append_silver(warehouse, moved, "moved")

    run_job(JOB, {"rebuild": True})
    rebuilt = read_fact(warehouse)
    warehouse.write_parquet(
        rebuilt.head(1),
        "gold/facts/ptr_transactions/year=1999/month=01/transactions.parquet",
    )

    summary = congress_fact_backfill(years_per_task=2, dask_address="local")

    backfilled = read_fact(warehouse)
    assert backfilled.equals(rebuilt)  # same rows, same keys, same partitions
    assert summary["ranges"] > 1 and summary["files_deleted"] >= 1
    assert backfilled["transaction_key"].is_unique().all()
    moved_ids = moved.select(
        transaction_id=pl.format(
            "{}-{}", "doc_id", pl.col("txn_index").cast(pl.String).str.zfill(3)
        ),
        want=pl.col("transaction_date").dt.year().cast(pl.Int32),
    )
    landed = backfilled.join(moved_ids, on="transaction_id")
    assert landed.height == 5 and (landed["year"] == landed["want"]).all()
