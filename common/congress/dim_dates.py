"""The dim_dates transform (pure Polars): every day of the whole years in a range."""

from __future__ import annotations

import datetime as dt

import polars as pl


def date_key(col: str) -> pl.Expr:
    """YYYYMMDD, the smart key of dim_dates (the fact looks its keys up there)."""
    d = pl.col(col).dt
    # dt.month()/day() are Int8: widen before the arithmetic overflows them
    return d.year().cast(pl.Int32) * 10000 + d.month().cast(pl.Int32) * 100 + d.day()


def calendar(first: dt.date, last: dt.date) -> pl.DataFrame:
    days = pl.date_range(
        dt.date(first.year, 1, 1), dt.date(last.year, 12, 31), eager=True
    )
    d = pl.col("full_date").dt
    return pl.DataFrame({"full_date": days}).select(
        date_key=date_key("full_date"),
        full_date="full_date",
        year=d.year().cast(pl.Int32),
        month=d.month().cast(pl.Int32),
        day=d.day().cast(pl.Int32),
        quarter=d.quarter().cast(pl.Int32),
        day_of_week=d.weekday().cast(pl.Int32),
        is_weekend=d.weekday() >= 6,
    )
