"""build_fact_transactions: silver PTR rows + dimensions -> the partitioned fact table.

`{"rebuild": true}` rebuilds everything, each month as files of at most
`fact_rebuild.FILE_ROWS` rows, a group of months at a time (`fact_rebuild`).
Otherwise only silver rows that landed after the watermark (or on/after `since_date`)
are processed, and an increment costs what its rows cost: every processed
transaction is appended to its month as `transactions-<digest>.parquet` (a month
without files gets `transactions.parquet`), and only the files that hold an older
version of one of the run's ids (which, comes from `fact_index`, checked against the
files' own rows) are rewritten without it. A month holding more than MAX_APPENDED
appended files has them folded into one by the run that adds one more. Readers see
one row per transaction id across a month's files.

Crash safety (an increment; a rebuild's is in `fact_rebuild`): every file is computed
and validated before the first write; the index learns where the run's rows go
before they are written (it may over-report, never under-report, so a rerun finds
whatever a crashed run wrote); new versions are written before the files holding
old ones are rewritten (a crash leaves a copy, never a gap), emptied files are
deleted next, and the watermark (with the highest key) advances only after all of
that succeeded, so rerunning the same event converges.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
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
    is_chunk,
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
    ids = latest["transaction_id"]
    found = read_found(wh, fact_index.files(wh, ids, months), ids)
    existing, max_key = known_keys(wh, found, state)
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

    # The run's rows go to their months: a new month's base, else an appended file.
    new = {
        key: df
        for base, df in fact_rebuild.by_month(rows).items()
        for key in [appended_key(base, rows_digest(df)) if base in months else base]
    }
    # Files holding older versions lose them (a rerun's own appended file excepted).
    losing = {
        key: f.kept for key, f in found.items() if key not in new and f.older.height
    }
    if new:
        FactPtrTransactions.validate(pl.concat(new.values()))
    if losing:
        # What they keep was validated when first written: columns and types only
        # (docs/decisions.md, "A rewritten file's rows").
        FactPtrTransactions.validate(pl.concat([df.lazy() for df in losing.values()]))
    fact_index.add(wh, fact_rebuild.index_entries(rows, new))
    ctx.check_lease()
    # new versions before old ones go: a crash leaves a copy for the rerun, never a gap
    written = write_partitions(wh, new)
    written += write_partitions(wh, losing)
    deleted = ctx.delete(sorted(k for k, df in losing.items() if df.is_empty()))
    appended = {month_base(k): k for k in new if not is_chunk(k)}
    compacted = compact(ctx, months, appended, set(losing) - set(written))
    top = max(max_key, rows.select(pl.max("transaction_key")).item() or 0)
    summary = {
        "transactions_processed": processed,
        "files_written": len(written),
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
    """Every month of the table (by its base key) and its files."""
    months: dict[str, list[str]] = {}
    for key in wh.keys(FACT_PTR, ".parquet"):
        months.setdefault(month_base(key), []).append(key)
    return months


def month_base(key: str) -> str:
    """The base key of the month holding the fact file `key`."""
    return month_folder(key) + "transactions.parquet"


@dataclass
class Found:
    """A fact file that may hold older versions of a run's ids (`fact_index`)."""

    kept: pl.DataFrame  # its rows that are not
    older: pl.DataFrame  # transaction_id, transaction_key of those that are
    top: int  # its highest key


def read_found(wh: Warehouse, keys: list[str], ids: pl.Series) -> dict[str, Found]:
    """Read each of `keys` and split it by whether a row is an older version of one
    of `ids` (in the readers' threads: it costs as much as the read)."""

    def one(key: str) -> Found:
        df = pl.read_parquet(wh.uri(key))
        older = df["transaction_id"].is_in(ids)  # once: both halves filter on it
        top = df.select(pl.max("transaction_key")).item() or 0
        return Found(
            df.filter(~older),
            df.filter(older).select("transaction_id", "transaction_key"),
            top,
        )

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        return dict(zip(keys, pool.map(one, keys), strict=True))


def digest(lines: Iterable[str]) -> str:
    """A file name's suffix from what the file holds: the same lines (a rerun's)
    give the same name."""
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


def rows_digest(rows: pl.DataFrame) -> str:
    ids = rows.select(pl.format("{}:{}", "transaction_id", "transaction_key"))
    return digest(ids.to_series())


def known_keys(
    wh: Warehouse, found: dict[str, Found], state: dict[str, Any]
) -> tuple[pl.DataFrame, int]:
    """(transaction_id, transaction_key) of the run's ids already in the table, and
    the highest key in use (the state's, or the table's when the state predates it;
    a crashed run may have written keys above the state's)."""
    older = [f.older for f in found.values()]
    existing = pl.concat(older) if older else pl.DataFrame(schema=KEY_SCHEMA)
    top = state.get("max_key")
    if top is None:
        top = table_max_key(wh)
    read = max((f.top for f in found.values()), default=0)
    return existing.unique("transaction_id"), max(top, read)


def table_max_key(wh: Warehouse) -> int:
    files = wh.keys(FACT_PTR, ".parquet")
    if not files:
        return 0
    top = wh.scan_parquet(files).select(pl.col("transaction_key").max()).collect()
    return int(top.item() or 0)


def compact(
    ctx: JobContext,
    months: dict[str, list[str]],
    appended: dict[str, str],
    gone: set[str],
) -> dict[str, int]:
    """Fold the appended files of every month that now holds more than MAX_APPENDED
    of them (`months` as listed before the run, less `gone`, plus `appended`) into
    one, named by what it folds: written first, with its index entries, then the
    folded files go. A rerun after a crash in between folds the same files (and
    the copies: one row per id, the first file's) into the same name."""
    wh, folded, months_done = ctx.warehouse, 0, 0
    for base, new in appended.items():
        files = [k for k in months.get(base, []) if k not in gone] + [new]
        extra = sorted({k for k in files if not is_chunk(k)})
        if len(extra) <= MAX_APPENDED:
            continue
        frames = [pl.read_parquet(wh.uri(k)) for k in extra]
        rows = (
            pl.concat(frames, how="vertical_relaxed")
            .unique("transaction_id", keep="first", maintain_order=True)
            .sort("transaction_date_key", "transaction_key")
        )
        key = appended_key(base, digest(extra))
        fact_index.add(wh, fact_index.entries(rows, key))
        ctx.check_lease()
        wh.write_parquet(rows, key)
        folded += ctx.delete([k for k in extra if k != key])
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
