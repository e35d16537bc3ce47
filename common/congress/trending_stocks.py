"""compute_trending_stocks: per ticker and window (7/30/90 days of transaction_date
ending at the as-of date), volumes by side and party; party is that of the member
version the fact row points to, i.e. the one valid on the trade date.

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
from common.errors import MissingTable
from common.jobs import JobContext, TableJob

WINDOWS = {"7d": 7, "30d": 30, "90d": 90}
SELLS = ["sale", "sale_partial"]


class TrendingParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of_date: dt.date | None = None
    chamber: Literal["house", "senate"] | None = None


def trades(
    fact: pl.LazyFrame, members: pl.LazyFrame, assets: pl.LazyFrame
) -> pl.LazyFrame:
    """Fact rows with trade date, ticker, party and member identity."""
    return (
        fact.with_columns(
            trade_date=pl.col("transaction_date_key")
            .cast(pl.String)
            .str.to_date("%Y%m%d")
        )
        .join(assets.select("asset_key", "ticker"), on="asset_key", how="inner")
        .join(
            members.select("member_key", "bioguide_id", "party"),
            on="member_key",
            how="left",
        )
        .filter(pl.col("ticker").is_not_null())
    )


def aggregate(trades: pl.LazyFrame, as_of: dt.date) -> pl.LazyFrame:
    mid = pl.col("amount_midpoint").fill_null(0.0)
    buy = pl.col("transaction_type") == "purchase"
    sell = pl.col("transaction_type").is_in(SELLS)
    dem, rep = pl.col("party") == "Democrat", pl.col("party") == "Republican"
    frames = []
    for window, days in WINDOWS.items():
        start = as_of - dt.timedelta(days=days - 1)
        frames.append(
            trades.filter(pl.col("trade_date").is_between(start, as_of))
            .group_by("ticker")
            .agg(
                total_transactions=pl.len(),
                total_volume=mid.sum(),
                buy_volume=mid.filter(buy).sum(),
                sell_volume=mid.filter(sell).sum(),
                num_buyers=pl.col("bioguide_id").filter(buy).drop_nulls().n_unique(),
                num_sellers=pl.col("bioguide_id").filter(sell).drop_nulls().n_unique(),
                dem_transactions=dem.sum(),
                rep_transactions=rep.sum(),
                dem_buy_volume=mid.filter(buy & dem).sum(),
                rep_buy_volume=mid.filter(buy & rep).sum(),
                first_trade_date=pl.col("trade_date").min(),
                last_trade_date=pl.col("trade_date").max(),
            )
            .with_columns(window=pl.lit(window))
        )
    net = pl.col("buy_volume") - pl.col("sell_volume")
    return (
        pl.concat(frames)
        .with_columns(
            as_of_date=pl.lit(as_of),
            net_volume=net,
            sentiment_score=pl.when(pl.col("total_volume") > 0)
            .then(net / pl.col("total_volume"))
            .otherwise(0.0),
        )
        .select(list(TrendingStocks.to_schema().columns))
        .sort("window", "ticker")
    )


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


JOB = TableJob("compute_trending_stocks", "trending_stocks", TrendingParams, compute)


def top_movers(trending: pl.DataFrame, n: int = 5) -> pl.DataFrame:
    """The n tickers with the largest absolute net volume in each window."""
    return (
        trending.sort(pl.col("net_volume").abs(), descending=True)
        .group_by("window", maintain_order=True)
        .head(n)
        .select(
            "window", "ticker", "net_volume", "sentiment_score", "total_transactions"
        )
        .sort("window", pl.col("net_volume").abs(), descending=[False, True])
    )
