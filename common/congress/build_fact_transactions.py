"""build_fact_transactions: silver PTR rows + dimensions -> the partitioned fact table.

`{"rebuild": true}` rebuilds everything; otherwise only silver rows that landed after
the watermark (or on/after `since_date`) are processed and only the partitions they
touch are rewritten. Crash safety: every partition is computed and validated before the
first write; partitions gaining rows are written before partitions only losing rows
(a version that moved month), stale files are deleted last, and the watermark advances
only after all of that succeeded, so rerunning the same event converges.
"""

from __future__ import annotations

import datetime as dt
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import polars as pl
from pydantic import BaseModel, ConfigDict

from common.congress import fact_ptr_transactions as fact
from common.congress.schemas import (
    DimAssets,
    DimDates,
    DimMembers,
    FactPtrTransactions,
    SilverPtrTransactions,
)
from common.congress.silver import scan_silver
from common.congress.tables import DIMENSIONS, FACT_PTR, fact_partition_key
from common.errors import InvalidEvent, MissingTable
from common.jobs import JobContext, TableJob
from common.observability import logger
from common.storage import Warehouse
from common.validation import split_valid

STATE_KEY = "congress/fact_ptr_transactions"


class BuildFactParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rebuild: bool = False
    since_date: dt.date | None = None


def load_dimensions(wh: Warehouse) -> dict[str, pl.DataFrame]:
    models = {"dim_members": DimMembers, "dim_assets": DimAssets, "dim_dates": DimDates}
    dims: dict[str, pl.DataFrame] = {}
    for name, key in DIMENSIONS.items():
        if not wh.exists(key):
            raise MissingTable(f"Dimension table {name} not found ({wh.uri(key)})")
        dims[name] = models[name].validate(pl.read_parquet(wh.uri(key)))
    return dims


def select_batch(
    silver: pl.LazyFrame, p: BuildFactParams, watermark: dt.datetime | None
) -> pl.LazyFrame:
    ts = pl.col("silver_ingest_ts")
    if p.rebuild:
        return silver
    if p.since_date:
        return silver.filter(ts >= dt.datetime.combine(p.since_date, dt.time()))
    return silver.filter(ts > watermark) if watermark else silver


def check_params(p: BuildFactParams, watermark: dt.datetime | None) -> None:
    if p.rebuild and p.since_date:
        raise InvalidEvent("since_date", "cannot be combined with rebuild=true")
    if p.since_date and watermark and p.since_date > watermark.date():
        raise InvalidEvent(
            "since_date",
            f"{p.since_date} is after the watermark {watermark.isoformat()}: "
            "silver rows in between would never be processed",
        )


def existing_keys(
    wh: Warehouse, files: list[str], ids: pl.Series
) -> tuple[pl.DataFrame, int]:
    """(transaction_id, transaction_key, file) of `ids` already built; the max key."""
    if not files:
        empty = pl.DataFrame(
            schema={
                "transaction_id": pl.String,
                "transaction_key": pl.Int64,
                "file": pl.String,
            }
        )
        return empty, 0
    index = wh.scan_parquet(files, include_file_paths="file").select(
        "transaction_id", "transaction_key", "file"
    )
    hits, top = pl.collect_all(
        [
            index.filter(pl.col("transaction_id").is_in(ids.implode())),
            index.select(pl.col("transaction_key").max()),
        ]
    )
    return hits.with_columns(pl.col("file").map_elements(wh.key_of, pl.String)), int(
        top.item() or 0
    )


def build(ctx: JobContext, p: BuildFactParams) -> dict[str, Any]:
    wh = ctx.warehouse
    dims = load_dimensions(wh)
    state = ctx.state.get(STATE_KEY) or {}
    watermark = (
        dt.datetime.fromisoformat(state["watermark"]) if "watermark" in state else None
    )
    check_params(p, watermark)
    silver = scan_silver(wh).select(list(SilverPtrTransactions.to_schema().columns))
    batch, rejected = split_valid(
        select_batch(silver, p, watermark).collect(), SilverPtrTransactions
    )
    high = batch["silver_ingest_ts"].max() if batch.height else None
    latest_df = fact.latest_versions(batch)
    del batch  # at 10M rows every full copy held costs gigabytes of peak memory
    off_calendar = fact.outside_calendar(dims["dim_dates"])
    rejected = pl.concat(
        [
            rejected,
            latest_df.filter(off_calendar)
            .select(rejected.columns[:-1])
            .with_columns(
                reason=pl.lit("transaction/notification date not in dim_dates")
            ),
        ],
        how="vertical_relaxed",
    )
    rows = fact.fact_rows(
        fact.with_dimension_keys(
            latest_df.lazy().filter(~off_calendar),
            dims["dim_members"].lazy(),
            dims["dim_assets"].lazy(),
        )
    ).collect(engine="in-memory")  # joins and sorts: faster than streaming here
    processed = latest_df.height
    del latest_df

    fact_files = wh.keys(FACT_PTR, ".parquet")
    if p.rebuild:
        hits, max_key = existing_keys(wh, [], rows["transaction_id"])
    else:
        hits, max_key = existing_keys(wh, fact_files, rows["transaction_id"])
    keyed = fact.assign_keys(
        rows,
        hits.select("transaction_id", "transaction_key").unique("transaction_id"),
        max_key,
    )
    del rows
    gaining, losing = plan_partitions(wh, keyed, hits, rebuild=p.rebuild)
    written = write_partitions(wh, gaining)
    written += write_partitions(wh, losing)
    stale = (
        [f for f in fact_files if f not in gaining]
        if p.rebuild
        else [f for f, df in losing.items() if df.is_empty()]
    )
    deleted = wh.delete(stale)
    quarantined = write_quarantine(wh, rejected)

    if high is not None and (watermark is None or high > watermark):  # type: ignore[operator]
        ctx.state.put(STATE_KEY, {"watermark": high.isoformat()})  # type: ignore[union-attr]
    return {
        "transactions_processed": processed,
        "files_written": written,
        "files_deleted": deleted,
        "quarantined": quarantined,
    }


def plan_partitions(
    wh: Warehouse, keyed: pl.DataFrame, hits: pl.DataFrame, rebuild: bool
) -> tuple[dict[str, pl.DataFrame], dict[str, pl.DataFrame]]:
    """Full contents of every partition to write, validated: (gaining, only losing)."""
    touched = keyed.select("transaction_id")
    # One sort, then each partition is a zero-copy slice of it (partition_by would
    # copy all the data once more).
    keyed = keyed.sort(*fact.PARTITION, "transaction_key")
    sizes = keyed.group_by(fact.PARTITION, maintain_order=True).len()
    gaining: dict[str, pl.DataFrame] = {}
    offset = 0
    for year, month, size in sizes.iter_rows():
        key = fact_partition_key(year, month)
        part = keyed.slice(offset, size).drop(fact.PARTITION)
        offset += size
        if not rebuild and wh.exists(key):
            kept = pl.read_parquet(wh.uri(key)).join(
                touched, on="transaction_id", how="anti"
            )
            part = pl.concat([kept, part]).sort("transaction_key")
        gaining[key] = part
    losing = {
        key: pl.read_parquet(wh.uri(key)).join(touched, on="transaction_id", how="anti")
        for key in hits["file"].unique()
        if key not in gaining
    }
    # One validation over everything about to be written (keys unique across it too).
    if rebuild:
        FactPtrTransactions.validate(keyed.drop(fact.PARTITION))
    elif frames := [*gaining.values(), *losing.values()]:
        FactPtrTransactions.validate(pl.concat(frames))
    return gaining, losing


def write_partitions(wh: Warehouse, parts: dict[str, pl.DataFrame]) -> int:
    todo = {k: df for k, df in parts.items() if not df.is_empty()}
    with ThreadPoolExecutor(max_workers=min(8, 2 * (os.cpu_count() or 1))) as pool:
        list(pool.map(lambda kv: wh.write_parquet(kv[1], kv[0]), todo.items()))
    return len(todo)


def write_quarantine(wh: Warehouse, rejected: pl.DataFrame) -> int:
    if rejected.height:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        key = f"quarantine/fact_ptr_transactions/{stamp}.parquet"
        wh.write_parquet(rejected, key)
        logger.warning("rows quarantined", extra={"rows": rejected.height, "key": key})
    return rejected.height


JOB = TableJob(
    name="build_fact_transactions",
    table="fact_ptr_transactions",
    params=BuildFactParams,
    run=build,
)
