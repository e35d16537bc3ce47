"""The dimension jobs: build_dim_members (SCD2), build_dim_dates, build_dim_assets."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from pydantic import BaseModel, ConfigDict

from common.congress import dim_members
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
    """Keys are stable: known names keep theirs, new names get keys above the max in
    order of first appearance; ticker = the latest non-null ticker seen for the name."""
    wh, key = ctx.warehouse, DIMENSIONS["dim_assets"]
    seen = (
        scan_silver(wh)
        .group_by("asset_name")
        .agg(
            first_seen=pl.col("silver_ingest_ts").min(),
            ticker=pl.col("ticker").sort_by("silver_ingest_ts").drop_nulls().last(),
        )
        .collect()
    )
    known = (
        pl.read_parquet(wh.uri(key)).select("asset_key", "asset_name")
        if wh.exists(key)
        else pl.DataFrame(schema={"asset_key": pl.Int64, "asset_name": pl.String})
    )
    merged = seen.join(known, on="asset_name", how="full", coalesce=True)
    new = merged.filter(pl.col("asset_key").is_null()).sort("first_seen", "asset_name")
    top = int(known.select(pl.col("asset_key").max()).item() or 0)
    new = new.with_columns(
        asset_key=pl.int_range(top + 1, top + 1 + new.height, dtype=pl.Int64)
    )
    dim = pl.concat([merged.filter(pl.col("asset_key").is_not_null()), new])
    dim = DimAssets.validate(
        dim.select("asset_key", "asset_name", "ticker").sort("asset_key")
    )
    ctx.check_lease()
    wh.write_parquet(dim, key)
    return {"rows_out": dim.height, "assets_added": new.height, "files_written": 1}


MEMBERS_JOB = TableJob(
    "build_dim_members", "dim_members", LegislatorSources, build_members
)
DATES_JOB = TableJob("build_dim_dates", "dim_dates", NoParams, build_dates)
ASSETS_JOB = TableJob("build_dim_assets", "dim_assets", NoParams, build_assets)
