"""build_fact_transactions: silver PTR rows + dimensions -> the partitioned fact table.

`{"rebuild": true}` rebuilds everything, one `transactions.parquet` per month, a
group of months at a time (`fact_rebuild`).
Otherwise only silver rows that landed after the watermark (or on/after `since_date`)
are processed, and an increment costs what its rows cost: brand-new transaction ids
are appended to their months as `transactions-<digest>.parquet` without reading or
rewriting anything; only months that hold an older version of one of the run's ids
(where, comes from `fact_index`, checked against the months' own rows) are rewritten,
their appended files folded in. A month holding more than MAX_APPENDED appended files
is compacted by the run that adds one more (and by every rebuild). Readers see one row
per transaction id across a month's files.

Crash safety (an increment; a rebuild's is in `fact_rebuild`): every partition is
computed and validated before the first write; the
index learns where the run's ids go before anything is written (it may over-report,
never under-report, so a rerun finds whatever a crashed run appended); partitions
gaining rows are written before partitions only losing rows (a version that moved
month), stale files are deleted next, and the watermark (with the highest key)
advances only after all of that succeeded, so rerunning the same event converges.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import polars as pl
from pydantic import BaseModel, ConfigDict

from common.congress import fact_contract, fact_index, fact_rebuild
from common.congress import fact_ptr_transactions as fact
from common.congress.fact_rebuild import SILVER_INPUT, WRITERS, write_partitions
from common.congress.schemas import (
    DimAssets,
    DimDates,
    DimMembers,
    FactPtrTransactions,
)
from common.congress.silver import scan_silver
from common.congress.tables import (
    DIMENSIONS,
    FACT_PTR,
    appended_key,
    fact_partition_key,
    month_folder,
)
from common.errors import InvalidEvent, MissingTable
from common.jobs import JobContext, TableJob
from common.observability import logger
from common.storage import Warehouse
from common.validation import split_valid

STATE_KEY = "build_fact_transactions"  # the job's name, as every job state key
FORMER_STATE_KEY = "congress/fact_ptr_transactions"  # read until the next commit
KEY_SCHEMA = {"transaction_id": pl.String, "transaction_key": pl.Int64}
# Appended files a month may hold: each costs readers an object and its footer.
MAX_APPENDED = 8


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
    if p.rebuild:
        done = fact_rebuild.rebuild(ctx, dims)
        summary = {
            "transactions_processed": done.processed,
            "files_written": done.written,
            "files_appended": 0,
            "files_deleted": done.deleted,
            "months_compacted": 0,
        }
        rejected, high, top = done.rejected, done.high, done.top
    else:
        summary, rejected, high, top = increment(ctx, dims, state, watermark, p, silver)
    summary["quarantined"] = write_quarantine(wh, rejected)
    updated = next_state(p.rebuild, watermark, high, top)
    if updated != state:
        ctx.commit(STATE_KEY, updated)
    return summary


def increment(
    ctx: JobContext,
    dims: dict[str, pl.DataFrame],
    state: dict[str, Any],
    watermark: dt.datetime | None,
    p: BuildFactParams,
    silver: pl.LazyFrame,
) -> tuple[dict[str, Any], pl.DataFrame, Any, int]:
    """(summary, rejected rows, newest silver stamp, highest key) of a run over the
    silver rows after the watermark (or since since_date)."""
    wh = ctx.warehouse
    migrated = fact_contract.migrate(ctx, state)
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

    months = month_files(wh)
    current = read_partitions(wh, touched_partitions(wh, latest, months), months)
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
    # months that exist and hold no older version of the run's ids only get appended
    kept = [k for k in gaining if k in months and k not in current]
    appends = {k: gaining.pop(k) for k in kept}
    # One validation over everything about to be written (keys unique across it).
    if gaining or losing or appends:
        parts = [*gaining.values(), *losing.values(), *appends.values()]
        FactPtrTransactions.validate(pl.concat(parts))
    fact_index.add(wh, rows)
    ctx.check_lease()
    appended = write_appends(wh, appends)
    written = len(write_partitions(wh, gaining)) + len(appended)
    written += len(write_partitions(wh, losing))
    # a rewritten month's appended files are folded into its base now
    rewritten = [b for b in current if b in gaining or b in losing]
    stale = [k for b in rewritten for k in months[b] if k != b]
    emptied = [k for b, df in losing.items() if df.is_empty() for k in months[b]]
    deleted = ctx.delete(sorted(set(emptied) | set(stale)))
    compacted = compact(ctx, months, appended)
    top = max(max_key, rows.select(pl.max("transaction_key")).item() or 0)
    summary = {
        "transactions_processed": processed,
        "files_written": written,
        "files_appended": len(appended),
        "files_deleted": deleted + compacted["files_deleted"],
        "months_compacted": compacted["months"],
        **({"files_migrated": migrated} if migrated else {}),
    }
    return summary, rejected, high, top


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


def month_files(wh: Warehouse) -> dict[str, list[str]]:
    """Every month of the table (by its base key) and its files, the base first."""
    months: dict[str, list[str]] = {}
    for key in sorted(wh.keys(FACT_PTR, ".parquet")):
        months.setdefault(month_folder(key) + "transactions.parquet", []).append(key)
    for base, files in months.items():
        files.sort(key=lambda k: k != base)
    return months


def touched_partitions(
    wh: Warehouse, latest: pl.DataFrame, months: dict[str, list[str]]
) -> list[str]:
    """Months this batch must rewrite: wherever the index says earlier versions of its
    ids may be. Its brand-new ids only append."""
    hits = fact_index.partitions(wh, latest["transaction_id"])
    return sorted(set(hits) & set(months))


def read_month(wh: Warehouse, files: list[str]) -> pl.DataFrame:
    """A month's rows across its files; one row per id (a crash between a rewrite and
    the deletion of the files it folded in leaves copies: the base's wins)."""
    frames = [pl.read_parquet(wh.uri(k)) for k in files]
    whole = pl.concat(frames, how="vertical_relaxed") if len(frames) > 1 else frames[0]
    if len(frames) > 1:
        whole = whole.unique("transaction_id", keep="first", maintain_order=True)
    return whole


def read_partitions(
    wh: Warehouse, keys: list[str], months: dict[str, list[str]]
) -> dict[str, pl.DataFrame]:
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        frames = pool.map(lambda k: read_month(wh, months[k]), keys)
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


def write_appends(wh: Warehouse, appends: dict[str, pl.DataFrame]) -> dict[str, str]:
    """Each month's new rows as an appended file named by its content (a rerun
    writes the same name): {base key: appended key}."""
    keys = {}
    for base, df in appends.items():
        ids = df.select(pl.format("{}:{}", "transaction_id", "transaction_key"))
        digest = hashlib.sha256("\n".join(ids.to_series()).encode()).hexdigest()
        keys[base] = appended_key(base, digest[:16])
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        list(pool.map(lambda b: wh.write_parquet(appends[b], keys[b]), appends))
    return keys


def compact(
    ctx: JobContext, months: dict[str, list[str]], appended: dict[str, str]
) -> dict[str, int]:
    """Fold the appended files of every month that now holds more than MAX_APPENDED
    into its base (written whole first, then the folded files go)."""
    wh, folded, months_done = ctx.warehouse, 0, 0
    for base, new in appended.items():
        files = [*months[base], new]
        if len(files) - 1 <= MAX_APPENDED:
            continue
        rows = read_month(wh, files).sort("transaction_date_key", "transaction_key")
        ctx.check_lease()
        wh.write_parquet(rows, base)
        folded += ctx.delete([k for k in files if k != base])
        months_done += 1
    return {"months": months_done, "files_deleted": folded}


def write_quarantine(wh: Warehouse, rejected: pl.DataFrame) -> int:
    if rejected.height:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        key = f"quarantine/fact_ptr_transactions/{stamp}.parquet"
        wh.write_parquet(rejected, key)
        logger.warning("rows quarantined", extra={"rows": rejected.height, "key": key})
    return rejected.height


JOB = TableJob("build_fact_transactions", BuildFactParams, build)
