"""What House and Senate periodic transaction reports share: the disclosure form's
value brackets, transaction types and owners, and the checks every parsed row passes.

Brackets are the form's ranges; a truncated range ("$15,001 -") takes its form
bracket's upper bound; an exact amount ("$1,118.07") is stored as the whole dollars
around it (low = floor, high = ceil); "Over $50,000,000" has no upper bound.
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
    "child": "dependent",  # the Senate form's word
}
STOCK_ACT = dt.date(2012, 4, 4)  # no PTR can be disclosed before the STOCK Act
OVER_TOP = 50000001


def dollars(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace_all(r"[$,\s]", "").cast(pl.Float64, strict=False)


def amount_bounds(column: str = "amount") -> dict[str, pl.Expr]:
    """amount_low and amount_high (Int64) from the form's amount text."""
    amount = pl.col(column).str.replace_all(r"\s+", " ").str.strip_chars()
    ranged = amount.str.contains("-")
    low_text = pl.when(ranged).then(amount.str.extract(r"^([^-]+)-").str.strip_chars())
    exact = pl.when(~ranged).then(dollars(amount))
    low = pl.coalesce(dollars(low_text).floor(), exact.floor()).cast(pl.Int64)
    stated_high = dollars(amount.str.split_exact(" - ", 1).struct.field("field_1"))
    high = (
        pl.when(exact.is_not_null())
        .then(exact.ceil())
        .when(low_text.is_not_null() & stated_high.is_null())
        .then(low.replace_strict(BRACKETS, default=None, return_dtype=pl.Int64))
        .otherwise(stated_high)
        .cast(pl.Int64)
    )
    over = amount.str.to_lowercase().str.contains("over")
    return {
        "amount_low": pl.when(over).then(OVER_TOP).otherwise(low),
        "amount_high": pl.when(~over).then(high),
    }


def fields(notified: str) -> dict[str, pl.Expr]:
    """Parsed columns from the form's text columns transaction_date, `notified`
    (the date the filing reached the clerk), type and owner."""
    return {
        "transaction_date": pl.col("transaction_date").str.strptime(
            pl.Date, "%m/%d/%Y", strict=False
        ),
        "notification_date": pl.col(notified).str.strptime(
            pl.Date, "%m/%d/%Y", strict=False
        ),
        "transaction_type": pl.col("type")
        .str.strip_chars()
        .str.to_lowercase()
        .replace_strict(TYPES, default=None),
        "owner_parsed": pl.col("owner")
        .str.strip_chars()
        .str.to_lowercase()
        .replace_strict(OWNERS, default=None),
        **amount_bounds(),
    }


def ticker(expr: pl.Expr) -> pl.Expr:
    """A ticker, or null for the forms' "no ticker" marks ("", "--")."""
    text = expr.str.strip_chars()
    return pl.when(~text.is_in(["", "--"])).then(text)


def checks(today: dt.date, notified: str) -> list[tuple[pl.Expr, str]]:
    """(condition, reason) for a rejected row; `notified` names the source field."""
    return [
        (
            pl.col("transaction_date").is_null(),
            "transaction_date: not a MM/DD/YYYY date",
        ),
        (pl.col("notification_date").is_null(), f"{notified}: not a MM/DD/YYYY date"),
        (pl.col("transaction_date") > today, "transaction_date: in the future"),
        (pl.col("notification_date") > today, f"{notified}: in the future"),
        (
            pl.col("notification_date") < STOCK_ACT,
            f"{notified}: before the STOCK Act (2012)",
        ),
        (
            pl.col("notification_date") < pl.col("transaction_date"),
            f"{notified}: before transaction_date",
        ),
        (pl.col("transaction_type").is_null(), "type: unknown transaction type"),
        (pl.col("owner_parsed").is_null(), "owner: unknown owner"),
        (pl.col("amount_low").is_null(), "amount: not a bracket or dollar amount"),
        (pl.col("asset_name").fill_null("") == "", "asset_description: empty"),
    ]


def reason(rules: list[tuple[pl.Expr, str]]) -> pl.Expr:
    """Every failed rule's reason, joined; null for a valid row."""
    text = pl.concat_str(
        [pl.when(cond.fill_null(False)).then(pl.lit(msg)) for cond, msg in rules],
        separator="; ",
        ignore_nulls=True,
    )
    return pl.when(text != "").then(text)
