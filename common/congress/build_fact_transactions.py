"""build_fact_transactions: silver PTR rows + dimensions -> the partitioned fact table.

`{"rebuild": true}` rebuilds everything; otherwise only silver rows that landed after
the watermark (or on/after `since_date`) are processed and only the partitions they
touch are rewritten. Where earlier versions of those ids live comes from
`fact_index`, checked against the partitions' own rows.

Crash safety: every partition is computed and validated before the first write;
partitions gaining rows are written before partitions only losing rows (a version
that moved month), stale files are deleted next, then the index learns where the rows
went, and the watermark (with the highest key) advances only after all of that
succeeded, so rerunning the same event converges.
"""

from __future__ import annotations

import datetime as dt
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import polars as pl
from pydantic import BaseModel, ConfigDict

from common.congress import fact_contract, fact_index
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

STATE_KEY = "build_fact_transactions"  # the job's name, as every job state key
FORMER_STATE_KEY = "congress/fact_ptr_transactions"  # read until the next commit
# Silver's contract, for the columns the fact reads (the others stay unread).
SILVER_INPUT = SilverPtrTransactions.to_schema().select_columns(fact.SILVER_INPUT)
KEY_SCHEMA = {"transaction_id": pl.String, "transaction_key": pl.Int64}
WRITERS = min(8, 2 * (os.cpu_count() or 1))  # object IO waits more than it computes


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
        # A LazyFrame gets Pandera's schema checks (columns, types): the rows were
        # validated by the job that wrote them, and re-checking them costs more
        # than a small incremental run's own work.
        dims[name] = models[name].validate(pl.scan_parquet(wh.uri(key))).collect()
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


def check_params(
    p: BuildFactParams, watermark: dt.datetime | None, silver: pl.LazyFrame
) -> None:
    if p.rebuild and p.since_date:
        raise InvalidEvent("since_date", "cannot be combined with rebuild=true")
    if p.since_date and p.since_date > dt.datetime.now(dt.UTC).date():
        raise InvalidEvent("since_date", f"{p.since_date} is in the future")
    if p.since_date and watermark:
        # A since_date past the watermark is fine unless silver holds rows in between:
        # those would be behind the next watermark and never be processed.
        start = dt.datetime.combine(p.since_date, dt.time())
        ts = pl.col("silver_ingest_ts")
        between = silver.filter((ts > watermark) & (ts < start)).select(pl.len())
        skipped = between.collect().item() if start > watermark else 0
        if skipped:
            raise InvalidEvent(
                "since_date",
                f"{p.since_date} would skip {skipped} silver rows ingested after the "
                f"watermark {watermark.isoformat()} and before {start.isoformat()}; "
                "use an earlier since_date, or none",
            )


def build(ctx: JobContext, p: BuildFactParams) -> dict[str, Any]:
    wh = ctx.warehouse
    dims = load_dimensions(wh)
    state = ctx.load(STATE_KEY, FORMER_STATE_KEY) or {}
    watermark = (
        dt.datetime.fromisoformat(state["watermark"]) if "watermark" in state else None
    )
    silver = scan_silver(wh).select(fact.SILVER_INPUT)
    check_params(p, watermark, silver)
    migrated = 0 if p.rebuild else fact_contract.migrate(ctx, state)
    batch, rejected = split_valid(
        select_batch(silver, p, watermark).collect(), SILVER_INPUT
    )
    high = batch["silver_ingest_ts"].max() if batch.height else None
    batch = batch.with_columns(transaction_id=fact.transaction_id())
    latest = fact.latest_versions(batch)
    off = latest.select(fact.outside_calendar(dims["dim_dates"])).to_series()
    if off.any():
        reason = pl.lit("transaction/notification date not in dim_dates")
        off_rows = batch.gather(latest.filter(off)[fact.ROW])
        rejected = pl.concat(
            [rejected, off_rows.select(*fact.SILVER_INPUT, reason=reason)]
        )
        latest = latest.filter(~off)
    batch = batch.select(fact.CARRIED)  # frees what `latest` holds or nothing needs

    current: dict[str, pl.DataFrame] = {}
    existing, max_key = pl.DataFrame(schema=KEY_SCHEMA), 0
    if not p.rebuild:
        current = read_partitions(wh, touched_partitions(wh, latest))
        existing, max_key = known_keys(wh, current, latest, state)
    latest = (
        latest.with_columns(transaction_key=fact.assign_keys(latest, existing, max_key))
        .drop("first_seen")
        .rechunk()  # gathers across the batch's many chunks are slow
        .sort(fact.fact_order())
    )
    ordered = latest.drop(fact.ROW).hstack(
        fact.take(batch, latest[fact.ROW], fact.CARRIED)
    )
    del batch  # emptied by take
    rows = fact.fact_rows(ordered, dims)
    processed = latest.height
    del latest, ordered

    gaining, losing = plan_partitions(rows, current)
    # One validation over everything about to be written (keys unique across it).
    if p.rebuild:
        FactPtrTransactions.validate(rows.drop(fact.PARTITION))
    elif gaining or losing:
        FactPtrTransactions.validate(pl.concat([*gaining.values(), *losing.values()]))
    ctx.check_lease()
    written = write_partitions(wh, gaining) + write_partitions(wh, losing)
    emptied = [k for k, df in losing.items() if df.is_empty()]
    if p.rebuild:
        emptied = [k for k in wh.keys(FACT_PTR, ".parquet") if k not in gaining]
    deleted = ctx.delete(emptied)
    quarantined = write_quarantine(wh, rejected)
    if p.rebuild:
        fact_index.replace(wh, rows)
    else:
        fact_index.add(wh, rows)
    top = max(max_key, rows.select(pl.max("transaction_key")).item() or 0)
    updated = next_state(p.rebuild, watermark, high, top)
    if updated != state:
        ctx.commit(STATE_KEY, updated)
    return {
        "transactions_processed": processed,
        "files_written": written,
        "files_deleted": deleted,
        "quarantined": quarantined,
        **({"files_migrated": migrated} if migrated else {}),
    }


def next_state(
    rebuild: bool, watermark: dt.datetime | None, high: Any, top: int
) -> dict[str, Any]:
    """The watermark (a rebuild's is silver's newest row; otherwise it never moves
    back) and the highest key now in use (a since_date rerun can add keys too: rows
    quarantined earlier may fit an extended dim_dates)."""
    stamps = [t for t in (high, None if rebuild else watermark) if t is not None]
    newest = max(stamps) if stamps else watermark
    watermark_ = {"watermark": newest.isoformat()} if newest else {}
    return {"max_key": top, "contract": fact_contract.VERSION} | watermark_


def touched_partitions(wh: Warehouse, latest: pl.DataFrame) -> list[str]:
    """Existing partitions this batch can change: its months, and wherever the index
    says earlier versions of its ids may be."""
    date = pl.col("transaction_date").dt
    months = latest.select(date.year(), month=date.month()).unique()
    keys = {fact_partition_key(y, m) for y, m in months.iter_rows()}
    keys |= set(fact_index.partitions(wh, latest["transaction_id"]))
    return sorted(keys & set(wh.keys(FACT_PTR, ".parquet")))


def read_partitions(wh: Warehouse, keys: list[str]) -> dict[str, pl.DataFrame]:
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        frames = pool.map(lambda k: pl.read_parquet(wh.uri(k)), keys)
        return dict(zip(keys, frames, strict=True))


def known_keys(
    wh: Warehouse,
    current: dict[str, pl.DataFrame],
    latest: pl.DataFrame,
    state: dict[str, Any],
) -> tuple[pl.DataFrame, int]:
    """(transaction_id, transaction_key) of the batch's ids already in the table, and
    the highest key in use (the state's, or the table's when the state predates it;
    a crashed run may have written keys above the state's)."""
    old = (
        pl.concat(
            [df.select("transaction_id", "transaction_key") for df in current.values()]
        )
        if current
        else pl.DataFrame(schema=KEY_SCHEMA)
    )
    existing = old.join(
        latest.select("transaction_id"), on="transaction_id", how="semi"
    )
    top = state.get("max_key")
    if top is None:
        top = table_max_key(wh)
    read = old.select(pl.max("transaction_key")).item() or 0
    return existing.unique("transaction_id"), max(top, read)


def table_max_key(wh: Warehouse) -> int:
    files = wh.keys(FACT_PTR, ".parquet")
    if not files:
        return 0
    top = wh.scan_parquet(files).select(pl.col("transaction_key").max()).collect()
    return int(top.item() or 0)


def plan_partitions(
    rows: pl.DataFrame, current: dict[str, pl.DataFrame]
) -> tuple[dict[str, pl.DataFrame], dict[str, pl.DataFrame]]:
    """(gaining, losing): the full new contents of every partition the run changes.
    Gaining ones receive this run's rows; losing ones only lose rows that moved to
    another month (left empty, the file goes)."""
    gaining: dict[str, pl.DataFrame] = {}
    offset = 0
    # `rows` is ordered by transaction date, so each month is one zero-copy slice.
    months = rows.select(pl.col("year").cast(pl.Int32) * 100 + pl.col("month"))
    for size, month in months.to_series().rle().struct.unnest().iter_rows():
        key = fact_partition_key(month // 100, month % 100)
        gaining[key] = rows.slice(offset, size).drop(fact.PARTITION)
        offset += size
    touched = ~pl.col("transaction_id").is_in(rows["transaction_id"].implode())
    plans = {
        key: pl.concat([old.lazy().filter(touched), gaining[key].lazy()]).sort(
            "transaction_date_key", "transaction_key"
        )
        if key in gaining
        else old.lazy().filter(touched)
        for key, old in current.items()
    }
    losing: dict[str, pl.DataFrame] = {}
    done = pl.collect_all(plans.values(), engine="in-memory")
    for key, new in zip(plans, done, strict=True):
        if key in gaining:
            gaining[key] = new
        elif new.height < current[key].height:
            losing[key] = new
    return gaining, losing


def write_partitions(wh: Warehouse, parts: dict[str, pl.DataFrame]) -> int:
    todo = {k: df for k, df in parts.items() if not df.is_empty()}
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        list(pool.map(lambda kv: wh.write_parquet(kv[1], kv[0]), todo.items()))
    return len(todo)


def write_quarantine(wh: Warehouse, rejected: pl.DataFrame) -> int:
    if rejected.height:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        key = f"quarantine/fact_ptr_transactions/{stamp}.parquet"
        wh.write_parquet(rejected, key)
        logger.warning("rows quarantined", extra={"rows": rejected.height, "key": key})
    return rejected.height


JOB = TableJob("build_fact_transactions", BuildFactParams, build)
