"""Which fact partitions may hold a transaction id: the incremental run's lookup.

An incremental run must find the earlier versions of its ids, and a corrected
transaction_date can have put them in any month. Scanning every id of the table
costs about as much as the rest of a small run, so the job keeps this index in the
warehouse's `_state/` (never in the table's folder): the 64-bit hash of each
transaction_id and its partition as `YYYYMM`, in uncompressed Arrow IPC files.

It may over-report, never under-report: a stale entry (a version that has since moved)
or a hash collision only costs a partition read, because the job checks every hit
against the partition's own rows. So each run adds the entries of what it wrote before
its watermark moves, a rebuild replaces the index, and a run that finds none builds it
from the table. Polars' hashes are only stable within one Polars build, so the folder
is named after the hash of a fixed string: another build finds no index of its own.

Layout: `<folder>/base.arrow` plus one `delta-<uuid>.arrow` per incremental run,
merged into the base once there are `MAX_DELTAS` of them.
"""

from __future__ import annotations

import uuid

import polars as pl

from common.congress.tables import FACT_PTR, fact_partition_key
from common.storage import Warehouse

ROOT = "_state/congress/fact_ptr_transactions/index"
MAX_DELTAS = 32
EMPTY_TABLE = {"transaction_id": pl.String, "year": pl.Int32, "month": pl.Int32}


def folder() -> str:
    canary = pl.Series(["fact_ptr_transactions"]).hash().item()
    return f"{ROOT}/hash-{canary:016x}"


def entries(rows: pl.LazyFrame | pl.DataFrame) -> pl.LazyFrame:
    """Index entries of fact rows (transaction_id, year, month)."""
    return rows.lazy().select(
        h=pl.col("transaction_id").hash(),
        part=pl.col("year").cast(pl.Int32) * 100 + pl.col("month").cast(pl.Int32),
    )


def replace(wh: Warehouse, rows: pl.LazyFrame | pl.DataFrame) -> None:
    """Make the entries of `rows` the whole index."""
    replace_entries(wh, entries(rows).collect())


def replace_entries(wh: Warehouse, index: pl.DataFrame | None) -> None:
    """Make `index` (entries' frames concatenated; None: empty) the whole index."""
    if index is None:
        index = entries(pl.DataFrame(schema=EMPTY_TABLE)).collect()
    wh.delete(wh.keys(ROOT))  # an index of another Polars build is stale from now on
    wh.write_ipc(index, f"{folder()}/base.arrow")


def add(wh: Warehouse, rows: pl.DataFrame) -> None:
    """Record where `rows` now live (after an incremental run wrote them)."""
    if rows.is_empty():
        return
    deltas = [k for k in wh.keys(folder()) if "/delta-" in k]
    if len(deltas) + 1 < MAX_DELTAS:
        wh.write_ipc(
            entries(rows).collect(), f"{folder()}/delta-{uuid.uuid4().hex}.arrow"
        )
        return
    merged = pl.concat([read(wh), entries(rows)]).unique().collect()
    wh.write_ipc(merged, f"{folder()}/base.arrow")
    wh.delete(deltas)


def partitions(wh: Warehouse, ids: pl.Series) -> list[str]:
    """Keys of the partitions that may hold any of `ids`."""
    if not wh.exists(f"{folder()}/base.arrow"):
        rebuild(wh)
    hits = read(wh).filter(pl.col("h").is_in(ids.hash().implode()))
    found = hits.select(pl.col("part").unique()).collect().to_series()
    return sorted(fact_partition_key(p // 100, p % 100) for p in found)


def rebuild(wh: Warehouse) -> None:
    """Build the index from the table's own rows."""
    files = wh.keys(FACT_PTR, ".parquet")
    if files:
        replace(wh, wh.scan_parquet(files, hive_partitioning=True))
    else:
        replace(wh, pl.DataFrame(schema=EMPTY_TABLE))


def read(wh: Warehouse) -> pl.LazyFrame:
    frames = [wh.read_ipc(k) for k in wh.keys(folder(), ".arrow")]
    return pl.concat(frames).lazy()
