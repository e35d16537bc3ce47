"""The analysts' data contract, one Pandera model per table."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from common.distinct import all_distinct

TRANSACTION_TYPES = ["purchase", "sale", "sale_partial", "exchange"]
OWNERS = ["self", "spouse", "joint", "dependent"]
CHAMBERS = ["house", "senate"]


def polars_schema(model: type[pa.DataFrameModel]) -> pl.Schema:
    """The model's columns as a Polars schema (for writers that build frames)."""
    columns = model.to_schema().columns
    return pl.Schema({name: col.dtype.type for name, col in columns.items()})


class SilverPtrTransactions(pa.DataFrameModel):
    doc_id: pl.String = pa.Field(nullable=False)
    txn_index: pl.Int64 = pa.Field(ge=0)
    filer_name: pl.String = pa.Field(nullable=False)
    bioguide_id: pl.String = pa.Field(nullable=True)
    asset_name: pl.String = pa.Field(nullable=False)
    ticker: pl.String = pa.Field(nullable=True)
    transaction_type: pl.String = pa.Field(isin=TRANSACTION_TYPES)
    transaction_date: pl.Date = pa.Field(nullable=False)
    notification_date: pl.Date = pa.Field(nullable=False)
    filing_date: pl.Date = pa.Field(nullable=False)
    amount_low: pl.Int64 = pa.Field(ge=0)
    amount_high: pl.Int64 = pa.Field(nullable=True)
    owner: pl.String = pa.Field(isin=OWNERS)
    silver_ingest_ts: pl.Datetime = pa.Field(nullable=False)
    # Added with Senate ingest; silver written before reads as House, no detail
    # (common/congress/silver.py).
    chamber: pl.String = pa.Field(isin=CHAMBERS)
    asset_detail: pl.String = pa.Field(nullable=True)  # a bond's coupon, maturity

    class Config:
        coerce = True  # txn_index arrives as int32 or int64 depending on the writer
        strict = "filter"


class DimMembers(pa.DataFrameModel):
    member_key: pl.Int64 = pa.Field(unique=True)
    bioguide_id: pl.String
    full_name: pl.String
    party: pl.String
    state: pl.String = pa.Field(str_length={"min_value": 2, "max_value": 2})
    district: pl.Int32 = pa.Field(nullable=True, ge=0)
    valid_from: pl.Date
    valid_to: pl.Date
    is_current: pl.Boolean

    class Config:
        coerce = True

    @pa.dataframe_check
    def valid_range(cls, data: pa.PolarsData) -> pl.LazyFrame:  # type: ignore[misc]
        return data.lazyframe.select(pl.col("valid_from") <= pl.col("valid_to"))


class DimAssets(pa.DataFrameModel):
    asset_key: pl.Int64 = pa.Field(unique=True)
    asset_name: pl.String = pa.Field(unique=True)
    ticker: pl.String = pa.Field(nullable=True)

    class Config:
        coerce = True


class DimDates(pa.DataFrameModel):
    date_key: pl.Int32 = pa.Field(unique=True)
    full_date: pl.Date = pa.Field(unique=True)
    year: pl.Int32
    month: pl.Int32 = pa.Field(in_range={"min_value": 1, "max_value": 12})
    day: pl.Int32 = pa.Field(in_range={"min_value": 1, "max_value": 31})
    quarter: pl.Int32 = pa.Field(in_range={"min_value": 1, "max_value": 4})
    day_of_week: pl.Int32 = pa.Field(in_range={"min_value": 1, "max_value": 7})
    is_weekend: pl.Boolean

    class Config:
        coerce = True


class FactPtrTransactions(pa.DataFrameModel):
    transaction_key: pl.Int64 = pa.Field(ge=1)
    transaction_id: pl.String
    member_key: pl.Int64 = pa.Field(ge=-1)
    asset_key: pl.Int64 = pa.Field(ge=-1)
    transaction_date_key: pl.Int32
    notification_date_key: pl.Int32
    transaction_type: pl.String = pa.Field(isin=TRANSACTION_TYPES)
    amount_low: pl.Int64
    amount_high: pl.Int64 = pa.Field(nullable=True)
    amount_midpoint: pl.Float64 = pa.Field(nullable=True)
    days_to_notification: pl.Int64
    doc_id: pl.String
    filing_date: pl.Date
    chamber: pl.String = pa.Field(isin=CHAMBERS)  # contract 2 (see fact_contract.py)

    class Config:
        strict = True
        ordered = True

    # Field(unique=True) costs seconds per column at 10M rows; see common/distinct.py
    @pa.check("transaction_key", "transaction_id", name="unique")
    def unique(cls, data: pa.PolarsData) -> bool:  # type: ignore[misc]
        return all_distinct(data.lazyframe.select(data.key).collect().to_series())


class TrendingStocks(pa.DataFrameModel):
    as_of_date: pl.Date
    window: pl.String = pa.Field(isin=["7d", "30d", "90d"])
    ticker: pl.String
    total_transactions: pl.UInt32 = pa.Field(ge=1)
    total_volume: pl.Float64
    buy_volume: pl.Float64
    sell_volume: pl.Float64
    net_volume: pl.Float64
    num_buyers: pl.UInt32
    num_sellers: pl.UInt32
    dem_transactions: pl.UInt32
    rep_transactions: pl.UInt32
    dem_buy_volume: pl.Float64
    rep_buy_volume: pl.Float64
    sentiment_score: pl.Float64 = pa.Field(in_range={"min_value": -1, "max_value": 1})
    first_trade_date: pl.Date
    last_trade_date: pl.Date

    class Config:
        strict = True
        coerce = True
