"""Silver `ptr_transactions`: every job that builds on it starts here, and both
chambers' ingest jobs write it the same way."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from common.congress.schemas import SilverPtrTransactions, polars_schema
from common.congress.tables import SILVER_PTR
from common.errors import MissingTable
from common.jobs import JobContext
from common.observability import logger
from common.storage import Warehouse

SCHEMA = polars_schema(SilverPtrTransactions)


def scan_silver(wh: Warehouse, row_index: str | None = None) -> pl.LazyFrame:
    """Every silver part under today's contract. Parts written before Senate ingest
    have no `chamber` or `asset_detail`: they are House rows, read as such.
    `row_index` names a column of each row's position (the scan's own, so filters
    still reach the Parquet reader)."""
    files = wh.keys(SILVER_PTR, ".parquet")
    if not files:
        raise MissingTable(f"Silver table {SILVER_PTR} has no Parquet files")
    return wh.scan_parquet(
        files,
        schema=SCHEMA,
        missing_columns="insert",
        extra_columns="ignore",
        cast_options=pl.ScanCastOptions(integer_cast="upcast"),
        row_index_name=row_index,
        parallel="prefiltered",  # a filter's columns are decoded first, then its rows
    ).with_columns(pl.col("chamber").fill_null("house"))


def silver_rows(parsed: pl.DataFrame, chamber: str, now: dt.datetime) -> pl.DataFrame:
    """A parsed source's valid rows (`reason` null) in the contract's columns and
    order; a column the chamber's filings do not have is null."""
    rows = parsed.filter(pl.col("reason").is_null()).with_columns(
        owner=pl.col("owner_parsed"),
        silver_ingest_ts=pl.lit(now),
        chamber=pl.lit(chamber),
    )
    return rows.select(
        pl.col(name) if name in rows.columns else pl.lit(None, dtype).alias(name)
        for name, dtype in SCHEMA.items()
    )


def part_key(digest: str) -> str:
    return f"{SILVER_PTR}/part-{digest}.parquet"


def write_new(ctx: JobContext, outputs: dict[str, pl.DataFrame]) -> int:
    """Write one source's outputs (silver rows, quarantined rows, ...), each at a key
    named by the source's content: the same source ingested again (a rerun after a
    crash, a duplicate trigger) finds them there and adds nothing. Empty frames are
    not written. Returns the files written."""
    wh = ctx.warehouse
    ctx.check_lease()
    written = 0
    for key, frame in outputs.items():
        if frame.height and not wh.exists(key):
            wh.write_parquet(frame, key)
            written += 1
    return written


def ingest_summary(
    results: list[tuple[pl.DataFrame, dict[str, int]]], counts: list[str], files: int
) -> dict[str, Any]:
    """What an ingest run returns: its files' `counts` added up, its silver rows,
    whom they name (member_summary) and how many files it took."""
    frames = [silver for silver, _ in results]
    silver = pl.concat(frames) if frames else pl.DataFrame(schema=SCHEMA)
    return {
        **{name: sum(c[name] for _, c in results) for name in counts},
        "silver_rows": silver.height,
        **member_summary(silver),
        "files_in": files,
    }


def member_summary(silver: pl.DataFrame) -> dict[str, Any]:
    """resolved_share and unresolved_names of an ingest's silver rows."""
    unresolved = sorted(
        set(silver.filter(pl.col("bioguide_id").is_null())["filer_name"].to_list())
    )
    if unresolved:
        logger.warning("filers not resolved to a member", extra={"names": unresolved})
    resolved = silver["bioguide_id"].is_not_null().sum()
    share = round(resolved / silver.height, 4) if silver.height else 0.0
    return {"resolved_share": share, "unresolved_names": unresolved}
