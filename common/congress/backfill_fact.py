"""Rebuild fact_ptr_transactions range by range (for data beyond one machine's memory).

Dedupe and key assignment are global and light: `build_index` keeps only each
transaction's id, latest version timestamp, first appearance, key and year. Each range
(`build_years`) then reads the full rows of its transactions, builds and writes its
partitions; `finish` removes partitions no range wrote and sets the watermark. The
result equals `build_fact_transactions {"rebuild": true}`, keys included.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from common.congress import fact_ptr_transactions as fact
from common.congress.build_fact_transactions import (
    STATE_KEY,
    load_dimensions,
    write_partitions,
)
from common.congress.schemas import FactPtrTransactions
from common.congress.silver import scan_silver
from common.congress.tables import FACT_PTR, fact_partition_key
from common.jobs import JobContext

INDEX = "_state/congress/fact_backfill_index.parquet"  # job state, not a table


def build_index(ctx: JobContext) -> dict[str, Any]:
    dims = load_dimensions(ctx.warehouse)
    ids = scan_silver(ctx.warehouse).select(
        "doc_id",
        "txn_index",
        "silver_ingest_ts",
        "transaction_date",
        "notification_date",
    )
    latest = fact.latest_versions(ids.collect(engine="in-memory"))
    index = (
        latest.filter(~fact.outside_calendar(dims["dim_dates"]))
        .sort("first_seen", "transaction_id")
        .select(
            "transaction_id",
            "silver_ingest_ts",
            transaction_key=pl.int_range(1, pl.len() + 1, dtype=pl.Int64),
            year=pl.col("transaction_date").dt.year(),
        )
    )
    ctx.warehouse.write_parquet(index, INDEX)
    return {"transactions": index.height, "years": sorted(index["year"].unique())}


def build_years(ctx: JobContext, years: list[int]) -> dict[str, Any]:
    wh = ctx.warehouse
    dims = load_dimensions(wh)
    index = pl.scan_parquet(wh.uri(INDEX)).filter(pl.col("year").is_in(years))
    latest = (
        scan_silver(ctx.warehouse)
        .with_columns(transaction_id=fact.transaction_id())
        .join(
            index.drop("year"), on=["transaction_id", "silver_ingest_ts"], how="inner"
        )
        .unique("transaction_id")  # exact duplicate rows of the latest version
        .with_columns(first_seen=pl.col("silver_ingest_ts"))
    )
    keys = latest.select("transaction_id", "transaction_key")
    rows = fact.fact_rows(
        fact.with_dimension_keys(
            latest.drop("transaction_key"),
            dims["dim_members"].lazy(),
            dims["dim_assets"].lazy(),
        )
    ).join(keys, on="transaction_id")
    keyed = rows.select(fact.FACT_COLUMNS + fact.PARTITION).collect()
    FactPtrTransactions.validate(keyed.drop(fact.PARTITION))
    parts = {
        fact_partition_key(int(y), int(m)): part.drop(fact.PARTITION).sort(
            "transaction_key"
        )
        for (y, m), part in keyed.partition_by(fact.PARTITION, as_dict=True).items()  # type: ignore[misc]
    }
    written = write_partitions(wh, parts)
    return {
        "years": years,
        "rows_out": keyed.height,
        "files_written": written,
        "written": sorted(parts),
    }


def finish(ctx: JobContext, written: list[str]) -> dict[str, Any]:
    wh = ctx.warehouse
    stale = [k for k in wh.keys(FACT_PTR, ".parquet") if k not in set(written)]
    deleted = wh.delete(stale)
    high = (
        scan_silver(ctx.warehouse)
        .select(pl.col("silver_ingest_ts").max())
        .collect()
        .item()
    )
    ctx.state.put(STATE_KEY, {"watermark": high.isoformat()})
    wh.delete([INDEX])
    return {"files_deleted": deleted, "watermark": high.isoformat()}
