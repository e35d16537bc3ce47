"""Parse the public House PTR JSON (house-stock-watcher format) into silver rows.

Every source row ends up in exactly one of the two outputs: silver, or quarantine with
the reason it was rejected. Brackets are the disclosure form's ranges; a truncated range
("$15,001 -") takes its form bracket's upper bound; an exact amount ("$1,118.07") is
stored as the whole dollars around it (low = floor, high = ceil).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

# The PTR form's value brackets: low -> high (None: "Over $50,000,000").
BRACKETS = {
    1001: 15000,
    15001: 50000,
    50001: 100000,
    100001: 250000,
    250001: 500000,
    500001: 1000000,
    1000001: 5000000,
    5000001: 25000000,
    25000001: 50000000,
    50000001: None,
}
TYPES = {
    "purchase": "purchase",
    "sale": "sale",
    "sale (partial)": "sale_partial",
    "sale_partial": "sale_partial",
    "sale (full)": "sale",
    "exchange": "exchange",
}
OWNERS = {
    "self": "self",
    "spouse": "spouse",
    "joint": "joint",
    "dependent child": "dependent",
    "dependent": "dependent",
}
STOCK_ACT = dt.date(2012, 4, 4)  # no PTR can be disclosed before the STOCK Act
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


def dollars(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace_all(r"[$,\s]", "").cast(pl.Float64, strict=False)


def parse(raw: pl.DataFrame, today: dt.date) -> pl.DataFrame:
    """Source rows (in file order) -> parsed columns + `reason` (null when valid)."""
    amount = pl.col("amount").str.replace_all(r"\s+", " ").str.strip_chars()
    parts = amount.str.split_exact(" - ", 1)
    low_text = pl.when(amount.str.contains("-")).then(
        amount.str.extract(r"^([^-]+)-").str.strip_chars()
    )
    exact = pl.when(~amount.str.contains("-")).then(dollars(amount))
    low = pl.coalesce(dollars(low_text).floor(), exact.floor()).cast(pl.Int64)
    stated_high = dollars(parts.struct.field("field_1")).cast(pl.Int64)
    bracket_high = low_text.is_not_null() & stated_high.is_null()
    high = (
        pl.when(exact.is_not_null())
        .then(exact.ceil().cast(pl.Int64))
        .when(bracket_high)
        .then(low.replace_strict(BRACKETS, default=None, return_dtype=pl.Int64))
        .otherwise(stated_high)
    )
    seat = pl.col("district").str.extract_groups(r"^([A-Z]{2})(\d{1,2})$")
    parsed = (
        raw.with_row_index("source_row")
        .with_columns(
            doc_id=pl.col("filing_id").cast(pl.String),
            txn_index=pl.int_range(pl.len()).over("filing_id").cast(pl.Int64),
            transaction_date=pl.col("transaction_date").str.strptime(
                pl.Date, "%m/%d/%Y", strict=False
            ),
            notification_date=pl.col("disclosure_date").str.strptime(
                pl.Date, "%m/%d/%Y", strict=False
            ),
            ticker=pl.when(
                pl.col("ticker").str.strip_chars().is_in(["", "--"]).not_()
            ).then(pl.col("ticker").str.strip_chars()),
            asset_name=pl.col("asset_description").str.strip_chars(),
            transaction_type=pl.col("type")
            .str.to_lowercase()
            .replace_strict(TYPES, default=None),
            owner_=pl.col("owner")
            .str.to_lowercase()
            .replace_strict(OWNERS, default=None),
            amount_low=low,
            amount_high=high,
            open_ended=amount.str.to_lowercase().str.contains("over"),
            state=seat.struct.field("1"),
            district_no=seat.struct.field("2").cast(pl.Int32),
            duplicate=pl.int_range(pl.len()).over(SOURCE_COLUMNS) > 0,
        )
        .with_columns(
            filing_date=pl.col("notification_date").max().over("doc_id"),
            amount_low=pl.when(pl.col("open_ended"))
            .then(50000001)
            .otherwise("amount_low"),
            amount_high=pl.when(pl.col("open_ended"))
            .then(None)
            .otherwise("amount_high"),
        )
    )
    checks = [
        (pl.col("duplicate"), "exact duplicate of an earlier source row"),
        (
            pl.col("transaction_date").is_null(),
            "transaction_date: not a MM/DD/YYYY date",
        ),
        (
            pl.col("notification_date").is_null(),
            "disclosure_date: not a MM/DD/YYYY date",
        ),
        (pl.col("transaction_date") > today, "transaction_date: in the future"),
        (pl.col("notification_date") > today, "disclosure_date: in the future"),
        (
            pl.col("notification_date") < STOCK_ACT,
            "disclosure_date: before the STOCK Act (2012)",
        ),
        (
            pl.col("notification_date") < pl.col("transaction_date"),
            "disclosure_date: before transaction_date",
        ),
        (pl.col("transaction_type").is_null(), "type: unknown transaction type"),
        (pl.col("owner_").is_null(), "owner: unknown owner"),
        (pl.col("amount_low").is_null(), "amount: not a bracket or dollar amount"),
        (pl.col("state").is_null(), "district: not like 'NJ07'"),
        (pl.col("asset_name").fill_null("") == "", "asset_description: empty"),
    ]
    reason = pl.concat_str(
        [pl.when(cond.fill_null(False)).then(pl.lit(msg)) for cond, msg in checks],
        separator="; ",
        ignore_nulls=True,
    )
    return parsed.with_columns(reason=pl.when(reason != "").then(reason)).rename(
        {"owner_": "owner_parsed"}
    )
