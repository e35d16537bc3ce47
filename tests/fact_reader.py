"""Read the fact table back the way an analyst would (hive partitions from paths)."""

from __future__ import annotations

import polars as pl

from common.congress.tables import FACT_PTR
from common.storage import Warehouse


def read_fact(wh: Warehouse) -> pl.DataFrame:
    files = wh.keys(FACT_PTR, ".parquet")
    if not files:
        return pl.DataFrame()
    return (
        wh.scan_parquet(files, include_file_paths="file")
        .with_columns(
            year=pl.col("file").str.extract(r"year=(\d{4})").cast(pl.Int32),
            month=pl.col("file").str.extract(r"month=(\d{2})").cast(pl.Int32),
        )
        .drop("file")
        .collect()
        .sort("transaction_id")
    )


def fact_files(wh: Warehouse) -> dict[str, bytes]:
    return {k: wh.read_bytes(k) for k in wh.keys(FACT_PTR, ".parquet")}
