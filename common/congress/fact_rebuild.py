"""The fact table's full rebuild, in bounded memory.

At 10M silver rows the batch and the output are each over a gigabyte as whole frames,
so a rebuild holds neither:

1. Months are cut into groups of about GROUP_ROWS silver rows (a scan of one column).
2. Silver is read and validated a chunk at a time; only what dedupe and keys need
   stays (the id, its stamp and date, whether dim_dates covers its dates, and the
   row's position in silver).
3. Latest versions and keys are computed over every id at once (a key is a rank over
   the whole table), moving columns rather than copying them.
4. Each group in turn reads its rows back from silver (a scan filtered on the
   group's dates: the reader decodes the date column, then only matching rows),
   computing the fact's row-wise columns as it reads (`fact.row_columns`, on the
   streaming engine), and picks its latest versions by position (a latest version
   lies in the group of its own date). They are put in fact order, finished
   (`fact.finish`), validated and written, while the next group is computed.

Peak memory is step 3's narrow columns, or two groups (each group's index entries
are staged as a file, not held: `fact_index.stage`); re-reading costs about a third
of a full read per group (benchmarks/README.md).

Failure: every partition is validated before it is written, but groups are written one
after another, so a failure in a later group leaves the earlier groups' months
rebuilt and the others as they were: each month is whole and valid either way, and
the state is untouched. The fact index is deleted before anything is written (a
rebuild moves ids between file names, so the old index would under-report), so
the next run, a rerun of the rebuild or an increment, finds none and builds it
from the table; either converges (docs/decisions.md).
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import pandera.polars as pa
import polars as pl

from common.congress import fact_index
from common.congress import fact_ptr_transactions as fact
from common.congress.schemas import FactPtrTransactions, SilverPtrTransactions
from common.congress.silver import scan_silver
from common.congress.tables import FACT_PTR, chunk_key, fact_partition_key, file_id
from common.jobs import JobContext
from common.storage import Warehouse
from common.validation import split_valid

SR = "__silver_row__"  # a row's position in silver, as scanned
# Silver's contract for the columns the fact reads, and the row's position.
SILVER_INPUT = SilverPtrTransactions.to_schema().select_columns(fact.SILVER_INPUT)
POSITIONED = SILVER_INPUT.add_columns({SR: pa.Column(pl.UInt32)})
CHUNK_ROWS = 2_000_000  # silver rows validated at once
GROUP_ROWS = 2_000_000  # silver rows built into facts at once (whole months: about)
# A month's files hold at most this many rows: a correction rewrites the file holding
# the older version, so this bounds what one corrected row costs (benchmarks/README).
FILE_ROWS = 10_000
WRITERS = min(8, 2 * (os.cpu_count() or 1))  # object IO waits more than it computes


@dataclass
class Rebuilt:
    processed: int
    written: int
    deleted: int
    rejected: pl.DataFrame
    high: dt.datetime | None  # silver's newest stamp
    top: int  # the highest key


def rebuild(ctx: JobContext, dims: dict[str, pl.DataFrame]) -> Rebuilt:
    wh = ctx.warehouse
    silver = scan_silver(wh, SR).select(SR, *fact.SILVER_INPUT)
    # Files are about to move between names, so the index could under-report until
    # it is replaced: without one, a run after a crash builds it from the table.
    fact_index.drop(wh)
    starts = group_starts(silver)
    ids, rejected = valid_ids(silver, dims["dim_dates"])
    high = ids.select(pl.max("silver_ingest_ts")).item()
    winners = fact.latest_rows(ids)
    # each column moved, not copied: at 20M rows a copy of the ids is 700 MB
    moved = [SR, "transaction_date", "transaction_id", "outside"]
    latest = fact.take(ids, winners[fact.ROW], moved).hstack(
        winners.select("first_seen")
    )
    del ids, winners
    off = latest["outside"]
    if off.any():
        rejected = pl.concat([rejected, outside_calendar(silver, latest[SR], off)])
        latest = latest.filter(~off)
    keys = fact.assign_keys(latest, pl.DataFrame(), 0)
    plan = latest.select(SR, "transaction_date", transaction_key=keys)
    del latest, keys
    plan = plan.sort(fact.fact_order())
    run = uuid.uuid4().hex
    written = build_groups(ctx, dims, plan, silver, starts, run)
    kept = set(written)
    stale = [k for k in wh.keys(FACT_PTR, ".parquet") if k not in kept]
    deleted = ctx.delete(stale)
    fact_index.publish(wh, run)
    top = plan.select(pl.max("transaction_key")).item() or 0
    return Rebuilt(plan.height, len(written), deleted, rejected, high, top)


def group_starts(silver: pl.LazyFrame) -> pl.Series:
    """The first month (YYYYMM) of each group: runs of whole months of about
    GROUP_ROWS silver rows."""
    counts = (  # months of the few thousand dates, not of every row: a third the time
        silver.group_by("transaction_date")
        .len()
        .group_by(month=month_of("transaction_date"))
        .agg(pl.sum("len"))
        .sort("month")
        .collect()
    )
    starts, size = [], GROUP_ROWS
    for month, n in counts.iter_rows():
        if size >= GROUP_ROWS:
            starts.append(month)
            size = 0
        size += n
    return pl.Series("start", starts or [0], pl.Int32)


def month_of(date: str) -> pl.Expr:
    return pl.col(date).dt.year() * 100 + pl.col(date).dt.month().cast(pl.Int32)


def month_start(yyyymm: int) -> dt.date:
    return dt.date(yyyymm // 100, yyyymm % 100, 1)


def group_slices(plan: pl.DataFrame, starts: pl.Series) -> list[tuple[int, int]]:
    """(offset, length) of each group's rows in `plan` (ordered by date): a
    transaction_date before the first start is in the first group."""
    firsts = [month_start(m) for m in starts[1:]]
    cuts = plan["transaction_date"].search_sorted(pl.Series(firsts, dtype=pl.Date))
    bounds = [0, *cuts.to_list(), plan.height]
    return [(a, b - a) for a, b in itertools.pairwise(bounds)]


def valid_ids(
    silver: pl.LazyFrame, dates: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(every valid row's position, transaction_id, silver_ingest_ts,
    transaction_date and whether its dates are `outside` dim_dates; the invalid rows
    with their reasons)."""
    total = silver.select(pl.len()).collect().item()
    kept, rejected = [], []
    for start in range(0, max(total, 1), CHUNK_ROWS):  # an empty silver too
        valid, bad = split_valid(silver.slice(start, CHUNK_ROWS).collect(), POSITIONED)
        rejected.append(bad.drop(SR))
        kept.append(
            valid.select(
                SR,
                "silver_ingest_ts",
                "transaction_date",
                transaction_id=fact.transaction_id(),
                outside=fact.outside_calendar(dates),
            )
        )
    ids = pl.concat(kept, rechunk=False)
    del kept
    # one column at a time: a whole-frame rechunk would hold two copies at once
    ids = pl.DataFrame([ids.drop_in_place(c).rechunk() for c in list(ids.columns)])
    return ids, pl.concat(rejected)


def outside_calendar(
    silver: pl.LazyFrame, positions: pl.Series, off: pl.Series
) -> pl.DataFrame:
    """Silver rows of latest versions dim_dates does not cover, with their reason."""
    reason = pl.lit("transaction/notification date not in dim_dates")
    rows = silver.filter(pl.col(SR).is_in(positions.filter(off).implode()))
    return rows.select(*fact.SILVER_INPUT, reason=reason).collect()


def build_groups(
    ctx: JobContext,
    dims: dict[str, pl.DataFrame],
    plan: pl.DataFrame,
    silver: pl.LazyFrame,
    starts: pl.Series,
    run: str,
) -> list[str]:
    """Build, validate and write each group's partitions, staging their index
    entries under `run`; returns the keys written."""
    written: list[str] = []
    # A group is written while the next is computed (object IO and compression
    # overlap reading and transforming): at most two groups are held at once.
    with ThreadPoolExecutor(max_workers=1) as writer:
        pending: Future[list[str]] | None = None
        for group, (offset, size) in enumerate(group_slices(plan, starts)):
            if not size:  # no latest version dated in its months
                continue
            part = plan.slice(offset, size)
            source = silver.filter(dated(group, starts))
            rows = fact.finish(carried(source, part, dims), dims)
            FactPtrTransactions.validate(rows.drop(fact.PARTITION))
            files = by_file(rows)
            entries = index_entries(rows, files)
            written += pending.result() if pending else []
            ctx.check_lease()  # a writer that lost its lease writes nothing more
            fact_index.stage(ctx.warehouse, run, group, entries)
            pending = writer.submit(write_partitions, ctx.warehouse, files)
            del rows, part, entries
        written += pending.result() if pending else []
    return written


def dated(group: int, starts: pl.Series) -> pl.Expr:
    """Rows whose transaction_date is in the group (see group_slices)."""
    date = pl.col("transaction_date")
    after = date >= month_start(starts[group]) if group else pl.lit(True)
    if group + 1 < len(starts):
        return after & (date < month_start(starts[group + 1]))
    return after


def carried(
    silver: pl.LazyFrame, part: pl.DataFrame, dims: dict[str, pl.DataFrame]
) -> pl.DataFrame:
    """The rows of `part` (SR, transaction_date, transaction_key), in its order,
    with what `fact.finish` needs, computed from `silver` (filtered to rows holding
    `part`'s) as it is read."""
    in_order = ["transaction_key", "transaction_date"]  # `part` has them in order
    columns = silver.select(
        SR,
        *[c for c in fact.FINISH_INPUT if c not in in_order],
        transaction_id=fact.transaction_id(),
        **fact.row_columns(dims),
    ).collect(engine="streaming")
    positions = columns.drop_in_place(SR).rechunk()
    # where each silver position sits in `columns`: a lookup table over their span
    first, last = int(positions.min() or 0), int(positions.max() or 0)  # type: ignore[arg-type]
    span = pl.Series(SR, [0], pl.UInt32).extend_constant(0, last - first)
    index = pl.int_range(columns.height, dtype=pl.UInt32, eager=True)
    at = span.scatter(positions - first, index).gather(part[SR] - first)
    if not positions.gather(at).equals(part[SR], check_names=False):
        raise RuntimeError("a latest version is missing from its group's silver rows")
    return part.select(in_order).hstack(
        fact.take(columns, at, columns.columns)
    )


def by_month(rows: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Each month's rows of `rows` (in fact order, so each is a zero-copy slice)."""
    parts: dict[str, pl.DataFrame] = {}
    offset = 0
    months = rows.select(pl.col("year").cast(pl.Int32) * 100 + pl.col("month"))
    for size, month in months.to_series().rle().struct.unnest().iter_rows():
        key = fact_partition_key(month // 100, month % 100)
        parts[key] = rows.slice(offset, size).drop(fact.PARTITION)
        offset += size
    return parts


def by_file(rows: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Each month's rows of `rows` as files of at most FILE_ROWS rows, their sizes
    differing by one at most."""
    files = {}
    for base, month in by_month(rows).items():
        n = -(-month.height // FILE_ROWS)
        cuts = [i * month.height // n for i in range(n + 1)]
        for i in range(n):
            files[chunk_key(base, i)] = month.slice(cuts[i], cuts[i + 1] - cuts[i])
    return files


def index_entries(rows: pl.DataFrame, files: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """The fact index's entries of `rows`, which `files` (by_month's or by_file's
    of `rows`: key -> its slice, in order) split into files."""
    ids, sizes = [file_id(k) for k in files], [df.height for df in files.values()]
    counts = pl.DataFrame(
        {"file": ids, "n": sizes}, schema={"file": pl.UInt32, "n": pl.UInt32}
    )
    file = counts.select(pl.col("file").repeat_by("n")).explode("file").to_series()
    return fact_index.entries(rows, pl.lit(file))


def write_partitions(wh: Warehouse, parts: dict[str, pl.DataFrame]) -> list[str]:
    """Write every non-empty frame at its key; returns the keys written."""
    todo = {k: df for k, df in parts.items() if not df.is_empty()}
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        list(pool.map(lambda kv: wh.write_parquet(kv[1], kv[0]), todo.items()))
    return list(todo)
