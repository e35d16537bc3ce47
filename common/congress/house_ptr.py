"""Parse the public House PTR JSON (house-stock-watcher format) into silver rows.

Every source row ends up in exactly one of the two outputs: silver, or quarantine with
the reason it was rejected. The form's fields are parsed as in ptr_rows.py.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from common.congress import ptr_rows

SOURCE_COLUMNS = [
    "transaction_date",
    "disclosure_date",
    "ticker",
    "asset_description",
    "type",
    "amount",
    "representative",
    "district",
    "owner",
    "filing_id",
]


def parse(raw: pl.DataFrame, today: dt.date) -> pl.DataFrame:
    """Source rows (in file order) -> parsed columns + `reason` (null when valid)."""
    seat = pl.col("district").str.extract_groups(r"^([A-Z]{2})(\d{1,2})$")
    parsed = (
        raw.with_row_index("source_row")
        .with_columns(
            doc_id=pl.col("filing_id").cast(pl.String),
            txn_index=pl.int_range(pl.len()).over("filing_id").cast(pl.Int64),
            ticker=ptr_rows.ticker(pl.col("ticker")),
            asset_name=pl.col("asset_description").str.strip_chars(),
            state=seat.struct.field("1"),
            district_no=seat.struct.field("2").cast(pl.Int32),
            duplicate=pl.int_range(pl.len()).over(SOURCE_COLUMNS) > 0,
            **ptr_rows.fields(notified="disclosure_date"),
        )
        .with_columns(filing_date=pl.col("notification_date").max().over("doc_id"))
    )
    rules = [
        (pl.col("duplicate"), "exact duplicate of an earlier source row"),
        *ptr_rows.checks(today, notified="disclosure_date"),
        (pl.col("state").is_null(), "district: not like 'NJ07'"),
    ]
    return parsed.with_columns(reason=ptr_rows.reason(rules))
