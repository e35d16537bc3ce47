"""Which fact files may hold a transaction id: the incremental run's lookup.

An incremental run must find the earlier versions of its ids, and a corrected
transaction_date can have put them in any month. Scanning every id of the table
costs about as much as the rest of a small run, so the job keeps this index in the
warehouse's `_state/` (never in the table's folder): the 64-bit hash of each
transaction_id, its partition as `YYYYMM` and its file (`tables.file_id`, the CRC-32
of the file's name), in uncompressed Arrow IPC files. A correction then rewrites only
the files holding an older version, not the months.

It may over-report, never under-report: a stale entry (a version that has since moved)
or a hash collision only costs a file read, because the job checks every hit
against the file's own rows. So each run adds the entries of what it writes before
writing it, a rebuild replaces the index, and a run that finds none builds it
from the table. Polars' hashes are only stable within one Polars build, so the folder
is named after the hash of a fixed string: another build finds no index of its own.
The folder's name also carries the layout (LAYOUT): an index of an earlier layout is
not found either, so the first run after an upgrade builds the new one from the table.

Layout: `<folder>/base.arrow` plus one `delta-<uuid>.arrow` per incremental run,
merged into the base once there are `MAX_DELTAS` of them. A rebuild stages its
entries a group at a time (holding them all would cost 16 bytes a row at its peak)
and publishes them as the base and deltas at its end.
"""

from __future__ import annotations

import uuid

import polars as pl

from common.congress.tables import FACT_PTR, file_id, partition_of
from common.storage import Warehouse

ROOT = "_state/congress/fact_ptr_transactions/index"
LAYOUT = 2  # 1: (h, part), in `hash-<canary>/`; 2: (h, part, file)
MAX_DELTAS = 32
EMPTY = {"h": pl.UInt64, "part": pl.Int32, "file": pl.UInt32}


def folder() -> str:
    canary = pl.Series(["fact_ptr_transactions"]).hash().item()
    return f"{ROOT}/v{LAYOUT}-hash-{canary:016x}"


def entries(rows: pl.DataFrame | pl.LazyFrame, key: str | pl.Expr) -> pl.DataFrame:
    """Index entries of the fact rows of file `key` (or of an expression giving
    each row's file id)."""
    file = pl.lit(file_id(key), pl.UInt32) if isinstance(key, str) else key
    part = pl.col("transaction_date_key") // 100
    return (
        rows.lazy()
        .select(h=pl.col("transaction_id").hash(), part=part.cast(pl.Int32), file=file)
        .collect()
    )


def replace(wh: Warehouse, index: pl.DataFrame | None) -> None:
    """Make `index` (entries' frames concatenated; None: empty) the whole index."""
    if index is None:
        index = pl.DataFrame(schema=EMPTY)
    drop(wh)  # another build's or layout's index is stale from now on
    wh.write_ipc(index, f"{folder()}/base.arrow")


def drop(wh: Warehouse) -> None:
    """Delete the index (any build's, any layout's) and any staged entries: the
    next run builds it."""
    wh.delete(wh.keys(ROOT))


def stage(wh: Warehouse, run: str, part: int, index: pl.DataFrame) -> None:
    """Keep part of a rebuild's entries out of memory until `publish`: staged
    entries are invisible to readers of the index."""
    wh.write_ipc(index, f"{ROOT}/staged-{run}/{part:06d}.arrow")


def publish(wh: Warehouse, run: str) -> None:
    """Make a rebuild's staged entries the whole index (after `drop` and once every
    file they name is written): the first part becomes the base, the others deltas,
    the base last, so a crash in between leaves no base and the next run builds
    the index from the table."""
    staged = wh.keys(f"{ROOT}/staged-{run}", ".arrow")
    if not staged:
        return replace(wh, None)
    for i, key in enumerate(staged[1:], start=1):
        wh.rename(key, f"{folder()}/delta-{run}-{i:06d}.arrow")
    wh.rename(staged[0], f"{folder()}/base.arrow")


def add(wh: Warehouse, index: pl.DataFrame) -> None:
    """Record where rows are about to live (before an incremental run writes them)."""
    if index.is_empty():
        return
    deltas = [k for k in wh.keys(folder()) if "/delta-" in k]
    if len(deltas) + 1 < MAX_DELTAS:
        wh.write_ipc(index, f"{folder()}/delta-{uuid.uuid4().hex}.arrow")
        return
    merged = pl.concat([read(wh), index.lazy()]).unique().collect()
    wh.write_ipc(merged, f"{folder()}/base.arrow")
    wh.delete(deltas)


def files(wh: Warehouse, ids: pl.Series, months: dict[str, list[str]]) -> list[str]:
    """Keys of the files that may hold any of `ids`, among `months` (each month's
    base key and its files)."""
    if not wh.exists(f"{folder()}/base.arrow"):
        rebuild(wh)
    hits = read(wh).filter(pl.col("h").is_in(ids.hash().implode()))
    found = hits.select("part", "file").unique().collect().rows()
    by_id = {(partition_of(k), file_id(k)): k for ks in months.values() for k in ks}
    return sorted({by_id[hit] for hit in found if hit in by_id})


def rebuild(wh: Warehouse) -> None:
    """Build the index from the table's own rows."""
    keys = wh.keys(FACT_PTR, ".parquet")
    if not keys:
        return replace(wh, None)
    paths = wh.scan_parquet(keys, include_file_paths="path")
    ids = {wh.uri(k): file_id(k) for k in keys}
    file = pl.col("path").replace_strict(ids, return_dtype=pl.UInt32)
    replace(wh, entries(paths, file))


def read(wh: Warehouse) -> pl.LazyFrame:
    frames = [wh.read_ipc(k) for k in wh.keys(folder(), ".arrow")]
    return pl.concat(frames).lazy()
