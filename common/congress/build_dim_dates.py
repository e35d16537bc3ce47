"""build_dim_dates: the calendar covering silver's dates (transform: dim_dates.py)."""

from __future__ import annotations

from typing import Any

import polars as pl

from common.congress.dim_dates import calendar
from common.congress.schemas import DimDates
from common.congress.silver import scan_silver
from common.congress.tables import DIMENSIONS
from common.jobs import JobContext, NoParams, TableJob


def build(ctx: JobContext, p: NoParams) -> dict[str, Any]:
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


JOB = TableJob("build_dim_dates", NoParams, build)
