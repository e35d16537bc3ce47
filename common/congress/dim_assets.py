"""The dim_assets transform (pure Polars): one row per asset name, keys stable.

Known names keep their keys; new names get keys above the highest, in order of first
appearance in silver; the ticker is the latest non-null one seen for the name.
"""

from __future__ import annotations

import polars as pl

KNOWN_SCHEMA = {"asset_key": pl.Int64, "asset_name": pl.String}


def seen_assets(silver: pl.LazyFrame) -> pl.LazyFrame:
    """Each asset name's first appearance and latest non-null ticker."""
    return silver.group_by("asset_name").agg(
        first_seen=pl.col("silver_ingest_ts").min(),
        ticker=pl.col("ticker").sort_by("silver_ingest_ts").drop_nulls().last(),
    )


def merge(seen: pl.DataFrame, known: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """(the dimension, how many assets are new): `known` holds the current keys."""
    merged = seen.join(known, on="asset_name", how="full", coalesce=True)
    new = merged.filter(pl.col("asset_key").is_null()).sort("first_seen", "asset_name")
    top = int(known.select(pl.col("asset_key").max()).item() or 0)
    new = new.with_columns(
        asset_key=pl.int_range(top + 1, top + 1 + new.height, dtype=pl.Int64)
    )
    dim = pl.concat([merged.filter(pl.col("asset_key").is_not_null()), new])
    return dim.select("asset_key", "asset_name", "ticker").sort("asset_key"), new.height
