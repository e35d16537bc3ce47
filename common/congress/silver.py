"""Reading silver `ptr_transactions`: every job that builds on it starts here."""

from __future__ import annotations

import polars as pl

from common.congress.tables import SILVER_PTR
from common.errors import MissingTable
from common.storage import Warehouse


def scan_silver(wh: Warehouse) -> pl.LazyFrame:
    files = wh.keys(SILVER_PTR, ".parquet")
    if not files:
        raise MissingTable(f"Silver table {SILVER_PTR} has no Parquet files")
    return wh.scan_parquet(files)
