"""Benchmark: build_fact_transactions full rebuild and a 250-row incremental.

  python benchmarks/fact_build.py rebuild WH    # one rebuild of a local warehouse WH
                                                # (the shared runner's IMPL_CMD form)
  python benchmarks/fact_build.py run --rows N [M ...]
        # for each size: generate, time a rebuild (wall, handler, peak RSS); then on
        # the first size, 250-row incrementals (a day, new ids spread over every
        # month, corrections spread the same way) as shares of its rebuild; and how
        # the rebuild grows from the first size to the others. --repeats K rebuilds
        # the first size and reruns its incrementals K times, printing median shares

Side by side with the pandas/DuckDB anchors (../shared/bench, see its README):
  IMPL_CMD="python benchmarks/fact_build.py rebuild" IMPL_NAME=polars \
      ../shared/bench/run_anchors.sh
Figures are printed, never asserted: the machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import polars as pl

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SHARED_GEN = os.path.join(
    os.path.dirname(__file__), "..", "..", "shared", "bench", "gen_warehouse.py"
)


def rebuild(wh_path: str) -> dict:
    os.environ["WAREHOUSE_URI"] = wh_path
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "1")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    from pandera.backends.polars.register import register_polars_backends

    from common.congress.build_fact_transactions import JOB
    from common.jobs import run_job

    register_polars_backends()
    started = time.perf_counter()
    summary = run_job(JOB, {"rebuild": True})
    return {**summary, "handler_seconds": round(time.perf_counter() - started, 3)}


MODES = ("day", "spread", "corrections")


def day_of_filings(wh_path: str, rows: int, mode: str) -> pl.DataFrame:
    """`rows` new silver rows, one second after the newest.

    Default: what a day of House filings brings. 98% are new transactions notified in
    the last two weeks and traded up to 45 days before (the STOCK Act's reporting
    window); 2% (the
    reference generator's share) are new versions of existing transactions, half of
    them with a transaction_date corrected by 40 days (usually another month).
    `spread`: brand-new ids spread over every month instead (copies of old rows under
    new doc ids, about one month per row). `corrections`: new versions of existing
    ids spread the same way (the same rows, another amount).
    """
    from common.storage import Warehouse

    wh = Warehouse(wh_path)
    first = wh.keys("silver/ptr_transactions", ".parquet")[0]
    sample = pl.read_parquet(wh.uri(first), n_rows=rows)
    newest = (
        pl.scan_parquet(wh.uri("silver/ptr_transactions/*.parquet"))
        .select(pl.col("silver_ingest_ts").max(), pl.col("transaction_date").max())
        .collect()
    )
    ts = newest["silver_ingest_ts"].item() + dt.timedelta(seconds=1)
    stamp, fresh_doc = pl.lit(ts), pl.lit(f"N{ts:%Y%m%d%H%M%S}-") + pl.col("doc_id")
    if mode == "spread":
        return sample.with_columns(doc_id=fresh_doc, silver_ingest_ts=stamp)
    if mode == "corrections":
        return sample.with_columns(
            amount_low=pl.col("amount_low") + 1, silver_ingest_ts=stamp
        )
    fixes = max(1, rows // 50)
    day = pl.int_range(pl.len()).cast(pl.Int64)
    notified = newest["transaction_date"].item() - pl.duration(days=day % 15)
    new = sample.head(rows - fixes).with_columns(
        doc_id=fresh_doc,
        transaction_date=notified - pl.duration(days=day % 45),
        notification_date=notified,
        filing_date=notified,
    )
    moved = pl.int_range(pl.len()) % 2 == 0
    corrected = sample.tail(fixes).with_columns(
        transaction_date=pl.when(moved)
        .then(pl.col("transaction_date") - pl.duration(days=40))
        .otherwise(pl.col("transaction_date")),
        amount_low=pl.col("amount_low") + 1,
    )
    return pl.concat([new, corrected]).with_columns(silver_ingest_ts=stamp)


def incremental(wh_path: str, rows: int, mode: str) -> tuple[dict, float]:
    """Append `rows` new silver rows, then time only the job call (imports and
    Pandera's first-use backend registration excluded)."""
    from pandera.backends.polars.register import register_polars_backends

    from common.congress.build_fact_transactions import JOB
    from common.jobs import run_job
    from common.storage import Warehouse

    os.environ["WAREHOUSE_URI"] = wh_path
    register_polars_backends()
    fresh = day_of_filings(wh_path, rows, mode)
    key = f"silver/ptr_transactions/part-bench-{time.time_ns()}.parquet"
    Warehouse(wh_path).write_parquet(fresh, key)
    started = time.perf_counter()
    summary = run_job(JOB, {})
    return summary, time.perf_counter() - started


def measured(cmd: list[str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS in MB, last line of output) of a child process: its
    own peak (RUSAGE_CHILDREN would be the largest of all children so far)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.stdout.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, cmd)
    return wall, usage.ru_maxrss / 1024, out.strip().splitlines()[-1]


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = ap.add_subparsers(dest="cmd", required=True)
    one = sub.add_parser(
        "rebuild", help="rebuild the fact table of WH, print the summary"
    )
    one.add_argument("wh")
    inc = sub.add_parser("incremental", help="time a small incremental on a built WH")
    inc.add_argument("wh")
    inc.add_argument("--rows", type=int, default=250)
    inc.add_argument("--mode", choices=MODES, default="day", help="which rows")
    run = sub.add_parser("run", help="generate, then time rebuilds and incrementals")
    run.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    run.add_argument("--incremental-rows", type=int, default=250)
    run.add_argument(
        "--repeats",
        type=int,
        default=1,
        help="rebuild and incrementals on the first size this many times (medians)",
    )
    run.add_argument("--out", help="folder for the warehouses (default: a temp dir)")
    a = ap.parse_args()
    if a.cmd == "rebuild":
        print(json.dumps(rebuild(a.wh)))
        return
    if a.cmd == "incremental":
        summary, secs = incremental(a.wh, a.rows, a.mode)
        print(f"incremental  rows={a.rows:>11,} job={secs:7.3f}s {json.dumps(summary)}")
        return
    root = a.out or tempfile.mkdtemp(prefix="fact-bench-")
    rebuilt = []
    for rows in a.rows:
        wh = os.path.join(root, f"wh_{rows}")
        generate(wh, rows)
        rebuilt.append((rows, *timed_rebuild(wh)))
    rows, wall, rss, handler = rebuilt[0]
    for other, wall_, rss_, _ in rebuilt[1:]:
        print(
            f"growth       {rows:,} -> {other:,} rows: wall x{wall_ / wall:.2f}, "
            f"peak RSS x{rss_ / rss:.2f}"
        )
    wh = os.path.join(root, f"wh_{rows}")
    shares: dict[str, list[float]] = {mode: [] for mode in MODES}
    for repeat in range(a.repeats):
        if repeat:  # each repeat's shares are of its own rebuild, just before them
            handler = timed_rebuild(wh)[2]
        for mode in MODES:  # each on top of the one before, as days follow days
            summary, secs = incremental(wh, a.incremental_rows, mode)
            shares[mode].append(secs / handler)
            print(
                f"{mode:<12} rows={a.incremental_rows:>11,} job={secs:7.3f}s "
                f"= {secs / handler:.1%} of the rebuild's handler time "
                f"{json.dumps(summary)}",
                flush=True,
            )
    if a.repeats > 1:
        for mode, values in shares.items():
            print(
                f"{mode:<12} median {statistics.median(values):.1%} of the rebuild's "
                f"handler time over {a.repeats} repeats "
                f"({min(values):.1%}..{max(values):.1%})"
            )


def timed_rebuild(wh: str) -> tuple[float, float, float]:
    """(wall s, peak RSS MB, handler s) of a rebuild of `wh` in a child process."""
    wall, rss, out = measured([sys.executable, __file__, "rebuild", wh])
    summary = json.loads(out)
    handler, rows = summary["handler_seconds"], summary["transactions_processed"]
    print(
        f"rebuild      rows={rows:>11,} wall={wall:7.2f}s handler={handler:7.2f}s "
        f"peak_rss={rss:8.0f}MB {out}",
        flush=True,
    )
    return wall, rss, handler


def generate(wh: str, rows: int) -> None:
    if os.path.exists(SHARED_GEN):
        # the shared generator needs numpy; BENCH_PYTHON may name a venv that has it
        python = os.environ.get("BENCH_PYTHON", sys.executable)
        cmd = [python, SHARED_GEN, "--rows", str(rows), "--out", wh]
        subprocess.run(cmd, check=True, capture_output=True)
    else:
        from common.congress import demo_data
        from common.storage import Warehouse

        demo_data.generate(Warehouse(wh), rows=rows)


if __name__ == "__main__":
    main()
