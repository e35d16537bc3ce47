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

from common.congress import fact_contract, fact_index
from common.congress import fact_ptr_transactions as fact
from common.congress.build_fact_transactions import STATE_KEY, load_dimensions
from common.congress.fact_rebuild import by_file, write_partitions
from common.congress.schemas import FactPtrTransactions
from common.congress.silver import scan_silver
from common.congress.tables import FACT_PTR
from common.jobs import JobContext

INDEX = "_state/congress/fact_backfill_index.parquet"  # job state, not a table


def build_index(ctx: JobContext) -> dict[str, Any]:
    dims = load_dimensions(ctx.warehouse)
    ids = (
        scan_silver(ctx.warehouse)
        .select(
            transaction_id=fact.transaction_id(),
            silver_ingest_ts="silver_ingest_ts",
            transaction_date="transaction_date",
            notification_date="notification_date",
        )
        .collect()
    )
    latest = fact.latest_versions(ids)
    latest = latest.filter(~fact.outside_calendar(dims["dim_dates"]))
    index = latest.select(
        "transaction_id",
        silver_ingest_ts=ids["silver_ingest_ts"].gather(latest[fact.ROW]),
        transaction_key=fact.new_keys(latest, 1),
        year=pl.col("transaction_date").dt.year(),
    )
    ctx.warehouse.write_parquet(index, INDEX)
    return {"transactions": index.height, "years": sorted(index["year"].unique())}


def build_years(ctx: JobContext, years: list[int]) -> dict[str, Any]:
    wh = ctx.warehouse
    dims = load_dimensions(wh)
    index = pl.scan_parquet(wh.uri(INDEX)).filter(pl.col("year").is_in(years))
    latest = (
        scan_silver(ctx.warehouse)
        .select(fact.SILVER_INPUT)
        .with_columns(transaction_id=fact.transaction_id())
        .join(
            index.drop("year"), on=["transaction_id", "silver_ingest_ts"], how="inner"
        )
        .unique("transaction_id")  # exact duplicate rows of the latest version
        .collect()
    )
    rows = fact.fact_rows(latest.sort(fact.fact_order()), dims)
    FactPtrTransactions.validate(rows.drop(fact.PARTITION))
    parts = by_file(rows)
    ctx.check_lease()
    written = write_partitions(wh, parts)
    return {
        "years": years,
        "rows_out": rows.height,
        "files_written": len(written),
        "written": sorted(parts),
    }


def finish(ctx: JobContext, written: list[str]) -> dict[str, Any]:
    wh = ctx.warehouse
    stale = [k for k in wh.keys(FACT_PTR, ".parquet") if k not in set(written)]
    deleted = ctx.delete(stale)
    high = (
        scan_silver(ctx.warehouse)
        .select(pl.col("silver_ingest_ts").max())
        .collect()
        .item()
    )
    max_key = pl.scan_parquet(wh.uri(INDEX)).select(pl.col("transaction_key").max())
    fact_index.rebuild(wh)
    state = {
        "watermark": high.isoformat(),
        "max_key": max_key.collect().item() or 0,
        "contract": fact_contract.VERSION,
    }
    ctx.commit(STATE_KEY, state)
    wh.delete([INDEX])
    return {"files_deleted": deleted, "watermark": high.isoformat()}
