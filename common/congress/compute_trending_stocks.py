"""compute_trending_stocks: the trending_stocks table from the fact and dimensions
(the transform: trending_stocks.py).

`{"chamber": "house" | "senate"}` limits it to one chamber's trades; that result is
its own table (`trending_stocks_by_chamber`, partitioned by chamber), so the
both-chambers table never mixes with it."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import polars as pl
from pydantic import BaseModel, ConfigDict

from common.congress.schemas import TrendingStocks
from common.congress.tables import DIMENSIONS, FACT_PTR, trending_key
from common.congress.trending_stocks import aggregate, trades
from common.errors import MissingTable
from common.jobs import JobContext, TableJob


class TrendingParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of_date: dt.date | None = None
    chamber: Literal["house", "senate"] | None = None


def compute(ctx: JobContext, p: TrendingParams) -> dict[str, Any]:
    wh = ctx.warehouse
    files = wh.keys(FACT_PTR, ".parquet")
    if not files:
        raise MissingTable(f"Fact table {FACT_PTR} not found")
    for name in ("dim_members", "dim_assets"):
        if not wh.exists(DIMENSIONS[name]):
            raise MissingTable(f"Dimension table {name} not found")
    fact = wh.scan_parquet(files)
    if p.chamber:
        fact = fact.filter(pl.col("chamber") == p.chamber)
    rows = trades(
        fact,
        pl.scan_parquet(wh.uri(DIMENSIONS["dim_members"])),
        pl.scan_parquet(wh.uri(DIMENSIONS["dim_assets"])),
    )
    as_of = p.as_of_date or rows.select(pl.col("trade_date").max()).collect().item()
    out = TrendingStocks.validate(aggregate(rows, as_of).collect())
    key = trending_key(as_of, p.chamber)
    ctx.check_lease()
    wh.write_parquet(out, key)
    return {
        "as_of_date": as_of.isoformat(),
        "chamber": p.chamber or "both",
        "rows_out": out.height,
        "files_written": 1,
    }


JOB = TableJob("compute_trending_stocks", TrendingParams, compute)
