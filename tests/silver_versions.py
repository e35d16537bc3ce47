"""Read silver back, and make later versions of transactions already in it."""

from __future__ import annotations

import datetime as dt

import polars as pl

from common.congress.tables import SILVER_PTR
from common.storage import Warehouse


def silver(wh: Warehouse) -> pl.DataFrame:
    return pl.read_parquet(wh.uri(f"{SILVER_PTR}/*.parquet"))


def new_versions(
    wh: Warehouse, n: int, shift_days: int, ts: dt.datetime
) -> pl.DataFrame:
    """Later versions of n existing transactions, dated `shift_days` earlier."""
    old = silver(wh).sort("doc_id", "txn_index").unique(["doc_id", "txn_index"]).head(n)
    return old.with_columns(
        transaction_date=pl.col("transaction_date") - dt.timedelta(days=shift_days),
        amount_low=pl.lit(15001, pl.Int64),
        amount_high=pl.lit(50000, pl.Int64),
        silver_ingest_ts=pl.lit(ts),
    )
