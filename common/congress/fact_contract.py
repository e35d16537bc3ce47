"""The fact table's contract version, and the migration of partitions written under
an older one, so a warehouse built by an earlier release keeps working.

1: the columns before Senate ingest. 2: `chamber` last; every row written under 1
came from House filings (nothing else was ingested then), so it is "house".

The version lives in the fact job's state. A run under an older version first
rewrites each partition lacking the column (each rewrite is whole and atomic, and a
rerun skips partitions already done), then records the version with its watermark.
"""

from __future__ import annotations

import polars as pl

from common.congress.tables import FACT_PTR
from common.jobs import JobContext

VERSION = 2


def migrate(ctx: JobContext, state: dict[str, object]) -> int:
    """Bring every partition to VERSION; returns the partitions rewritten."""
    if int(state.get("contract", 1)) >= VERSION:  # type: ignore[call-overload]
        return 0
    wh = ctx.warehouse
    rewritten = 0
    for key in wh.keys(FACT_PTR, ".parquet"):
        if "chamber" in pl.scan_parquet(wh.uri(key)).collect_schema():
            continue
        upgraded = pl.read_parquet(wh.uri(key)).with_columns(chamber=pl.lit("house"))
        ctx.check_lease()
        wh.write_parquet(upgraded, key)
        rewritten += 1
    return rewritten
