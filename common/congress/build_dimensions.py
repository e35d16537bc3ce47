"""The dimension jobs: build_dim_members (SCD2), build_dim_dates, build_dim_assets."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from pydantic import BaseModel, ConfigDict

from common.congress import dim_assets, dim_members
from common.congress.schemas import DimAssets, DimDates, DimMembers
from common.congress.silver import scan_silver
from common.congress.sources import LegislatorSources
from common.congress.tables import DIMENSIONS
from common.jobs import JobContext, TableJob


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


def build_members(ctx: JobContext, p: LegislatorSources) -> dict[str, Any]:
    wh, key = ctx.warehouse, DIMENSIONS["dim_members"]
    versions = dim_members.versions_from_terms(p.terms(wh))
    if wh.exists(key):
        before = pl.read_parquet(wh.uri(key))
        dim = dim_members.merge_snapshot(before, versions)
    else:
        before, dim = pl.DataFrame(), dim_members.with_keys(versions, 1)
    dim = DimMembers.validate(dim)
    ctx.check_lease()
    wh.write_parquet(dim, key)
    return {
        "rows_out": dim.height,
        "versions_added": dim.height - before.height,
        "members": dim["bioguide_id"].n_unique(),
        "files_written": 1,
    }


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


def build_dates(ctx: JobContext, p: NoParams) -> dict[str, Any]:
    dates = ["transaction_date", "notification_date", "filing_date"]
    span = (
        scan_silver(ctx.warehouse)
        .select(
            lo=pl.min_horizontal(pl.col(dates).min()),
            hi=pl.max_horizontal(pl.col(dates).max()),
        )
        .collect()
    )
    dim = DimDates.validate(calendar(span["lo"].item(), span["hi"].item()))
    ctx.check_lease()
    ctx.warehouse.write_parquet(dim, DIMENSIONS["dim_dates"])
    return {"rows_out": dim.height, "files_written": 1}


def build_assets(ctx: JobContext, p: NoParams) -> dict[str, Any]:
    """dim_assets from silver, keys stable across runs (transform: dim_assets.py)."""
    wh, key = ctx.warehouse, DIMENSIONS["dim_assets"]
    seen = dim_assets.seen_assets(scan_silver(wh)).collect()
    known = (
        pl.read_parquet(wh.uri(key)).select("asset_key", "asset_name")
        if wh.exists(key)
        else pl.DataFrame(schema=dim_assets.KNOWN_SCHEMA)
    )
    dim, added = dim_assets.merge(seen, known)
    dim = DimAssets.validate(dim)
    ctx.check_lease()
    wh.write_parquet(dim, key)
    return {"rows_out": dim.height, "assets_added": added, "files_written": 1}


MEMBERS_JOB = TableJob(
    "build_dim_members", "dim_members", LegislatorSources, build_members
)
DATES_JOB = TableJob("build_dim_dates", "dim_dates", NoParams, build_dates)
ASSETS_JOB = TableJob("build_dim_assets", "dim_assets", NoParams, build_assets)
