"""fact_ptr_transactions: the transform (pure Polars) from silver + dimensions to facts.

Keys: `transaction_key` is the rank of (first time the id was seen in silver, id).
An existing transaction keeps its key; new ones get keys above the current maximum.
Because a watermark run only ever sees ids first seen after everything already built,
a rebuild over all data and a rebuild over a prefix plus increments give the same keys.
"""

from __future__ import annotations

import polars as pl

FACT_COLUMNS = [
    "transaction_key",
    "transaction_id",
    "member_key",
    "asset_key",
    "transaction_date_key",
    "notification_date_key",
    "transaction_type",
    "amount_low",
    "amount_high",
    "amount_midpoint",
    "days_to_notification",
    "doc_id",
    "filing_date",
]
PARTITION = ["year", "month"]


def transaction_id() -> pl.Expr:
    return pl.concat_str(
        pl.col("doc_id"), pl.lit("-"), pl.col("txn_index").cast(pl.String).str.zfill(3)
    )


def latest_versions(silver: pl.DataFrame) -> pl.DataFrame:
    """One row per transaction: its latest version, and when it was first seen."""
    ts, key = pl.col("silver_ingest_ts"), ["doc_id", "txn_index"]
    # Windows over the two key columns (computed once per context) beat sort + unique
    # on a built string key; only ids with several rows need a tie-break for exact
    # duplicates, and they are a few percent.
    rows = silver.with_columns(
        first_seen=ts.min().over(key),
        newest=ts.max().over(key),
        versions=pl.len().over(key),
    )
    several = rows.filter((pl.col("versions") > 1) & (ts == pl.col("newest")))
    return (
        pl.concat(
            [
                rows.filter(pl.col("versions") == 1),
                several.unique(key, keep="first", maintain_order=True),
            ]
        )
        .drop("newest", "versions")
        .with_columns(transaction_id=transaction_id())
    )


def date_key(col: str) -> pl.Expr:
    d = pl.col(col).dt
    # dt.month()/day() are Int8: widen before the arithmetic overflows them
    return d.year().cast(pl.Int32) * 10000 + d.month().cast(pl.Int32) * 100 + d.day()


def with_dimension_keys(
    txns: pl.LazyFrame, members: pl.LazyFrame, assets: pl.LazyFrame
) -> pl.LazyFrame:
    """member_key: the version valid on transaction_date; asset_key by name; else -1."""
    versions = members.select(
        "bioguide_id", "valid_from", "valid_to", "member_key"
    ).sort("valid_from")
    return (
        txns.sort("transaction_date")
        .join_asof(
            versions,
            left_on="transaction_date",
            right_on="valid_from",
            by="bioguide_id",
            strategy="backward",
            check_sortedness=False,  # sorted above; Polars cannot check it per group
        )
        .with_columns(
            member_key=pl.when(pl.col("transaction_date") <= pl.col("valid_to"))
            .then(pl.col("member_key"))
            .otherwise(-1)
        )
        .join(assets.select("asset_name", "asset_key"), on="asset_name", how="left")
        .with_columns(pl.col("asset_key").fill_null(-1))
    )


def fact_rows(txns: pl.LazyFrame) -> pl.LazyFrame:
    """The contract's columns (transaction_key still to assign) plus the partition."""
    return txns.select(
        "first_seen",
        "transaction_id",
        pl.col("member_key").cast(pl.Int64),
        pl.col("asset_key").cast(pl.Int64),
        transaction_date_key=date_key("transaction_date"),
        notification_date_key=date_key("notification_date"),
        transaction_type="transaction_type",
        amount_low="amount_low",
        amount_high="amount_high",
        amount_midpoint=(pl.col("amount_low") + pl.col("amount_high")) / 2.0,
        days_to_notification=(pl.col("notification_date") - pl.col("transaction_date"))
        .dt.total_days()
        .cast(pl.Int64),
        doc_id="doc_id",
        filing_date="filing_date",
        year=pl.col("transaction_date").dt.year(),
        month=pl.col("transaction_date").dt.month(),
    )


def assign_keys(
    rows: pl.DataFrame, existing: pl.DataFrame, max_key: int
) -> pl.DataFrame:
    """Keep the key of ids in `existing` (transaction_id, transaction_key); number the
    rest above `max_key` in order of (first_seen, transaction_id)."""
    keyed = rows.join(existing, on="transaction_id", how="left")
    new = keyed.filter(pl.col("transaction_key").is_null()).sort(
        "first_seen", "transaction_id"
    )
    new = new.with_columns(
        transaction_key=pl.int_range(
            max_key + 1, max_key + 1 + new.height, dtype=pl.Int64
        )
    )
    old = keyed.filter(pl.col("transaction_key").is_not_null())
    return pl.concat([old, new]).select(FACT_COLUMNS + PARTITION)


def outside_calendar(dates: pl.DataFrame) -> pl.Expr:
    """Rows whose dates dim_dates does not cover (they go to quarantine)."""
    lo, hi = dates["full_date"].min(), dates["full_date"].max()
    return ~(
        pl.col("transaction_date").is_between(lo, hi)
        & pl.col("notification_date").is_between(lo, hi)
    )
