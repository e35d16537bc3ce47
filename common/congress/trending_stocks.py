"""The trending_stocks transform (pure Polars): per ticker and window (7/30/90 days
of transaction_date ending at the as-of date), volumes by side and party; party is
that of the member version the fact row points to, i.e. the one valid on the trade
date. The job: compute_trending_stocks.py."""

from __future__ import annotations

import datetime as dt

import polars as pl

from common.congress.schemas import TrendingStocks

WINDOWS = {"7d": 7, "30d": 30, "90d": 90}
SELLS = ["sale", "sale_partial"]


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
