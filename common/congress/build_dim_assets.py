"""build_dim_assets: dim_assets from silver, keys stable across runs (the transform:
dim_assets.py)."""

from __future__ import annotations

from typing import Any

import polars as pl

from common.congress import dim_assets
from common.congress.schemas import DimAssets
from common.congress.silver import scan_silver
from common.congress.tables import DIMENSIONS
from common.jobs import JobContext, NoParams, TableJob


def build(ctx: JobContext, p: NoParams) -> dict[str, Any]:
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


JOB = TableJob("build_dim_assets", NoParams, build)
