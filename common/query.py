"""SQL over the warehouse, with the table names analysts use.

The same Parquet the jobs write, scanned lazily by Polars and named as the Glue Data
Catalog names them in AWS: the Congress gold tables and the Totesys star schema. The
Totesys dimensions are deltas (one object per packet); here they are the latest row
per natural key, as the README's recipe reads them, and fact_sales_order keeps every
version.
"""

from __future__ import annotations

import os

import polars as pl

from common.congress.tables import DIMENSIONS, FACT_PTR, TRENDING, TRENDING_BY_CHAMBER
from common.storage import Warehouse
from common.totesys.schemas import STAR

OBJECT_STAMP = r"_processed_(\d{8}T\d+)\.parquet$"


def congress_tables(wh: Warehouse) -> dict[str, pl.LazyFrame]:
    tables = {
        name: wh.scan_parquet([key])
        for name, key in DIMENSIONS.items()
        if wh.exists(key)
    }
    fact = wh.keys(FACT_PTR, ".parquet")
    if fact:  # year and month come from the partition folders, as in Glue
        tables["fact_ptr_transactions"] = wh.scan_parquet(fact, hive_partitioning=True)
    trending = wh.keys(TRENDING, ".parquet")
    if trending:
        tables["trending_stocks"] = wh.scan_parquet(trending, hive_partitioning=False)
    by_chamber = wh.keys(TRENDING_BY_CHAMBER, ".parquet")
    if by_chamber:  # chamber comes from the partition folders
        tables["trending_stocks_by_chamber"] = wh.scan_parquet(
            by_chamber, include_file_paths="_object"
        ).select(
            pl.col("_object").str.extract(r"chamber=([a-z]+)").alias("chamber"),
            pl.exclude("_object"),
        )
    return tables


def totesys_tables(processed: Warehouse) -> dict[str, pl.LazyFrame]:
    tables = {}
    for name, model in STAR.items():
        keys = processed.keys(name, ".parquet")
        if not keys:
            continue
        deltas = processed.scan_parquet(keys, include_file_paths="_object")
        if name != "fact_sales_order":
            natural_key = next(iter(model.to_schema().columns))
            deltas = (
                deltas.with_columns(pl.col("_object").str.extract(OBJECT_STAMP))
                .sort("_object")
                .group_by(natural_key)
                .last()
            )
        tables[name] = deltas.drop("_object")
    return tables


def tables(wh: Warehouse) -> dict[str, pl.LazyFrame]:
    processed = os.environ.get("PROCESSED_URI") or wh.uri("processed")
    return {**congress_tables(wh), **totesys_tables(Warehouse(processed))}


def query(wh: Warehouse, sql: str) -> pl.DataFrame:
    return pl.SQLContext(tables(wh)).execute(sql).collect()


# What the demo asks: the tickers members bought most in the 90 days before the
# newest trade in the table.
TOP_BOUGHT = """
WITH trades AS (
  SELECT f.member_key, f.asset_key, f.transaction_type, f.amount_midpoint,
         d.full_date AS trade_date
  FROM fact_ptr_transactions f
  JOIN dim_dates d ON f.transaction_date_key = d.date_key
),
newest AS (SELECT MAX(trade_date) AS day FROM trades)
SELECT a.ticker, COUNT(*) AS purchases, COUNT(DISTINCT t.member_key) AS members,
       SUM(t.amount_midpoint) AS est_volume_usd
FROM trades t
JOIN dim_assets a ON t.asset_key = a.asset_key
CROSS JOIN newest n
WHERE t.transaction_type = 'purchase' AND a.ticker IS NOT NULL
  AND t.trade_date > n.day - INTERVAL '90 days'
GROUP BY a.ticker
ORDER BY purchases DESC, a.ticker
LIMIT 10
"""
