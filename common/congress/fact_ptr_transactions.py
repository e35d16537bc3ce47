"""fact_ptr_transactions: the transform (pure Polars) from silver + dimensions to facts.

Keys: `transaction_key` is the rank of (first time the id was seen in silver, id).
An existing transaction keeps its key; new ones get keys above the current maximum.
Because a watermark run only ever sees ids first seen after everything already built,
a rebuild over all data and a rebuild over a prefix plus increments give the same keys.

Rows are ordered by (transaction_date, transaction_key), in memory and in every
partition file, so readers filtering on a date range can skip row groups.

At 10M rows each full copy of the batch costs about a gigabyte and each hash-based
pass over string ids a second or more, so dedupe, keys and ordering work on narrow
frames, and each wide column is moved once, straight into its final order (`take`).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import polars as pl

from common.congress.schemas import FactPtrTransactions
from common.distinct import maybe_repeated

PARTITION = ["year", "month"]
# The silver columns the fact is built from.
SILVER_INPUT = [
    "doc_id",
    "txn_index",
    "bioguide_id",
    "asset_name",
    "transaction_type",
    "transaction_date",
    "notification_date",
    "filing_date",
    "amount_low",
    "amount_high",
    "silver_ingest_ts",
    "chamber",
]
# The silver columns carried into the facts once the rows are deduped and ordered.
CARRIED = [
    "bioguide_id",
    "asset_name",
    "transaction_type",
    "amount_low",
    "amount_high",
    "doc_id",
    "filing_date",
    "chamber",
]
ROW = "__row__"


def transaction_id() -> pl.Expr:
    """`<doc_id>-<txn_index as 3 digits>`; silver's schema makes txn_index >= 0."""
    index = pl.col("txn_index").cast(pl.String).str.pad_start(3, "0")
    return pl.format("{}-{}", "doc_id", index)


def latest_versions(silver: pl.DataFrame) -> pl.DataFrame:
    """One row per transaction id of `silver` (which has `transaction_id`): ROW, the
    position of its latest version (the first of exact ties); its transaction_id,
    transaction_date and notification_date; `first_seen`, the id's earliest
    silver_ingest_ts. Ordered by ROW."""
    rows = latest_rows(silver)
    return (
        silver.select("transaction_id", "transaction_date", "notification_date")
        .gather(rows[ROW])
        .hstack(rows)
    )


def latest_rows(silver: pl.DataFrame) -> pl.DataFrame:
    """ROW and first_seen of latest_versions, without copying any other column."""
    # Only ids with several rows (a few percent) need the windows.
    several = maybe_repeated(silver["transaction_id"])
    ts = pl.col("silver_ingest_ts")
    winners = (
        silver.select("transaction_id", "silver_ingest_ts")
        .with_row_index(ROW)
        .filter(several)
        .with_columns(first_seen=ts.min().over("transaction_id"))
        .filter(ts == ts.max().over("transaction_id"))
        .unique("transaction_id", keep="first", maintain_order=True)
    )
    rows = (~several).scatter(winners[ROW], True).arg_true().alias(ROW)
    # only the kept rows' stamps: a full-length copy is as large as the id column's
    first_seen = silver["silver_ingest_ts"].gather(rows).alias("first_seen")
    at = rows.search_sorted(winners[ROW])
    return pl.DataFrame([rows, first_seen.scatter(at, winners["first_seen"])])


def take(frame: pl.DataFrame, rows: pl.Series, columns: list[str]) -> pl.DataFrame:
    """`frame[rows, columns]`, removing each column from `frame` as it is taken: at
    10M rows, holding the input and the output whole at once would double the peak
    memory. Random gathers wait on memory more than on the CPU: two threads."""

    def one(column: pl.Series) -> pl.Series:
        return column.rechunk().gather(rows)  # gathers across chunks are slow

    with ThreadPoolExecutor(max_workers=2) as pool:
        return pl.DataFrame(pool.map(one, [frame.drop_in_place(c) for c in columns]))


def fact_order() -> pl.Expr:
    """(transaction_date, transaction_key) as one integer, the cheapest sort key:
    dates are days (negative before 1970 is fine), keys stay far below 2**40."""
    return pl.col("transaction_date").cast(pl.Int64) * 2**40 + pl.col("transaction_key")


def new_keys(ids: pl.DataFrame, start: int) -> pl.Series:
    """Keys start, start + 1, ... for `ids` (first_seen, transaction_id), in the
    order of those two columns, aligned with the rows of `ids`."""
    order = ids.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).sort_by("first_seen", "transaction_id")
    ).to_series()
    ranks = pl.int_range(start, start + ids.height, dtype=pl.Int64, eager=True)
    return pl.zeros(ids.height, pl.Int64, eager=True).scatter(order, ranks)


def assign_keys(
    latest: pl.DataFrame, existing: pl.DataFrame, max_key: int
) -> pl.Series:
    """transaction_key for each row of `latest`: the key in `existing`
    (transaction_id, transaction_key) when the id has one, else a new key."""
    ids = latest.select("first_seen", "transaction_id")
    if existing.is_empty():
        return new_keys(ids, max_key + 1)
    keys = ids.join(existing, on="transaction_id", how="left", maintain_order="left")[
        "transaction_key"
    ]
    fresh = keys.is_null()
    return keys.scatter(fresh.arg_true(), new_keys(ids.filter(fresh), max_key + 1))


def member_keys(rows: pl.DataFrame, members: pl.DataFrame) -> pl.Series:
    """The dim_members version valid on transaction_date, else -1. `rows` must be
    ordered by transaction_date."""
    versions = members.select(
        "bioguide_id", "valid_from", "valid_to", "member_key"
    ).sort("valid_from")
    return (
        rows.select("bioguide_id", "transaction_date")
        .join_asof(
            versions,
            left_on="transaction_date",
            right_on="valid_from",
            by="bioguide_id",
            strategy="backward",
            check_sortedness=False,  # sorted by the caller; unverifiable per group
        )
        .select(
            pl.when(pl.col("transaction_date") <= pl.col("valid_to"))
            .then(pl.col("member_key"))
            .otherwise(-1)
            .cast(pl.Int64)
        )
        .to_series()
    )


# The contract's columns, in order.
CONTRACT = list(FactPtrTransactions.to_schema().columns)


def row_columns(dims: dict[str, pl.DataFrame]) -> dict[str, pl.Expr]:
    """The fact's columns that each row's own silver columns give: they can be
    computed before the rows are deduped or ordered, and on Polars' streaming
    engine, which spreads them over every core (an eager select would give each
    expression one core). Those cheaper to compute in order than to gather into
    it are left to `finish`."""
    assets = dims["dim_assets"]
    return {
        "asset_key": pl.col("asset_name").replace_strict(
            assets["asset_name"], assets["asset_key"], default=-1, return_dtype=pl.Int64
        ),
        "notification_date_key": date_keys(dims["dim_dates"])("notification_date"),
        "transaction_type": pl.col("transaction_type"),
        "amount_low": pl.col("amount_low"),
        "amount_high": pl.col("amount_high"),
        # days as integers: a Date difference goes through a Duration, 8x slower
        "days_to_notification": (
            pl.col("notification_date").cast(pl.Int32)
            - pl.col("transaction_date").cast(pl.Int32)
        ).cast(pl.Int64),
        "doc_id": pl.col("doc_id"),
        "filing_date": pl.col("filing_date"),
        "chamber": pl.col("chamber"),
    }


def date_keys(dates: pl.DataFrame) -> Callable[[str], pl.Expr]:
    """A date column -> its dim_dates key, null outside dim_dates: such rows are
    rejected before they become facts (and the contract refuses a null key), but may
    be computed along the way. A date's key is found at its offset in days into a
    table of dim_dates' span, which costs a quarter of a hash lookup's time."""
    day = pl.col("full_date")
    span = dates.select(pl.date_range(day.min(), day.max())) if dates.height else dates
    first = span.select(day.first().cast(pl.Int32)).item()
    table = span.select("full_date").join(
        dates, on="full_date", how="left", maintain_order="left"
    )["date_key"]

    def key_of(col: str) -> pl.Expr:
        days = pl.col(col).cast(pl.Int32) - first
        inside = days.is_between(0, table.len() - 1)
        return pl.lit(table).gather(pl.when(inside).then(days))

    return key_of


# The silver columns `finish` reads besides the row columns, key and id.
FINISH_INPUT = ["bioguide_id", "transaction_date"]


def fact_rows(latest: pl.DataFrame, dims: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Latest versions (silver's columns plus transaction_id and transaction_key,
    ordered by `fact_order`) -> the contract's columns plus year/month."""
    rows = latest.lazy().select(
        "transaction_key", "transaction_id", *FINISH_INPUT, **row_columns(dims)
    )
    return finish(rows.collect(engine="streaming"), dims)


def finish(rows: pl.DataFrame, dims: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """transaction_key, transaction_id, FINISH_INPUT and the row columns, ordered
    by `fact_order` -> the contract's columns plus year/month. What is cheaper to
    compute in order than to gather into it is computed here: the member version of
    each row's date, the date's key, the amounts' midpoint."""
    date_key = pl.col("transaction_date_key")
    return (
        rows.with_columns(
            transaction_date_key=date_keys(dims["dim_dates"])("transaction_date"),
            amount_midpoint=(pl.col("amount_low") + pl.col("amount_high")) / 2.0,
            member_key=member_keys(rows, dims["dim_members"]),
        )
        .with_columns(year=date_key // 10000, month=date_key // 100 % 100)
        .select(*CONTRACT, *PARTITION)
    )


def outside_calendar(dates: pl.DataFrame) -> pl.Expr:
    """Rows whose dates dim_dates does not cover (they go to quarantine)."""
    lo, hi = dates["full_date"].min(), dates["full_date"].max()
    return ~(
        pl.col("transaction_date").is_between(lo, hi)
        & pl.col("notification_date").is_between(lo, hi)
    )
