"""build_dim_members: the SCD2 member dimension from the legislators files (the
transform: dim_members.py)."""

from __future__ import annotations

from typing import Any

import polars as pl

from common.congress import dim_members
from common.congress.schemas import DimMembers
from common.congress.sources import LegislatorSources
from common.congress.tables import DIMENSIONS
from common.jobs import JobContext, TableJob


def build(ctx: JobContext, p: LegislatorSources) -> dict[str, Any]:
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


JOB = TableJob("build_dim_members", LegislatorSources, build)
